"""What each container image holds: the programs on its PATH and the real program behind each.

A simulated container runs its command for real on this machine (see `sugarlab.sim.kubelet.sandbox`), with
a PATH that holds only its image's programs. Each program is backed by the program of the same name
here: busybox's applets by Debian's busybox (so `sh` is busybox's ash, as in the image), a Debian
image's `sh` by dash, Python by the interpreter that runs the simulator. A program the image holds
but this machine lacks is left out, so the container reports it not found, as containerd would for
an image that really lacked it.

Contents are from the images themselves: busybox:1.36 holds busybox's applets and nothing else (no
`apk`, no `sqlite3`); alpine adds `apk` (apk-tools) beside busybox; the official python images add
`python3`/`python`/`pip` (the Debian `-slim` variant on dash and coreutils, the `-alpine` one on
busybox); the stress image runs `stress` as its entrypoint; cloud-bulldozer's fio image `fio`; the
nginx image `nginx` (Debian's) with the image's own configuration and pages (`nginx_image`), and it
is the one image here whose own command runs for real when a pod gives none.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from sugarlab.sim.world import nginx_image
from sugarlab.sim.world.nginx_image import Content

# The busybox applets a container script commonly calls (busybox 1.36's defconfig holds about 400).
BUSYBOX_APPLETS = (
    "sh",
    "ash",
    "awk",
    "basename",
    "cat",
    "chmod",
    "cp",
    "cut",
    "date",
    "dd",
    "df",
    "dirname",
    "du",
    "echo",
    "env",
    "expr",
    "false",
    "find",
    "free",
    "grep",
    "gzip",
    "head",
    "hostname",
    "id",
    "kill",
    "ln",
    "ls",
    "md5sum",
    "mkdir",
    "mktemp",
    "mv",
    "nc",
    "nslookup",
    "ping",
    "printenv",
    "printf",
    "ps",
    "pwd",
    "readlink",
    "rm",
    "rmdir",
    "sed",
    "seq",
    "sha256sum",
    "sleep",
    "sort",
    "stat",
    "sync",
    "tail",
    "tar",
    "tee",
    "test",
    "timeout",
    "top",
    "touch",
    "tr",
    "true",
    "uname",
    "uniq",
    "uptime",
    "vi",
    "wc",
    "wget",
    "whoami",
    "xargs",
    "yes",
)
# The coreutils, dash and bash of a Debian base image (debian:bookworm-slim), which python:*-slim uses.
DEBIAN_PROGRAMS = (
    "sh",
    "bash",
    "dash",
    "basename",
    "cat",
    "chmod",
    "cp",
    "cut",
    "date",
    "dd",
    "df",
    "dirname",
    "du",
    "echo",
    "env",
    "expr",
    "false",
    "find",
    "grep",
    "gzip",
    "head",
    "hostname",
    "id",
    "kill",
    "ln",
    "ls",
    "md5sum",
    "mkdir",
    "mktemp",
    "mv",
    "printenv",
    "printf",
    "ps",
    "pwd",
    "readlink",
    "rm",
    "rmdir",
    "sed",
    "seq",
    "sha256sum",
    "sleep",
    "sort",
    "stat",
    "sync",
    "tail",
    "tar",
    "tee",
    "test",
    "timeout",
    "touch",
    "tr",
    "true",
    "uname",
    "uniq",
    "wc",
    "whoami",
    "xargs",
    "yes",
)
PYTHON_PROGRAMS = ("python3", "python", "pip", "pip3")
# containerd's default PATH for a container whose image sets none (oci/spec defaults).
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
HOST_PATH = DEFAULT_PATH  # where this machine's programs are looked up


@dataclass(frozen=True)
class Image:
    """One image: the programs it holds, each backed by a program of this machine (`busybox`: an applet)."""

    programs: tuple[str, ...]
    busybox: bool  # its shell and tools are busybox applets
    catalogued: bool = True
    command: tuple[str, ...] = ()  # its ENTRYPOINT and CMD, run when the pod gives no command: modelled if none
    content: Content = Content()  # what it holds besides its programs


def _catalogue() -> dict[str, Image]:
    alpine = Image((*BUSYBOX_APPLETS, "apk"), busybox=True)
    return {
        "busybox": Image(BUSYBOX_APPLETS, busybox=True),
        "alpine": alpine,
        "python-slim": Image((*DEBIAN_PROGRAMS, *PYTHON_PROGRAMS), busybox=False),
        "python-alpine": Image((*BUSYBOX_APPLETS, "apk", *PYTHON_PROGRAMS), busybox=True),
        "python": Image((*DEBIAN_PROGRAMS, *PYTHON_PROGRAMS, "sqlite3", "curl", "git"), busybox=False),
        "alpine/stress": Image((*BUSYBOX_APPLETS, "apk", "stress"), busybox=True),
        "cloud-bulldozer/fio": Image((*DEBIAN_PROGRAMS, "fio"), busybox=False),
        "nginx": Image(
            (*DEBIAN_PROGRAMS, "nginx"), busybox=False, command=nginx_image.COMMAND, content=nginx_image.NGINX
        ),
    }


CATALOGUE = _catalogue()
# k3s's system images are single Go binaries on a scratch or distroless base: nothing but their entrypoint.
SYSTEM_ENTRYPOINTS = {
    "rancher/mirrored-coredns-coredns": "coredns",
    "rancher/local-path-provisioner": "local-path-provisioner",
    "rancher/mirrored-metrics-server": "metrics-server",
    "rancher/mirrored-library-traefik": "traefik",
    "rancher/klipper-lb": "entry",
    "rancher/klipper-helm": "helm_v3",
    "sig-storage/nfsplugin": "nfsplugin",
}


def image_name(image: str) -> str:
    """`registry/owner/name:tag@digest` -> `owner/name` (`name` for Docker's official images)."""
    name = image.rsplit("@", 1)[0]
    if ":" in name.rsplit("/", 1)[-1]:
        name = name.rsplit(":", 1)[0]
    parts = name.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]  # a registry host
    return "/".join(parts).removeprefix("library/")


