"""The kinds kube-apiserver answers without storing them: `bindings` (and `pods/binding`, served with the
pod's subresources), `componentstatuses`, `tokenreviews` and `selfsubjectreviews`. Each takes only the
verbs its discovery lists; any other is the API server's 405."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sugarlab.sim.apiserver.admission import admission
from sugarlab.sim.apiserver.binding import bind
from sugarlab.sim.apiserver.component_status import DEPRECATED, component, component_list
from sugarlab.sim.apiserver.context import Context
from sugarlab.sim.apiserver.printers.tables import table, wants_table
from sugarlab.sim.apiserver.reviews import self_subject_review, token_review
from sugarlab.sim.apiserver.routes.targets import Target, prepare, read_body
from sugarlab.sim.machinery.errors import ApiError


async def serve(ctx: Context, request: Request, target: Target) -> Response:
    kind = target.rt.kind
    if kind == "ComponentStatus":
        admission.warn(DEPRECATED)
        if request.method != "GET" or request.query_params.get("watch") in ("true", "1"):
            raise ApiError.no_route(405)
        if target.name:
            found = [component(target.name)]
            answer = found[0]
        else:
            answer = component_list()
            found = answer["items"]
        if wants_table(request.headers.get("accept", "")):
            return JSONResponse(table(target.rt, found, ctx.store.clock.now(), str(ctx.store.resource_version)))
        return JSONResponse(answer)
    if request.method != "POST" or target.name:
        raise ApiError.no_route(405)
    obj = prepare(target, await read_body(request, target=target))
    if kind == "Binding":
        return JSONResponse(bind(ctx.store, target.namespace or "", obj["metadata"].get("name", ""), obj), 201)
    if kind == "TokenReview":
        return JSONResponse(token_review(obj, ctx.token), 201)
    return JSONResponse(self_subject_review(obj), 201)


async def bind_pod(ctx: Context, request: Request, target: Target) -> Response:
    """`POST pods/<name>/binding`."""
    binding = Target(ctx.store.kind("Binding"), target.namespace, "", "")
    obj = prepare(binding, await read_body(request, target=target))
    return JSONResponse(bind(ctx.store, target.namespace or "", target.name, obj), 201)
