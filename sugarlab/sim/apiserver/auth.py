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

from sugarlab.common.objects import Obj
from sugarlab.sim.machinery.errors import ApiError

# Whom the token stands for: k3s's admin kubeconfig carries a client certificate for CN=system:admin,
# O=system:masters, and the authenticator adds system:authenticated to every user it authenticates.
ADMIN: Obj = {"username": "system:admin", "groups": ["system:masters", "system:authenticated"]}
# k3s's --api-audiences (pkg/daemons/control/server.go): tokens without audiences are good for these.
API_AUDIENCES = ("https://kubernetes.default.svc.cluster.local", "k3s")


def accepts(offered: str, token: str) -> bool:
    return hmac.compare_digest(offered.encode(), token.encode())


def authenticated(app: ASGIApp, token: str) -> ASGIApp:
    async def guard(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await app(scope, receive, send)
            return
        offered = Headers(scope=scope).get("authorization", "")
        if offered.startswith("Bearer ") and accepts(offered.removeprefix("Bearer "), token):
            await app(scope, receive, send)
        elif scope["type"] == "http":
            await ApiError.unauthorized().response()(scope, receive, send)
        else:
            await WebSocket(scope, receive, send).send_denial_response(ApiError.unauthorized().response())

    return guard
