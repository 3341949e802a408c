"""What the official `nginx` image holds besides its program: its configuration, its pages, its users.

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

COMMAND = ("nginx", "-g", "daemon off;")

NGINX_CONF = """\
user  nginx;
worker_processes  auto;

error_log  /var/log/nginx/error.log notice;
pid        /var/run/nginx.pid;


events {
    worker_connections  1024;
}


http {
    include       /etc/nginx/mime.types;
    default_type  application/octet-stream;

    log_format  main  '$remote_addr - $remote_user [$time_local] "$request" '
                      '$status $body_bytes_sent "$http_referer" '
                      '"$http_user_agent" "$http_x_forwarded_for"';

    access_log  /var/log/nginx/access.log  main;

    sendfile        on;
    #tcp_nopush     on;

    keepalive_timeout  65;

    #gzip  on;

    include /etc/nginx/conf.d/*.conf;
}
"""

DEFAULT_CONF = """\
server {
    listen       80;
    listen  [::]:80;
    server_name  localhost;

    #access_log  /var/log/nginx/host.access.log  main;

    location / {
        root   /usr/share/nginx/html;
        index  index.html index.htm;
    }

    #error_page  404              /404.html;

    # redirect server error pages to the static page /50x.html
    #
    error_page   500 502 503 504  /50x.html;
    location = /50x.html {
        root   /usr/share/nginx/html;
    }
}
"""

INDEX_HTML = """\
<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
"""

FIFTY_X_HTML = """\
<!DOCTYPE html>
<html>
<head>
<title>Error</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>An error occurred.</h1>
<p>Sorry, the page you are looking for is currently unavailable.<br/>
Please try again later.</p>
<p>If you are the system administrator of this resource then you should check
the error log for details.</p>
<p><em>Faithfully yours, nginx.</em></p>
</body>
</html>
"""

PASSWD = "root:x:0:0:root:/root:/bin/bash\nnginx:x:101:101:nginx user:/nonexistent:/bin/false\n"
GROUP = "root:x:0:\nnginx:x:101:\n"


@dataclass(frozen=True)
class Content:
    """Files of an image beyond its programs, laid into the container's root by `sandbox`."""

    files: dict[str, str] = field(default_factory=dict)  # path -> the text the image holds there
    host_files: dict[str, str] = field(default_factory=dict)  # path -> this machine's file that is the same
    writable: tuple[str, ...] = ()  # directories its programs write into, empty at start
    links: dict[str, str] = field(default_factory=dict)  # path -> the symbolic link's target
    capabilities: tuple[str, ...] = ()  # what its program needs beyond a user namespace's root (switching users)


NGINX = Content(
    files={
        "/etc/nginx/nginx.conf": NGINX_CONF,
        "/etc/nginx/conf.d/default.conf": DEFAULT_CONF,
        "/usr/share/nginx/html/index.html": INDEX_HTML,
        "/usr/share/nginx/html/50x.html": FIFTY_X_HTML,
        "/etc/passwd": PASSWD,
        "/etc/group": GROUP,
    },
    host_files={"/etc/nginx/mime.types": "/etc/nginx/mime.types"},
    writable=("/var/log/nginx", "/var/cache/nginx", "/var/lib/nginx", "/run"),
    links={
        "/var/log/nginx/access.log": "/dev/stdout",
        "/var/log/nginx/error.log": "/dev/stderr",
        "/var/run": "/run",
    },
    capabilities=("CAP_SETUID", "CAP_SETGID", "CAP_CHOWN", "CAP_NET_BIND_SERVICE"),
)