def _tag(image: str) -> str:
    last = image.rsplit("@", 1)[0].rsplit("/", 1)[-1]
    return last.partition(":")[2]


def lookup(image: str) -> Image:
    """The catalogue's entry for `image`, or a generic one holding the program named like the image."""
    name = image_name(image)
    if name == "python":
        tag = _tag(image)
        variant = "python-alpine" if "alpine" in tag else "python-slim" if "slim" in tag else "python"
        return CATALOGUE[variant]
    if name in CATALOGUE:
        return CATALOGUE[name]
    for system, entrypoint in SYSTEM_ENTRYPOINTS.items():
        if name.endswith(system):
            return Image((entrypoint,), busybox=False)
    return Image((name.rsplit("/", 1)[-1],), busybox=False, catalogued=False)


def host_program(image: Image, program: str) -> Path | None:
    """The program of this machine that backs `program` of `image`, if this machine has one."""
    if image.busybox and program in BUSYBOX_APPLETS:
        found = shutil.which("busybox", path=HOST_PATH)
    elif program in ("python", "python3"):
        found = str(Path(sys.executable).resolve())
    elif program in ("pip", "pip3"):
        found = None  # installing packages would need the network: the container finds no pip
    elif program == "fio":  # the simulator's fio (`sugarlab.sim.world.fio`): $SUGARLAB_FIO when set
        found = shutil.which(os.environ.get("SUGARLAB_FIO") or "fio", path=HOST_PATH)
    elif program == "sh" and not image.busybox:
        found = shutil.which("dash", path=HOST_PATH) or shutil.which("sh", path=HOST_PATH)
    else:
        found = shutil.which(program, path=HOST_PATH)
    return Path(found).resolve() if found else None
