"""The resources themselves: `/api/<version>/...` and `/apis/<group>/<version>/...` for create, get, list,
watch, replace, patch (JSON, merge, strategic merge and server-side apply), delete and deletecollection,
with `?dryRun=All`, server-side tables, and the `status` subresource (k8s.io/apiserver pkg/endpoints/handlers
and pkg/registry/generic/registry's Store)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from sugarlab.common.objects import Obj
from sugarlab.sim.apis.defaults import default_new, normalize
from sugarlab.sim.apis.service_accounts import admit_pod
from sugarlab.sim.apiserver import dry_run
from sugarlab.sim.apiserver.admission import admission
from sugarlab.sim.apiserver.admission.admission_plugins import admit_create, admit_delete
from sugarlab.sim.apiserver.apiextensions import remove_instances
from sugarlab.sim.apiserver.context import Context
from sugarlab.sim.apiserver.printers.tables import table, wants_table
from sugarlab.sim.apiserver.query import check as check_query
from sugarlab.sim.apiserver.router import Match
from sugarlab.sim.apiserver.routes import metrics, subresources, unstored
from sugarlab.sim.apiserver.routes.discovery import resource_list
from sugarlab.sim.apiserver.routes.targets import Target, prepare, read_body, resolve
from sugarlab.sim.apiserver.services import default_service, keep_allocated
from sugarlab.sim.apiserver.wire import bodies
from sugarlab.sim.apiserver.wire.patch import (
    APPLY_PATCH,
    PATCH_TYPES,
    STRATEGIC_MERGE_PATCH,
    apply_patch,
    strategic_merge,
)
from sugarlab.sim.machinery.custom_resources import established_status
from sugarlab.sim.machinery.errors import ApiError
from sugarlab.sim.machinery.resources import UNSTORED_KINDS, groups
from sugarlab.sim.machinery.selectors import field_matcher, label_matcher
from sugarlab.sim.storage import paging
from sugarlab.sim.storage.deletion import delete_object
from sugarlab.sim.storage.watch import Watch, embed, include_object


async def group_version(ctx: Context, request: Request, match: Match) -> Response:
    """Everything under a group version: its APIResourceList, then each resource's paths."""
    group, version = match.values.get("group", ""), match.values["version"]
    bodies.negotiate(request.headers.get("accept", ""))
    check_query(request.query_params)
    custom = ctx.custom_types
    if version not in groups(ctx.metrics_server, custom).get(group, {}):
        raise ApiError.no_route(404)
    if not match.rest:
        return JSONResponse(resource_list(ctx, group, version))
    target = resolve(group, version, match.rest, ctx.metrics_server, custom)
    if target.rt.group == "metrics.k8s.io":
        return metrics.serve(ctx, request, target)
    ctx = dry_run.view(ctx) if await dry_run.requested(request) else ctx
    if target.rt.kind in UNSTORED_KINDS:
        return await unstored.serve(ctx, request, target)
    return await serve(ctx, request, target)


async def serve(ctx: Context, request: Request, target: Target) -> Response:
    method, query = request.method, request.query_params
    if not target.name:
        if method == "GET" and query.get("watch") in ("true", "1"):
            return _watch(ctx, target, query, wants_table(request.headers.get("accept", "")))
        if method == "GET" and wants_table(request.headers.get("accept", "")):
            return JSONResponse(_list_table(ctx, target, query))
        if method == "GET":
            return JSONResponse(_list(ctx, target, query))
        if method == "POST":
            return JSONResponse(create(ctx, target, await read_body(request, target=target)), status_code=201)
        if method == "DELETE":
            return JSONResponse(_delete_collection(ctx, target, query))
    else:
        answer = await subresources.serve(ctx, request, target)
        if answer is not None:
            return answer
        if method == "GET":
            obj = ctx.store.get(target.rt, target.namespace or "", target.name)
            if wants_table(request.headers.get("accept", "")):
                return JSONResponse(table(target.rt, [obj], ctx.store.clock.now(), str(ctx.store.resource_version)))
            return JSONResponse(obj)
        if method == "PUT":
            return JSONResponse(_replace(ctx, target, await read_body(request, target=target)))
        if method == "PATCH":
            return await _patch(ctx, request, target)
        if method == "DELETE":
            admit_delete(target.rt, target.name)
            if target.rt.kind == "CustomResourceDefinition":
                remove_instances(ctx.store, ctx.store.get(target.rt, "", target.name))
            body = await read_body(request, required=False, target=target) or {}
            grace = body.get("gracePeriodSeconds", request.query_params.get("gracePeriodSeconds"))
            return JSONResponse(
                delete_object(
                    ctx.store,
                    target.rt,
                    target.namespace or "",
                    target.name,
                    None if grace is None else int(grace),
                )
            )
    raise ApiError.no_route(405)


