"""The REST surface of the simulated API server, with the paths, bodies and `Status` errors of the real one:
a table of routes (`ROUTES`, tried in order) to the endpoint families of `apiserver.routes`, and the
websocket upgrades of exec and port-forward."""

from __future__ import annotations

import logging
import time
from email.utils import formatdate
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route as StarletteRoute
from starlette.routing import WebSocketRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket

from sugarlab.sim.apiserver.admission import admission
from sugarlab.sim.apiserver.context import Context
from sugarlab.sim.apiserver.kubelet_client import KubeletClient
from sugarlab.sim.apiserver.router import Route, route
from sugarlab.sim.apiserver.routes import control, discovery, proxy, resources, streaming
from sugarlab.sim.machinery.errors import ApiError
from sugarlab.sim.storage.store import Store
from sugarlab.sim.world.machines import Machines

log = logging.getLogger("sugarlab.sim")
ROUTES = [
    Route("healthz", discovery.health),
    Route("livez", discovery.health),
    Route("readyz", discovery.health),
    Route("version", discovery.version),
    Route("openapi/{path...}", discovery.openapi_documents),
    Route("sugarlab/v1/machines/{path...}", control.machines),
    Route("sugarlab/v1/nas/{path...}", control.nas_switch),
    Route("api/v1/namespaces/{namespace}/services/{service}/proxy/{path...}", proxy.service_proxy),
    Route("api", discovery.core_versions),
    Route("apis", discovery.group_list),
    Route("apis/{group}", discovery.group),
    Route("api/{version}/{path...}", resources.group_version),
    Route("apis/{group}/{version}/{path...}", resources.group_version),
]


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
        token: str,
    ) -> None:
        self.context = Context(store, machines, kubelet, seed, version, metrics_server, state_dir, token)

    @property
    def last_request(self) -> float:
        return self.context.activity.last_request

    @property
    def open_watches(self) -> int:
        return self.context.activity.open_watches

    def app(self, **kwargs: Any) -> ASGIApp:
        methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
        app = Starlette(
            routes=[
                StarletteRoute("/{path:path}", self.handle, methods=methods),
                WebSocketRoute("/{path:path}", self.exec),
            ],
            **kwargs,
        )

        async def dated(scope: Scope, receive: Receive, send: Send) -> None:
            """Stamp responses with the cluster's (virtual) time, as an API server does with its own."""

            async def send_dated(message: Message) -> None:
                if message["type"] == "http.response.start":
                    date = formatdate(self.context.store.clock.now().timestamp(), usegmt=True).encode()
                    message["headers"] = [*message.get("headers", []), (b"date", date)]
                await send(message)

            await app(scope, receive, send_dated)

        return admission.with_warnings(dated)

    async def handle(self, request: Request) -> Response:
        self.context.activity.last_request = time.monotonic()
        parts = [p for p in request.url.path.split("/") if p]
        try:
            found = route(ROUTES, parts)
            if found is None:
                raise ApiError.no_route(404)
            handler, match = found
            return await handler(self.context, request, match)
        except ApiError as exc:
            return exc.response()
        except Exception as exc:  # a bug must still answer as kube-apiserver does: a Status, never a bare 500
            log.exception("%s %s failed", request.method, request.url.path)
            return ApiError.internal(f"{type(exc).__name__}: {exc}").response()

    async def exec(self, websocket: WebSocket) -> None:
        await streaming.upgraded(self.context, websocket)
