"""The `scale` subresource of Deployments, ReplicaSets, StatefulSets and ReplicationControllers: an
`autoscaling/v1` Scale, as kube-apiserver's ScaleREST serves it (pkg/registry/apps/deployment/storage
and its siblings) and as `kubectl scale` and HPAs read and write it."""

from __future__ import annotations

from typing import Any

from sugarlab.common.objects import Obj
from sugarlab.sim.apiserver.printers.cells import selector_string
from sugarlab.sim.apiserver.wire.patch import PATCH_TYPES, apply_patch
from sugarlab.sim.machinery.errors import ApiError
from sugarlab.sim.machinery.resources import ResourceType
from sugarlab.sim.storage.store import Store


def scale_of(obj: Obj) -> Obj:
    meta, spec = obj["metadata"], obj.get("spec") or {}
    selector = spec.get("selector") or {}
    if obj["kind"] == "ReplicationController":  # a plain label map, not a LabelSelector
        selector = {"matchLabels": selector}
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp") if k in meta
        },
        "spec": {"replicas": spec.get("replicas", 1)},
        "status": {"replicas": (obj.get("status") or {}).get("replicas", 0), "selector": selector_string(selector)},
    }


def wanted_replicas(scale: Any, name: str) -> int:
    """The replicas a Scale written by a client asks for, validated as ValidateScale does."""
    replicas = ((scale or {}).get("spec") or {}).get("replicas") if isinstance(scale, dict) else None
    if not isinstance(replicas, int) or isinstance(replicas, bool):
        raise ApiError.bad_request(
            f'Scale in version "v1" cannot be handled as a Scale: spec.replicas: {replicas!r} is not an integer'
        )
    if replicas < 0:
        raise ApiError(
            422,
            "Invalid",
            f'Scale.autoscaling "{name}" is invalid: spec.replicas: Invalid value: '
            f"{replicas}: must be greater than or equal to 0",
            {
                "name": name,
                "group": "autoscaling",
                "kind": "Scale",
                "causes": [
                    {
                        "reason": "FieldValueInvalid",
                        "message": f"Invalid value: {replicas}: must be greater than or equal to 0",
                        "field": "spec.replicas",
                    }
                ],
            },
        )
    return replicas


def serve_scale(
    store: Store, rt: ResourceType, namespace: str, name: str, method: str, content_type: str, body: Any
) -> Obj:
    """GET, PUT or PATCH of `<object>/scale`: only `spec.replicas` of the object changes."""
    obj = store.get(rt, namespace, name)
    if method == "GET":
        return scale_of(obj)
    if method == "PUT":
        expected = ((body or {}).get("metadata") or {}).get("resourceVersion") if isinstance(body, dict) else None
        if expected and expected != obj["metadata"]["resourceVersion"]:
            raise ApiError.conflict(
                rt.plural,
                name,
                "the object has been modified; please apply your changes to the latest version and try again",
            )
        written = body
    elif method == "PATCH":
        if content_type not in PATCH_TYPES:
            raise ApiError(
                415,
                "UnsupportedMediaType",
                f"the body of the request was in an unknown format - accepted "
                f"media types include: {', '.join(PATCH_TYPES)}",
            )
        written = apply_patch(content_type, scale_of(obj), body)
    else:
        raise ApiError.method_not_allowed("the server does not allow this method on the requested resource")
    replicas = wanted_replicas(written, name)
    return scale_of(store.update(rt, namespace, name, lambda o: o.setdefault("spec", {}).update(replicas=replicas)))
