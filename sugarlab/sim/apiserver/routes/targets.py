"""What a resource path names (`/api/v1/namespaces/<ns>/<plural>/<name>/<subresource>`, or a group's), and the
request body decoded for it, as k8s.io/apiserver's RequestInfoFactory and its decoders read them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from sugarlab.common.objects import Obj
from sugarlab.sim.apis.defaults import normalize
from sugarlab.sim.apiserver.admission import admission
from sugarlab.sim.apiserver.wire import bodies
from sugarlab.sim.machinery.errors import ApiError
from sugarlab.sim.machinery.resources import ResourceType, find


@dataclass(frozen=True)
class Target:
    rt: ResourceType
    namespace: str | None  # None: across all namespaces (or cluster-scoped)
    name: str
    subresource: str


def resolve(
    group: str, version: str, rest: list[str], metrics_server: bool, custom: tuple[ResourceType, ...] = ()
) -> Target:
    namespace = None
    if len(rest) >= 3 and rest[0] == "namespaces":
        rt = find(group, version, rest[2], metrics_server, custom)
        if rt is not None and rt.namespaced:
            namespace, rest = rest[1], rest[2:]
    rt = find(group, version, rest[0], metrics_server, custom)
    if rt is None or len(rest) > 3 or (rt.namespaced and namespace is None and len(rest) > 1):
        raise ApiError.no_route(404)
    name = rest[1] if len(rest) > 1 else ""
    subresource = rest[2] if len(rest) > 2 else ""
    if subresource and subresource not in rt.subresources:
        raise ApiError.no_route(404)
    return Target(rt, namespace if rt.namespaced else "", name, subresource)


async def read_body(request: Request, required: bool = True, target: Target | None = None) -> Any:
    raw = await bodies.read(request)
    if not raw and not required:
        return None
    kind, api_version = bodies.decoded_into(request.method, target.rt, target.subresource) if target else ("", "")
    return bodies.decode(raw, request.headers.get("content-type", ""), kind, api_version)


def prepare(target: Target, body: Any) -> Obj:
    """The body of a write to `target`, decoded and checked against the URL (kind, namespace, name)."""
    if not isinstance(body, dict):
        raise ApiError.bad_request("the request body must be a JSON object")
    rt = target.rt
    if body.get("kind", rt.kind) != rt.kind or body.get("apiVersion", rt.api_version) != rt.api_version:
        raise ApiError.bad_request(
            f"the API version in the data ({body.get('apiVersion')}) and kind ({body.get('kind')}) do not "
            f"match the endpoint {rt.api_version}, {rt.plural}"
        )
    obj = admission.decode_body(rt, body)
    meta = obj.setdefault("metadata", {})
    if rt.namespaced:
        if meta.get("namespace") and meta["namespace"] != target.namespace:
            raise ApiError.bad_request(
                "the namespace of the provided object does not match the namespace sent on the request"
            )
        meta["namespace"] = target.namespace
    if target.name and meta.get("name", target.name) != target.name:
        raise ApiError.bad_request("the name of the object does not match the name on the URL")
    if target.name:
        meta["name"] = target.name
    normalize(rt.kind, obj)
    return obj
