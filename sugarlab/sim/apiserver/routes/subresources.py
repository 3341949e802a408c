"""A pod's and a workload's subresources beyond status: `scale` (pkg/registry/apps/deployment's ScaleREST and
kin), `pods/eviction` (`apiserver.eviction`), `pods/binding` (`apiserver.binding`), `pods/log` (the kubelet's real log, or the modelled one), and
`exec`/`portforward`, which plain HTTP reaches only to be told to upgrade. `status` is served by `resources`,
as the main resource is, on its own part of the object."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from sugarlab.sim.apiserver.context import Context
from sugarlab.sim.apiserver.eviction import evict
from sugarlab.sim.apiserver.logs import pod_log
from sugarlab.sim.apiserver.routes.targets import Target, read_body
from sugarlab.sim.apiserver.routes.unstored import bind_pod
from sugarlab.sim.apiserver.scale import serve_scale
from sugarlab.sim.machinery.errors import ApiError
from sugarlab.sim.machinery.resources import STREAMED_SUBRESOURCES


async def serve(ctx: Context, request: Request, target: Target) -> Response | None:
    """The subresource's answer; None where the object's own handlers serve it (status, and other verbs)."""
    method, query = request.method, request.query_params
    if target.subresource in STREAMED_SUBRESOURCES:  # served only as upgraded connections
        raise ApiError.bad_request("Upgrade request required")
    if target.subresource == "scale":
        body = await read_body(request) if method in ("PUT", "PATCH") else None
        content_type = request.headers.get("content-type", "").split(";")[0].strip()
        return JSONResponse(
            serve_scale(ctx.store, target.rt, target.namespace or "", target.name, method, content_type, body)
        )
    if target.subresource == "eviction" and method == "POST":
        body = await read_body(request, required=False, target=target)
        return JSONResponse(evict(ctx.store, target.namespace or "", target.name, body), status_code=201)
    if target.subresource == "binding" and method == "POST":
        return await bind_pod(ctx, request, target)
    if target.subresource == "log" and method == "GET":
        pod = ctx.store.get(target.rt, target.namespace or "", target.name)
        try:
            real = ctx.kubelet.processes.log(
                pod["metadata"]["uid"], query.get("container"), query.get("previous") in ("true", "1")
            )
        except LookupError as missing:  # kubelet's answer to --previous before any restart
            raise ApiError.bad_request(
                f'previous terminated container "{missing}" in pod "{target.name}" not found'
            ) from None
        return PlainTextResponse(real if real is not None else pod_log(pod, query))
    return None
