"""Bearer-token authentication in front of the whole API, as kube-apiserver's authentication filter.

Every request, websocket upgrades included, must carry `Authorization: Bearer <token>`; anything else
is answered 401 with the body kube-apiserver writes (k8s.io/apiserver `pkg/endpoints/filters/
authentication.go` calls `responsewriters.ErrorNegotiated(apierrors.NewUnauthorized("Unauthorized"))`).
"""

from __future__ import annotations

import hmac

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from sugarlab.sim.machinery.errors import ApiError


def authenticated(app: ASGIApp, token: str) -> ASGIApp:
    expected = f"Bearer {token}".encode()

    async def guard(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await app(scope, receive, send)
            return
        offered = Headers(scope=scope).get("authorization", "").encode()
        if hmac.compare_digest(offered, expected):
            await app(scope, receive, send)
        elif scope["type"] == "http":
            await ApiError.unauthorized().response()(scope, receive, send)
        else:
            await WebSocket(scope, receive, send).send_denial_response(ApiError.unauthorized().response())

    return guard
