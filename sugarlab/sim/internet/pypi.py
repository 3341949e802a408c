"""PyPI: `pypi.org`'s simple index and `files.pythonhosted.org`'s files, for the distributions installed here.

The index answers as Warehouse does (warehouse/api/simple.py): PEP 503 HTML or PEP 691 JSON as the client's
`Accept` asks (pip asks for JSON first), PEP 700's `versions`, PEP 658/714 metadata beside each wheel, and a
301 to the normalised name when a request names a project otherwise (`/simple/PyYAML/` to `/simple/pyyaml/`).
A project not installed here is a 404, as PyPI answers an unknown one. Files live at Warehouse's
`/packages/<blake2b-256 split 2/2/60>/<filename>` on files.pythonhosted.org.
"""

from __future__ import annotations

import html
import json

import anyio.to_thread
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from sugarlab.sim.internet.wheels import Built, Wheelhouse, normalize, wheel_name

FILES = "https://files.pythonhosted.org"
JSON = "application/vnd.pypi.simple.v1+json"
HTML = "application/vnd.pypi.simple.v1+html"
API_VERSION = "1.1"


def _negotiate(accept: str) -> str:
    """The content type PEP 691's negotiation picks from `accept`: the best-quality one served, else text/html."""
    best, best_q = "text/html", 0.0
    for item in accept.split(","):
        media, *params = (part.strip() for part in item.split(";"))
        q = next((float(p[2:]) for p in params if p.startswith("q=")), 1.0)
        if media in (JSON, HTML, "text/html") and q > best_q:
            best, best_q = media, q
    return best


def file_url(built: Built) -> str:
    digest = built.blake2b
    return f"{FILES}/packages/{digest[:2]}/{digest[2:4]}/{digest[4:]}/{built.filename}"


def _json_page(name: str, built: Built) -> bytes:
    entry = {
        "filename": built.filename,
        "url": file_url(built),
        "hashes": {"sha256": built.sha256},
        "requires-python": built.requires_python,
        "core-metadata": {"sha256": built.metadata_sha256},
        "data-dist-info-metadata": {"sha256": built.metadata_sha256},
        "yanked": False,
    }
    page = {"meta": {"api-version": API_VERSION}, "name": name, "versions": [built.version], "files": [entry]}
    return json.dumps(page).encode()


def _html_page(name: str, built: Built) -> bytes:
    requires = (
        f' data-requires-python="{html.escape(built.requires_python)}"' if built.requires_python is not None else ""
    )
    metadata = f"sha256={built.metadata_sha256}"
    return (
        "<!DOCTYPE html>\n<html>\n  <head>\n"
        f'    <meta name="pypi:repository-version" content="{API_VERSION}">\n'
        f"    <title>Links for {name}</title>\n  </head>\n  <body>\n    <h1>Links for {name}</h1>\n"
        f'    <a href="{file_url(built)}#sha256={built.sha256}"{requires}'
        f' data-dist-info-metadata="{metadata}" data-core-metadata="{metadata}">{built.filename}</a><br />\n'
        "  </body>\n</html>\n"
    ).encode()


def index_app(wheels: Wheelhouse) -> Starlette:
    """pypi.org: `/simple/` and `/simple/<project>/`."""

    async def root(request: Request) -> Response:
        kind = _negotiate(request.headers.get("accept", ""))
        names = sorted(wheels.projects)
        if kind == JSON:
            body = {"meta": {"api-version": API_VERSION}, "projects": [{"name": n} for n in names]}
            return Response(json.dumps(body), media_type=JSON)
        links = "".join(f'    <a href="/simple/{n}/">{n}</a>\n' for n in names)
        page = f"<!DOCTYPE html>\n<html>\n  <head>\n    <title>Simple index</title>\n  </head>\n  <body>\n{links}  </body>\n</html>\n"
        return Response(page, media_type=kind)

    async def project(request: Request) -> Response:
        asked: str = request.path_params["project"]
        name = normalize(asked)
        if asked != name or not request.url.path.endswith("/"):
            return RedirectResponse(f"/simple/{name}/", status_code=301)
        built = await anyio.to_thread.run_sync(wheels.get, name)
        if built is None:
            return PlainTextResponse("404 Not Found", status_code=404)
        kind = _negotiate(request.headers.get("accept", ""))
        body = _json_page(name, built) if kind == JSON else _html_page(name, built)
        return Response(body, media_type=kind)

    return Starlette(
        routes=[
            Route("/simple/", root),
            Route("/simple/{project}/", project),
            Route("/simple/{project}", project),
        ]
    )


def files_app(wheels: Wheelhouse) -> Starlette:
    """files.pythonhosted.org: `/packages/<digest path>/<filename>` and its PEP 658 `.metadata`."""
    by_filename = {wheel_name(dist): name for name, dist in wheels.projects.items()}

    async def package_file(request: Request) -> Response:
        filename: str = request.path_params["filename"]
        metadata = filename.endswith(".metadata")
        project = by_filename.get(filename.removesuffix(".metadata"))
        built = None if project is None else await anyio.to_thread.run_sync(wheels.get, project)
        digest = "".join(request.path_params[k] for k in ("a", "b", "rest"))
        if built is None or digest != built.blake2b:
            return PlainTextResponse("Not Found", status_code=404)
        if metadata:
            return Response(built.metadata, media_type="application/octet-stream")
        return FileResponse(built.path, media_type="application/octet-stream", filename=None)

    return Starlette(routes=[Route("/packages/{a}/{b}/{rest}/{filename}", package_file)])