# -- reads ----------------------------------------------------------------------------------------
def _matcher(target: Target, query: Any) -> Callable[[Obj], bool]:
    labels = label_matcher(query.get("labelSelector"))
    fields = field_matcher(query.get("fieldSelector"), target.rt.fields, target.rt.kind)
    return lambda obj: labels(obj) and fields(obj)


def _matching(ctx: Context, target: Target, query: Any) -> list[Obj]:
    matches = _matcher(target, query)
    return [o for o in ctx.store.list(target.rt, target.namespace) if matches(o)]


def _list(ctx: Context, target: Target, query: Any) -> Obj:
    listed = paging.page(ctx.store, target.rt, target.namespace, query, _matcher(target, query))
    for item in listed.items:
        item.pop("apiVersion", None)
        item.pop("kind", None)
    return {
        "kind": target.rt.list_kind,
        "apiVersion": target.rt.api_version,
        "metadata": listed.metadata,
        "items": listed.items,
    }


def _list_table(ctx: Context, target: Target, query: Any) -> Obj:
    listed = paging.page(ctx.store, target.rt, target.namespace, query, _matcher(target, query))
    rows = table(target.rt, listed.items, ctx.store.clock.now(), listed.metadata["resourceVersion"])
    return embed(rows, listed.items, include_object(query)) | {"metadata": listed.metadata}


def _watch(ctx: Context, target: Target, query: Any, as_table: bool) -> StreamingResponse:
    def tabulate(objects: list[Obj], now: datetime, rv: str) -> Obj:
        return table(target.rt, objects, now, rv)

    def count(change: int) -> None:
        ctx.activity.open_watches += change

    return Watch(
        ctx.store, target.rt, target.namespace, query, _matcher(target, query), tabulate if as_table else None
    ).response(count)


# -- writes ---------------------------------------------------------------------------------------
def create(ctx: Context, target: Target, body: Any) -> Obj:
    if target.namespace is None and target.rt.namespaced:
        raise ApiError.no_route(404)
    obj = admission.admit(target.rt, prepare(target, body))
    for field in ("uid", "resourceVersion", "creationTimestamp", "deletionTimestamp"):
        obj["metadata"].pop(field, None)
    admit_create(ctx.store, target.rt, obj)
    if target.rt.kind == "Service":
        default_service(obj, ctx.store)
    default_new(target.rt.kind, obj)
    if target.rt.kind == "Pod":
        admit_pod(ctx.store, obj)
    if target.rt.kind == "CustomResourceDefinition":  # established at once: no other definition claims its names
        obj["status"] = established_status(obj, ctx.store.clock.stamp())
    return ctx.store.create(target.rt, obj)


def _replace(ctx: Context, target: Target, body: Any) -> Obj:
    obj = prepare(target, body)
    current = ctx.store.get(target.rt, target.namespace or "", target.name)
    if target.subresource == "status":
        current["status"] = obj.get("status", {})
        new = current
    else:
        new = obj | {"status": current.get("status")} if "status" in current else obj
        if target.rt.kind == "Service":
            keep_allocated(new, current)
    return ctx.store.replace(
        target.rt, admission.admit(target.rt, new, current), expect_rv=obj["metadata"].get("resourceVersion")
    )


async def _patch(ctx: Context, request: Request, target: Target) -> Response:
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
    body = await read_body(request, target=target)
    namespace = target.namespace or ""
    if content_type == APPLY_PATCH:
        if not request.query_params.get("fieldManager"):
            raise ApiError.bad_request("PATCH, fieldManager is required for apply requests")
        current = ctx.store.find(target.rt, namespace, target.name)
        if current is None:
            return JSONResponse(
                create(ctx, Target(target.rt, target.namespace, "", ""), prepare(target, body)),
                status_code=201,
            )
        patched = strategic_merge(current, prepare(target, body))
    else:
        current = ctx.store.get(target.rt, namespace, target.name)
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
    return JSONResponse(ctx.store.replace(target.rt, admission.admit(target.rt, patched, current)))


def _delete_collection(ctx: Context, target: Target, query: Any) -> Obj:
    deleted = [
        delete_object(ctx.store, target.rt, o["metadata"].get("namespace", ""), o["metadata"]["name"])
        for o in _matching(ctx, target, query)
    ]
    return {
        "kind": target.rt.list_kind,
        "apiVersion": target.rt.api_version,
        "metadata": {"resourceVersion": str(ctx.store.resource_version)},
        "items": deleted,
    }
