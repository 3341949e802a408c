"""The REST surface of the simulated API server: discovery, CRUD, list, watch, patch and apply,
status, logs, and metrics.k8s.io, with the paths, bodies and `Status` errors of the real one."""

from __future__ import annotations

import base64
import hashlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.utils import formatdate
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket

from sugarlab.common.objects import Obj
from sugarlab.sim.apis.apps_defaults import default_deployment, default_statefulset
from sugarlab.sim.apis.batch_defaults import default_job, job_labels
from sugarlab.sim.apis.core_defaults import default_claim, default_pod
from sugarlab.sim.apis.defaults import default_new, normalize
from sugarlab.sim.apiserver import dry_run
from sugarlab.sim.apiserver.admission import admission
from sugarlab.sim.apiserver.admission.admission_plugins import admit_create, admit_delete
from sugarlab.sim.apiserver.eviction import evict
from sugarlab.sim.apiserver.kubelet_client import KubeletClient
from sugarlab.sim.apiserver.logs import pod_log
from sugarlab.sim.apiserver.openapi import openapi
from sugarlab.sim.apiserver.openapi.discovery import MEDIA_TYPE as DISCOVERY_V2
from sugarlab.sim.apiserver.openapi.discovery import aggregated, wants_aggregated
from sugarlab.sim.apiserver.printers.tables import table, wants_table
from sugarlab.sim.apiserver.query import check as check_query
from sugarlab.sim.apiserver.scale import serve_scale
from sugarlab.sim.apiserver.services import default_service
from sugarlab.sim.apiserver.wire import bodies
from sugarlab.sim.apiserver.wire.patch import (
    APPLY_PATCH,
    PATCH_TYPES,
    STRATEGIC_MERGE_PATCH,
    apply_patch,
    strategic_merge,
)
from sugarlab.sim.machinery.errors import ApiError
from sugarlab.sim.machinery.resources import STREAMED_SUBRESOURCES, ResourceType, find, groups
from sugarlab.sim.machinery.selectors import field_matcher, label_matcher
from sugarlab.sim.storage import paging
from sugarlab.sim.storage.deletion import delete_object
from sugarlab.sim.storage.store import Store
from sugarlab.sim.storage.watch import Watch, embed, include_object
from sugarlab.sim.world import metrics, nas
from sugarlab.sim.world.machines import Machines

log = logging.getLogger("sugarlab.sim")
PROXY_TIMEOUT_S = 120.0
SUBRESOURCE_VERBS = {
    "log": ["get"],
    "eviction": ["create"],
    "exec": ["create", "get"],
    "portforward": ["create", "get"],
}
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
    "proxy-authorization",
    "authorization",
}


@dataclass(frozen=True)
class Target:
    rt: ResourceType
    namespace: str | None  # None: across all namespaces (or cluster-scoped)
    name: str
    subresource: str


def _not_found() -> ApiError:
    return ApiError.no_route(404)


