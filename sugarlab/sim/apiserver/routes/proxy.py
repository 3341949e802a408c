"""The service proxy, `/api/v1/namespaces/<ns>/services/<service>/proxy/<path>` (pkg/registry/core/service's
ProxyREST): to one of the ready addresses of the service's Endpoints, as its ResourceLocation picks them,
here among the pods that run for real, round robin, as kube-proxy spreads. The endpoints controller
(`sugarlab.sim.controllers.endpoints`) keeps those addresses: ready pods, none being deleted."""

from __future__ import annotations

import httpx
from starlette.requests import Request
from starlette.responses import Response

from sugarlab.sim.apiserver.context import Context
from sugarlab.sim.apiserver.router import Match
from sugarlab.sim.machinery.errors import ApiError

PROXY_TIMEOUT_S = 120.0
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


async def service_proxy(ctx: Context, request: Request, match: Match) -> Response:
    namespace, service, path = match.values["namespace"], match.values["service"], "/".join(match.rest)
    name = service.split(":")[1] if service.count(":") == 2 else service.split(":")[0]
    ctx.store.get(ctx.store.kind("Service"), namespace, name)  # 404 for a service that does not exist
    endpoints = ctx.store.find(ctx.store.kind("Endpoints"), namespace, name) or {}
    pods = [
        address["targetRef"]["uid"]
        for subset in endpoints.get("subsets") or []
        for address in subset.get("addresses") or []
        if (address.get("targetRef") or {}).get("kind") == "Pod"
    ]
    ready = [port for port in map(ctx.kubelet.processes.endpoint, pods) if port]
    if not ready:
        raise ApiError(503, "ServiceUnavailable", f'no endpoints available for service "{name}"')
    ctx.activity.next_endpoint += 1
    port = ready[ctx.activity.next_endpoint % len(ready)]
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
