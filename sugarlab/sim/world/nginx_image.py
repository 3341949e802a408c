"""What the official `nginx` image holds besides its program: its configuration, its pages, its users
(`catalogue/nginx.yaml` holds them).

From the image's Dockerfile (nginxinc/docker-nginx, mainline/debian): a Debian base with the `nginx`
user and group (101), `/etc/nginx/nginx.conf` and `conf.d/default.conf` (a server on port 80 serving
`/usr/share/nginx/html`), the stock `index.html` ("Welcome to nginx!") and `50x.html`, the access and
error logs linked to the container's stdout and stderr, and the command `nginx -g 'daemon off;'`.
The program is Debian's `nginx` (the Makefile's `sim-packages`), which reads the same configuration
and whose `mime.types` is the one the image copies from nginx's sources. The image's entrypoint
script only runs the optional scripts of `/docker-entrypoint.d` before it runs its arguments; here
the arguments run directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sugarlab.sim.world.catalogues import Schema, load


@dataclass(frozen=True)
class Content:
    """Files of an image beyond its programs, laid into the container's root by `sandbox`."""

    files: dict[str, str] = field(default_factory=dict)  # path -> the text the image holds there
    host_files: dict[str, str] = field(default_factory=dict)  # path -> this machine's file that is the same
    writable: tuple[str, ...] = ()  # directories its programs write into, empty at start
    links: dict[str, str] = field(default_factory=dict)  # path -> the symbolic link's target
    capabilities: tuple[str, ...] = ()  # what its program needs beyond a user namespace's root (switching users)


class ImageContents(Schema):
    """`catalogue/nginx.yaml`: the image's command and the fields of its `Content`."""

    command: list[str]
    files: dict[str, str]
    host_files: dict[str, str]
    writable: list[str]
    links: dict[str, str]
    capabilities: list[str]


_CATALOGUE = load("nginx.yaml", ImageContents)

COMMAND = tuple(_CATALOGUE.command)
NGINX = Content(
    files=dict(_CATALOGUE.files),
    host_files=dict(_CATALOGUE.host_files),
    writable=tuple(_CATALOGUE.writable),
    links=dict(_CATALOGUE.links),
    capabilities=tuple(_CATALOGUE.capabilities),
)
NGINX_CONF = NGINX.files["/etc/nginx/nginx.conf"]
DEFAULT_CONF = NGINX.files["/etc/nginx/conf.d/default.conf"]
INDEX_HTML = NGINX.files["/usr/share/nginx/html/index.html"]
FIFTY_X_HTML = NGINX.files["/usr/share/nginx/html/50x.html"]
PASSWD = NGINX.files["/etc/passwd"]
GROUP = NGINX.files["/etc/group"]
