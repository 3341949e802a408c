"""Health, version, OpenAPI and discovery: `/healthz`, `/version`, `/openapi/...`, `/api`, `/apis`, `/apis/<group>`
and each group version's APIResourceList, as kube-apiserver serves them (k8s.io/apiserver pkg/endpoints/discovery)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from sugarlab.common.objects import Obj
from sugarlab.sim.apiserver.context import Context
from sugarlab.sim.apiserver.openapi import openapi
from sugarlab.sim.apiserver.openapi.discovery import MEDIA_TYPE as DISCOVERY_V2
from sugarlab.sim.apiserver.openapi.discovery import aggregated, wants_aggregated
from sugarlab.sim.apiserver.router import Match
from sugarlab.sim.machinery.errors import ApiError
from sugarlab.sim.machinery.resources import ResourceType, groups

SUBRESOURCE_VERBS = {
    "log": ["get"],
    "eviction": ["create"],
    "binding": ["create"],
    "exec": ["create", "get"],
    "portforward": ["create", "get"],
}


async def health(ctx: Context, request: Request, match: Match) -> Response:
    return PlainTextResponse("ok")


async def version(ctx: Context, request: Request, match: Match) -> Response:
    major, minor = ctx.version.lstrip("v").split(".")[:2]
    return JSONResponse(
        {
            "major": major,
            "minor": minor,
            "gitVersion": ctx.version,
            "gitCommit": ctx.commit,
            "gitTreeState": "clean",
            "buildDate": "2025-09-02T18:14:05Z",
            "goVersion": "go1.24.6",
            "compiler": "gc",
            "platform": "linux/arm64",
        }
    )


async def openapi_documents(ctx: Context, request: Request, match: Match) -> Response:
    return openapi.serve(request, match.rest)


async def core_versions(ctx: Context, request: Request, match: Match) -> Response:
    if wants_aggregated(request.headers.get("accept", "")):
        served = groups(ctx.metrics_server, ctx.custom_types)
        return JSONResponse(aggregated(served, True, SUBRESOURCE_VERBS), media_type=DISCOVERY_V2)
    return JSONResponse(
        {
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": request.url.netloc}],
        }
    )


async def group_list(ctx: Context, request: Request, match: Match) -> Response:
    served = groups(ctx.metrics_server, ctx.custom_types)
    if wants_aggregated(request.headers.get("accept", "")):
        return JSONResponse(aggregated(served, False, SUBRESOURCE_VERBS), media_type=DISCOVERY_V2)
    return JSONResponse(
        {"kind": "APIGroupList", "apiVersion": "v1", "groups": [_group(served, g) for g in served if g]}
    )


async def group(ctx: Context, request: Request, match: Match) -> Response:
    name = match.values["group"]
    served = groups(ctx.metrics_server, ctx.custom_types)
    if name not in served:
        raise ApiError.no_route(404)
    return JSONResponse({"kind": "APIGroup", "apiVersion": "v1", **_group(served, name)})


def _group(served: dict[str, dict[str, list[ResourceType]]], group: str) -> Obj:
    versions = [{"groupVersion": f"{group}/{v}", "version": v} for v in served[group]]
    return {"name": group, "versions": versions, "preferredVersion": versions[0]}


def resource_list(ctx: Context, group: str, version: str) -> Obj:
    resources: list[Obj] = []
    for rt in groups(ctx.metrics_server, ctx.custom_types)[group][version]:
        resources.append(
            {
                "name": rt.plural,
                "singularName": rt.singular_name,
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
            if sub == "binding":
                resources[-1]["kind"] = "Binding"
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}".lstrip("/"),
        "resources": resources,
    }
