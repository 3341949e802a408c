"""exec, attach and port-forward as upgraded connections (websockets), handed to the kubelet's streaming
server as kube-apiserver proxies them to the kubelet (pkg/registry/core/pod/rest/subresources.go); plain HTTP
requests to them are refused in `subresources`."""

from __future__ import annotations

import time

from starlette.websockets import WebSocket

from sugarlab.sim.apiserver.context import Context


async def upgraded(ctx: Context, websocket: WebSocket) -> None:
    """An open exec or port-forward session keeps the server from stopping idle, as an open watch does."""
    ctx.activity.last_request = time.monotonic()
    ctx.activity.open_watches += 1
    try:
        await ctx.kubelet.streams.serve(websocket)
    finally:
        ctx.activity.open_watches -= 1
        ctx.activity.last_request = time.monotonic()
