"""The one ASGI application behind every host of the simulated internet, dispatching on the `Host` header
(all hosts share one certificate, so TLS needs no SNI routing), and the plain-HTTP one that redirects to HTTPS.
"""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Host as HostRoute
from starlette.routing import Route
from starlette.types import ASGIApp

from sugarlab.sim.internet.paths import PathsApp
from sugarlab.sim.internet.pypi import files_app, index_app
from sugarlab.sim.internet.wheels import Wheelhouse
from sugarlab.sim.world.internet import HOSTS


def https_app(state_dir: Path) -> Starlette:
    """Every catalogued host's answers; a request for any other host is a 404."""
    wheels = Wheelhouse(state_dir / "internet" / "wheels")
    apps: dict[str, ASGIApp] = {}
    for name, host in HOSTS.items():
        if host.serves == "pypi_index":
            apps[name] = index_app(wheels)
        elif host.serves == "pypi_files":
            apps[name] = files_app(wheels)
        else:
            apps[name] = PathsApp(host)
    return Starlette(routes=[*(HostRoute(name, app) for name, app in apps.items()), Route("/{path:path}", _unknown)])


async def _unknown(request: Request) -> Response:
    return PlainTextResponse("404: Not Found", status_code=404)


async def _to_https(request: Request) -> Response:
    """Port 80 of these hosts answers a 301 to the same URL over HTTPS (PyPI, GitHub and Wikimedia all do)."""
    host = request.headers.get("host", "").split(":")[0]
    if host not in HOSTS:
        return PlainTextResponse("404: Not Found", status_code=404)
    return RedirectResponse(str(request.url.replace(scheme="https", netloc=host)), status_code=301)


def http_app() -> Starlette:
    return Starlette(routes=[Route("/{path:path}", _to_https, methods=["GET", "HEAD", "POST", "PUT", "DELETE"])])
