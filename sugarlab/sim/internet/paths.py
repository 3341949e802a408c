"""A host that answers a few paths (`catalogue/internet.yaml`): GitHub's redirect of an LFS file, the file itself
from an installed package, a literal text; every other path 404, as the real host answers a missing file."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from starlette.types import Receive, Scope, Send

from sugarlab.sim.world.internet import Host


class PathsApp:
    def __init__(self, host: Host) -> None:
        self.paths = host.paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        answer = self.paths.get(request.url.path) if request.method in ("GET", "HEAD") else None
        response: Response
        if answer is None:
            response = PlainTextResponse("404: Not Found", status_code=404)
        elif answer.redirect is not None:
            response = RedirectResponse(answer.redirect, status_code=302)  # GitHub's raw endpoint answers 302
        elif answer.file is not None:
            response = FileResponse(answer.file.locate(), media_type=answer.content_type)
        else:
            response = Response(answer.text, media_type=answer.content_type)
        await response(scope, receive, send)