class SimApi:
    def __init__(
        self,
        store: Store,
        machines: Machines,
        kubelet: KubeletClient,
        seed: int,
        version: str,
        metrics_server: bool,
        state_dir: Path,
    ) -> None:
        self.state_dir = state_dir
        self.store, self.machines, self.kubelet, self.seed = store, machines, kubelet, seed
        self._next_endpoint = 0
        self.version, self.metrics_server = version, metrics_server
        self.last_request = time.monotonic()
        self.open_watches = 0
        self.commit = hashlib.sha1(version.encode()).hexdigest()

    def app(self, **kwargs: Any) -> ASGIApp:
        methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
        app = Starlette(
            routes=[Route("/{path:path}", self.handle, methods=methods), WebSocketRoute("/{path:path}", self.exec)],
            **kwargs,
        )

        async def dated(scope: Scope, receive: Receive, send: Send) -> None:
            """Stamp responses with the cluster's (virtual) time, as an API server does with its own."""

            async def send_dated(message: Message) -> None:
                if message["type"] == "http.response.start":
                    date = formatdate(self.store.clock.now().timestamp(), usegmt=True).encode()
                    message["headers"] = [*message.get("headers", []), (b"date", date)]
                await send(message)

            await app(scope, receive, send_dated)

        return admission.with_warnings(dated)

    # -- dispatch ---------------------------------------------------------------------------------
    async def handle(self, request: Request) -> Response:
        self.last_request = time.monotonic()
        parts = [p for p in request.url.path.split("/") if p]
        try:
            if parts in (["healthz"], ["livez"], ["readyz"]):
                return PlainTextResponse("ok")
            if parts == ["version"]:
                return JSONResponse(self._version())
            if parts[:1] == ["openapi"]:
                return openapi.serve(request, parts[1:])
            if parts[:3] == ["sugarlab", "v1", "machines"]:
                try:
                    return await self._machine_request(request, parts[3:])
                except (KeyError, TypeError, ValueError, AttributeError) as exc:
                    raise ApiError.bad_request(f"malformed machine request: {type(exc).__name__}: {exc}") from None
            if parts[:3] == ["sugarlab", "v1", "nas"]:
                return await self._nas_request(request, parts[3:])
            if len(parts) >= 7 and parts[:3] == ["api", "v1", "namespaces"] and parts[4:7:2] == ["services", "proxy"]:
                return await self._service_proxy(request, parts[3], parts[5], "/".join(parts[7:]))
            if parts in (["api"], ["apis"]) and wants_aggregated(request.headers.get("accept", "")):
                return JSONResponse(
                    aggregated(groups(self.metrics_server), parts == ["api"], SUBRESOURCE_VERBS),
                    media_type=DISCOVERY_V2,
                )
            if parts == ["api"]:
                return JSONResponse(
                    {
                        "kind": "APIVersions",
                        "versions": ["v1"],
                        "serverAddressByClientCIDRs": [
                            {"clientCIDR": "0.0.0.0/0", "serverAddress": request.url.netloc}
                        ],
                    }
                )
            if parts == ["apis"]:
                return JSONResponse(
                    {
                        "kind": "APIGroupList",
                        "apiVersion": "v1",
                        "groups": [self._group(g) for g in groups(self.metrics_server) if g],
                    }
                )
            if len(parts) == 2 and parts[0] == "apis":
                if parts[1] not in groups(self.metrics_server):
                    raise _not_found()
                return JSONResponse({"kind": "APIGroup", "apiVersion": "v1", **self._group(parts[1])})
            if parts[:1] == ["api"] and len(parts) >= 2:
                group, version, rest = "", parts[1], parts[2:]
            elif parts[:1] == ["apis"] and len(parts) >= 3:
                group, version, rest = parts[1], parts[2], parts[3:]
            else:
                raise _not_found()
            bodies.negotiate(request.headers.get("accept", ""))
            check_query(request.query_params)
            if version not in groups(self.metrics_server).get(group, {}):
                raise _not_found()
            if not rest:
                return JSONResponse(self._resource_list(group, version))
            target = self._resolve(group, version, rest)
            if target.rt.group == "metrics.k8s.io":
                return self._metrics(request, target)
            return await (dry_run.view(self) if await dry_run.requested(request) else self)._serve(request, target)
        except ApiError as exc:
            return exc.response()
        except Exception as exc:  # a bug must still answer as kube-apiserver does: a Status, never a bare 500
            log.exception("%s %s failed", request.method, request.url.path)
            return ApiError.internal(f"{type(exc).__name__}: {exc}").response()

    def _resolve(self, group: str, version: str, rest: list[str]) -> Target:
        namespace = None
        if len(rest) >= 3 and rest[0] == "namespaces":
            rt = find(group, version, rest[2], self.metrics_server)
            if rt is not None and rt.namespaced:
                namespace, rest = rest[1], rest[2:]
        rt = find(group, version, rest[0], self.metrics_server)
        if rt is None or len(rest) > 3 or (rt.namespaced and namespace is None and len(rest) > 1):
            raise _not_found()
        name = rest[1] if len(rest) > 1 else ""
        subresource = rest[2] if len(rest) > 2 else ""
        if subresource and subresource not in rt.subresources:
            raise _not_found()
        return Target(rt, namespace if rt.namespaced else "", name, subresource)

    async def _serve(self, request: Request, target: Target) -> Response:
        method, query = request.method, request.query_params
        if not target.name:
            if method == "GET" and query.get("watch") in ("true", "1"):
                return self._watch(target, query, wants_table(request.headers.get("accept", "")))
            if method == "GET" and wants_table(request.headers.get("accept", "")):
                return JSONResponse(self._list_table(target, query))
            if method == "GET":
                return JSONResponse(self._list(target, query))
            if method == "POST":
                return JSONResponse(self._create(target, await self._body(request, target=target)), status_code=201)
            if method == "DELETE":
                return JSONResponse(self._delete_collection(target, query))
        else:
            if target.subresource in STREAMED_SUBRESOURCES:  # served only as upgraded connections
                raise ApiError.bad_request("Upgrade request required")
            if target.subresource == "scale":
                body = await self._body(request) if method in ("PUT", "PATCH") else None
                content_type = request.headers.get("content-type", "").split(";")[0].strip()
                return JSONResponse(
                    serve_scale(self.store, target.rt, target.namespace or "", target.name, method, content_type, body)
                )
            if target.subresource == "eviction" and method == "POST":
                body = await self._body(request, required=False, target=target)
                return JSONResponse(evict(self.store, target.namespace or "", target.name, body), status_code=201)
            if target.subresource == "log" and method == "GET":
                pod = self.store.get(target.rt, target.namespace or "", target.name)
                try:
                    real = self.kubelet.processes.log(
                        pod["metadata"]["uid"], query.get("container"), query.get("previous") in ("true", "1")
                    )
                except LookupError as missing:  # kubelet's answer to --previous before any restart
                    raise ApiError.bad_request(
                        f'previous terminated container "{missing}" in pod "{target.name}" not found'
                    ) from None
                return PlainTextResponse(real if real is not None else pod_log(pod, query))
            if method == "GET":
                obj = self.store.get(target.rt, target.namespace or "", target.name)
                if wants_table(request.headers.get("accept", "")):
                    return JSONResponse(
                        table(target.rt.kind, [obj], self.store.clock.now(), str(self.store.resource_version))
                    )
                return JSONResponse(obj)
            if method == "PUT":
                return JSONResponse(self._replace(target, await self._body(request, target=target)))
            if method == "PATCH":
                return await self._patch(request, target)
            if method == "DELETE":
                admit_delete(target.rt, target.name)
                body = await self._body(request, required=False, target=target) or {}
                grace = body.get("gracePeriodSeconds", request.query_params.get("gracePeriodSeconds"))
                return JSONResponse(
                    delete_object(
                        self.store,
                        target.rt,
                        target.namespace or "",
                        target.name,
                        None if grace is None else int(grace),
                    )
                )
        raise ApiError.no_route(405)

    # -- reads ------------------------------------------------------------------------------------
    def _matcher(self, target: Target, query: Any) -> Callable[[Obj], bool]:
        labels = label_matcher(query.get("labelSelector"))
        fields = field_matcher(query.get("fieldSelector"), target.rt.fields, target.rt.kind)
        return lambda obj: labels(obj) and fields(obj)

    def _matching(self, target: Target, query: Any) -> list[Obj]:
        matches = self._matcher(target, query)
        return [o for o in self.store.list(target.rt, target.namespace) if matches(o)]

    def _list(self, target: Target, query: Any) -> Obj:
        listed = paging.page(self.store, target.rt, target.namespace, query, self._matcher(target, query))
        for item in listed.items:
            item.pop("apiVersion", None)
            item.pop("kind", None)
        return {
            "kind": target.rt.list_kind,
            "apiVersion": target.rt.api_version,
            "metadata": listed.metadata,
            "items": listed.items,
        }

    def _list_table(self, target: Target, query: Any) -> Obj:
        listed = paging.page(self.store, target.rt, target.namespace, query, self._matcher(target, query))
        rows = table(target.rt.kind, listed.items, self.store.clock.now(), listed.metadata["resourceVersion"])
        return embed(rows, listed.items, include_object(query)) | {"metadata": listed.metadata}

    def _watch(self, target: Target, query: Any, as_table: bool) -> StreamingResponse:
        def tabulate(objects: list[Obj], now: datetime, rv: str) -> Obj:
            return table(target.rt.kind, objects, now, rv)

        def count(change: int) -> None:
            self.open_watches += change

        return Watch(
            self.store, target.rt, target.namespace, query, self._matcher(target, query), tabulate if as_table else None
        ).response(count)

    # -- writes -----------------------------------------------------------------------------------
    async def _body(self, request: Request, required: bool = True, target: Target | None = None) -> Any:
        raw = await bodies.read(request)
        if not raw and not required:
            return None
        kind, api_version = bodies.decoded_into(request.method, target.rt, target.subresource) if target else ("", "")
        return bodies.decode(raw, request.headers.get("content-type", ""), kind, api_version)

    def _prepare(self, target: Target, body: Any) -> Obj:
        if not isinstance(body, dict):
            raise ApiError.bad_request("the request body must be a JSON object")
        rt = target.rt
        if body.get("kind", rt.kind) != rt.kind or body.get("apiVersion", rt.api_version) != rt.api_version:
            raise ApiError.bad_request(
                f"the API version in the data ({body.get('apiVersion')}) and kind ({body.get('kind')}) do not "
                f"match the endpoint {rt.api_version}, {rt.plural}"
            )
        body = admission.decode_body(rt, body)
        meta = body.setdefault("metadata", {})
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
        normalize(rt.kind, body)
        return body

    def _create(self, target: Target, body: Any) -> Obj:
        if target.namespace is None and target.rt.namespaced:
            raise _not_found()
        obj = admission.admit(target.rt, self._prepare(target, body))
        for field in ("uid", "resourceVersion", "creationTimestamp", "deletionTimestamp"):
            obj["metadata"].pop(field, None)
        admit_create(self.store, target.rt, obj)
        if target.rt.kind == "Pod":
            default_pod(obj)
        elif target.rt.kind == "Deployment":
            default_deployment(obj)
        elif target.rt.kind == "StatefulSet":
            default_statefulset(obj)
        elif target.rt.kind == "PersistentVolumeClaim":
            default_claim(obj)
        elif target.rt.kind == "Service":
            default_service(obj, self.store)
        elif target.rt.kind == "Job":
            default_job(obj)
            obj["metadata"]["uid"] = str(uuid.uuid4())
            job_labels(obj)
        elif target.rt.kind == "Namespace":
            obj["status"] = {"phase": "Active"}
            obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = obj["metadata"].get("name", "")
        default_new(target.rt.kind, obj)
        return self.store.create(target.rt, obj)

    def _replace(self, target: Target, body: Any) -> Obj:
        obj = self._prepare(target, body)
        current = self.store.get(target.rt, target.namespace or "", target.name)
        if target.subresource == "status":
            current["status"] = obj.get("status", {})
            new = current
        else:
            new = obj | {"status": current.get("status")} if "status" in current else obj
        return self.store.replace(
            target.rt, admission.admit(target.rt, new, current), expect_rv=obj["metadata"].get("resourceVersion")
        )

    async def _patch(self, request: Request, target: Target) -> Response:
        content_type = request.headers.get("content-type", "").split(";")[0].strip()
        if content_type not in PATCH_TYPES:
            return JSONResponse(
                ApiError(
                    415,
                    "UnsupportedMediaType",
                    f"the body of the request was in an unknown format - accepted media "
                    f"types include: {', '.join(PATCH_TYPES)}",
                ).status(),
                status_code=415,
            )
        body = await self._body(request, target=target)
        namespace = target.namespace or ""
        if content_type == APPLY_PATCH:
            if not request.query_params.get("fieldManager"):
                raise ApiError.bad_request("PATCH, fieldManager is required for apply requests")
            current = self.store.find(target.rt, namespace, target.name)
            if current is None:
                return JSONResponse(
                    self._create(Target(target.rt, target.namespace, "", ""), self._prepare(target, body)),
                    status_code=201,
                )
            patched = strategic_merge(current, self._prepare(target, body))
        else:
            current = self.store.get(target.rt, namespace, target.name)
            patched = apply_patch(content_type, current, body)
        patched = admission.decode_patched(target.rt, patched, body if content_type == STRATEGIC_MERGE_PATCH else None)
        normalize(target.rt.kind, patched)
        if target.subresource == "status":
            patched = current | {"status": patched.get("status", {})}
        elif "status" in current:
            patched["status"] = current["status"]
        for fixed in ("name", "namespace", "uid"):
            if fixed in current["metadata"]:
                patched.setdefault("metadata", {})[fixed] = current["metadata"][fixed]
        patched["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
        return JSONResponse(self.store.replace(target.rt, admission.admit(target.rt, patched, current)))

    def _delete_collection(self, target: Target, query: Any) -> Obj:
        deleted = [
            delete_object(self.store, target.rt, o["metadata"].get("namespace", ""), o["metadata"]["name"])
            for o in self._matching(target, query)
        ]
        return {
            "kind": target.rt.list_kind,
            "apiVersion": target.rt.api_version,
            "metadata": {"resourceVersion": str(self.store.resource_version)},
            "items": deleted,
        }

    # -- exec and port-forward ------------------------------------------------------------------
    async def exec(self, websocket: WebSocket) -> None:
        """An open exec or port-forward session keeps the server from stopping idle, as an open watch does."""
        self.last_request = time.monotonic()
        self.open_watches += 1
        try:
            await self.kubelet.streams.serve(websocket)
        finally:
            self.open_watches -= 1
            self.last_request = time.monotonic()

    # -- the API server's service proxy ----------------------------------------------------------
    async def _service_proxy(self, request: Request, namespace: str, service: str, path: str) -> Response:
        """Forward to a ready pod behind the service that runs for real; round robin, as kube-proxy spreads."""
        name = service.split(":")[1] if service.count(":") == 2 else service.split(":")[0]
        svc = self.store.get(self.store.kind("Service"), namespace, name)
        selector = (svc.get("spec") or {}).get("selector") or {}
        ports = [
            self.kubelet.processes.endpoint(p["metadata"]["uid"])
            for p in self.store.view(self.store.kind("Pod"), namespace)
            if selector
            and all((p["metadata"].get("labels") or {}).get(k) == v for k, v in selector.items())
            and any(c["type"] == "Ready" and c["status"] == "True" for c in p.get("status", {}).get("conditions", []))
        ]
        ready = [port for port in ports if port]
        if not ready:
            raise ApiError(503, "ServiceUnavailable", f'no endpoints available for service "{name}"')
        self._next_endpoint += 1
        port = ready[self._next_endpoint % len(ready)]
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        # Plain HTTP to 127.0.0.1: no TLS context to build (loading the CA bundle costs ~20 ms a request).
        async with httpx.AsyncClient(timeout=PROXY_TIMEOUT_S, verify=False) as upstream:
            answer = await upstream.request(
                request.method,
                f"http://127.0.0.1:{port}/{path}",
                params=request.query_params,
                headers=headers,
                content=await request.body(),
            )
        kept = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP | {"content-encoding"}}
        return Response(answer.content, status_code=answer.status_code, headers=kept)

    # -- the machines behind the nodes (not part of the Kubernetes API) -------------------------
    async def _machine_request(self, request: Request, rest: list[str]) -> Response:
        machines = self.machines.all()
        if not rest and request.method == "GET":
            return JSONResponse(
                {
                    name: {"profile": m.profile, "ip": m.ip, "k3s": m.k3s, "fault": m.fault, "powered": m.powered}
                    for name, m in machines.items()
                }
            )
        body = await self._body(request)
        if not rest and request.method == "POST":
            try:
                machine = self.machines.provision(body["name"], body.get("profile", "pi4-4gb"), body.get("fault", ""))
            except (KeyError, ValueError) as exc:
                raise ApiError.bad_request(f"cannot provision a machine: {exc}") from None
            return JSONResponse({"name": machine.name, "ip": machine.ip}, status_code=201)
        if len(rest) != 2 or rest[0] not in machines:
            raise ApiError.not_found("machines", rest[0] if rest else "")
        if rest[1] == "exec" and request.method == "POST":
            answer = self.machines.run(rest[0], body["command"])
            return JSONResponse({"exit_status": answer.exit_status, "stdout": answer.stdout, "stderr": answer.stderr})
        if rest[1] == "power" and request.method == "POST":
            if not isinstance(body, dict) or not isinstance(body.get("on"), bool):
                raise ApiError.bad_request('power takes {"on": true} or {"on": false}')
            machine = self.machines.power(rest[0], body["on"])
            return JSONResponse({"name": machine.name, "powered": machine.powered, "since": machine.power_changed})
        if rest[1] == "files" and request.method == "PUT":
            self.machines.write_file(
                rest[0], body["path"], base64.b64decode(body["data"]), body["mode"], body.get("dir_mode")
            )
            return Response(status_code=204)
        raise _not_found()

    async def _nas_request(self, request: Request, rest: list[str]) -> Response:
        """The NAS's fault switch: `GET /sugarlab/v1/nas`; `POST /sugarlab/v1/nas/power` with {"on": bool}."""
        if rest == ["power"] and request.method == "POST":
            body = await self._body(request)
            if not isinstance(body, dict) or not isinstance(body.get("on"), bool):
                raise ApiError.bad_request('power takes {"on": true} or {"on": false}')
            nas.set_answering(self.state_dir, body["on"], self.store.clock.stamp())
        elif rest or request.method != "GET":
            raise _not_found()
        return JSONResponse(
            {
                "server": nas.SERVER,
                "export": nas.EXPORT,
                "powered": nas.answering(self.state_dir),
                "since": nas.down_since(self.state_dir),
            }
        )

    # -- discovery and metrics --------------------------------------------------------------------
    def _version(self) -> Obj:
        major, minor = self.version.lstrip("v").split(".")[:2]
        return {
            "major": major,
            "minor": minor,
            "gitVersion": self.version,
            "gitCommit": self.commit,
            "gitTreeState": "clean",
            "buildDate": "2025-09-02T18:14:05Z",
            "goVersion": "go1.24.6",
            "compiler": "gc",
            "platform": "linux/arm64",
        }

    def _group(self, group: str) -> Obj:
        versions = [{"groupVersion": f"{group}/{v}", "version": v} for v in groups(self.metrics_server)[group]]
        return {"name": group, "versions": versions, "preferredVersion": versions[0]}

    def _resource_list(self, group: str, version: str) -> Obj:
        resources: list[Obj] = []
        for rt in groups(self.metrics_server)[group][version]:
            resources.append(
                {
                    "name": rt.plural,
                    "singularName": rt.kind.lower(),
                    "namespaced": rt.namespaced,
                    "kind": rt.kind,
                    "verbs": list(rt.verbs),
                    "shortNames": list(rt.short_names),
                    **({"categories": list(rt.categories)} if rt.categories else {}),
                }
            )
            for sub in rt.subresources:
                verbs = SUBRESOURCE_VERBS.get(sub, ["get", "patch", "update"])
                resources.append(
                    {
                        "name": f"{rt.plural}/{sub}",
                        "singularName": "",
                        "namespaced": rt.namespaced,
                        "kind": rt.kind,
                        "verbs": verbs,
                    }
                )
                if sub == "eviction":  # kubectl drain evicts (rather than deletes) only where discovery says so
                    resources[-1] |= {"group": "policy", "version": "v1", "kind": "Eviction"}
        return {
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": f"{group}/{version}".lstrip("/"),
            "resources": resources,
        }

    def _metrics(self, request: Request, target: Target) -> Response:
        if request.method != "GET" or target.subresource:
            raise ApiError.method_not_allowed("metrics are read-only")
        nodes = self.store.view(self.store.kind("Node"))
        pods = self.store.view(self.store.kind("Pod"), target.namespace if target.rt.plural == "pods" else None)
        now = self.store.clock.now()
        if target.rt.plural == "nodes":
            items = metrics.node_metrics(nodes, pods, self.seed, now, self.kubelet.processes.usage)
        else:
            items = metrics.pod_metrics(nodes, pods, self.seed, now, self.kubelet.processes.usage)
        labels = label_matcher(request.query_params.get("labelSelector"))
        items = [i for i in items if labels(i)]
        if target.name:
            item = next((i for i in items if i["metadata"]["name"] == target.name), None)
            if item is None:
                raise ApiError.not_found(target.rt.plural, target.name, target.rt.group)
            return JSONResponse(item)
        return JSONResponse(
            {"kind": target.rt.list_kind, "apiVersion": target.rt.api_version, "metadata": {}, "items": items}
        )
