"""What each container image holds: the programs on its PATH and the real program behind each.

A simulated container runs its command for real on this machine (see `sugarlab.sim.kubelet.sandbox`), with
a PATH that holds only its image's programs. Each program is backed by the program of the same name
here: busybox's applets by Debian's busybox (so `sh` is busybox's ash, as in the image), a Debian
image's `sh` by the shell that behaves as its own (its `base`: dash for Debian 12, bash in POSIX mode for
Debian 13, whose dash has `pipefail`), Python by the interpreter that runs the simulator (whatever minor
version the tag names: `stand_in` says so) with pip from the image's own layer (`python_image`). A
program the image holds but this machine lacks is left out, so the container reports it not found, as
containerd would for an image that really lacked it.

`catalogue/images.yaml` lists what each image holds, from the images themselves; the nginx image is the
one image here whose own command runs for real when a pod gives none (`nginx_image` holds its files).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from sugarlab.common.kubectl import image_name
from sugarlab.sim.world import nginx_image
from sugarlab.sim.world.catalogues import Schema, load
from sugarlab.sim.world.nginx_image import Content


@dataclass(frozen=True)
class Image:
    """One image: the programs it holds, each backed by a program of this machine (`busybox`: an applet)."""

    programs: tuple[str, ...]
    busybox: bool  # its shell and tools are busybox applets
    catalogued: bool = True
    sh: Shell = "dash"  # the program of this machine behind its /bin/sh
    python: str | None = None  # the Python version (X.Y) it ships, with pip
    command: tuple[str, ...] = ()  # its ENTRYPOINT and CMD, run when the pod gives no command: modelled if none
    content: Content = field(default_factory=Content)  # what it holds besides its programs


Shell = Literal["dash", "bash", "busybox"]
Base = Literal["debian-13", "debian-12", "busybox"]


class BaseEntry(Schema):
    sh: Shell


class ProgramSets(Schema):
    """Programs that several images share."""

    busybox: list[str]
    debian: list[str]
    python: list[str]


class ProgramSet(Schema):
    """A reference, among an image's programs, to one of the `ProgramSets`."""

    set: Literal["busybox", "debian", "python"]


class ImageEntry(Schema):
    programs: list[str | ProgramSet]
    base: Base
    python: bool = False  # it ships Python and pip, of the version its tag names
    contents: Literal["nginx"] | None = None  # the catalogue of its command and files


class Images(Schema):
    """`catalogue/images.yaml`."""

    program_sets: ProgramSets
    bases: dict[Base, BaseEntry]
    tag_bases: dict[str, Base]
    python_latest: str
    default_path: str
    images: dict[str, ImageEntry]
    system_entrypoints: dict[str, str]

    def image(self, entry: ImageEntry) -> Image:
        programs = [
            p
            for item in entry.programs
            for p in (getattr(self.program_sets, item.set) if isinstance(item, ProgramSet) else [item])
        ]
        image = Image(
            tuple(programs),
            busybox=entry.base == "busybox",
            sh=self.bases[entry.base].sh,
            python=self.python_latest if entry.python else None,
        )
        if entry.contents == "nginx":
            return replace(image, command=nginx_image.COMMAND, content=nginx_image.NGINX)
        return image


_CATALOGUE = load("images.yaml", Images)

BUSYBOX_APPLETS = tuple(_CATALOGUE.program_sets.busybox)
DEBIAN_PROGRAMS = tuple(_CATALOGUE.program_sets.debian)
PYTHON_PROGRAMS = tuple(_CATALOGUE.program_sets.python)
DEFAULT_PATH = _CATALOGUE.default_path  # containerd's, for a container whose image sets none
HOST_PATH = DEFAULT_PATH  # where this machine's programs are looked up
CATALOGUE = {name: _CATALOGUE.image(entry) for name, entry in _CATALOGUE.images.items()}
SYSTEM_ENTRYPOINTS = dict(_CATALOGUE.system_entrypoints)  # of k3s's system images, which hold nothing else
HOST_PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"  # the interpreter every python image runs


def _tag(image: str) -> str:
    last = image.rsplit("@", 1)[0].rsplit("/", 1)[-1]
    return last.partition(":")[2]


def _tagged(entry: Image, tag: str) -> Image:
    """`entry` as its tag makes it: another Debian release's sh (`-bookworm`), a python tag's own version."""
    words = re.split(r"[-.]", tag)
    base = next((_CATALOGUE.tag_bases[w] for w in words if w in _CATALOGUE.tag_bases), None)
    if base is not None and not entry.busybox:
        entry = replace(entry, sh=_CATALOGUE.bases[base].sh)
    version = re.match(r"(\d+)\.(\d+)(?!\d)", tag)
    if entry.python is not None and version is not None:
        entry = replace(entry, python=f"{version[1]}.{version[2]}")
    return entry


def lookup(image: str) -> Image:
    """The catalogue's entry for `image`, or a generic one holding the program named like the image."""
    name, tag = image_name(image), _tag(image)
    if name == "python":
        variant = "python-alpine" if "alpine" in tag else "python-slim" if "slim" in tag else "python"
        return _tagged(CATALOGUE[variant], tag)
    if name in CATALOGUE:
        return _tagged(CATALOGUE[name], tag)
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
    elif program == "fio":  # the simulator's fio (`sugarlab.sim.world.fio`): $SUGARLAB_FIO when set
        found = shutil.which(os.environ.get("SUGARLAB_FIO") or "fio", path=HOST_PATH)
    elif program == "sh" and not image.busybox:  # bash started as `sh` runs in POSIX mode
        found = shutil.which(image.sh, path=HOST_PATH)
    else:
        found = shutil.which(program, path=HOST_PATH)
    return Path(found).resolve() if found else None


def stand_in(image: Image) -> str | None:
    """What the kubelet says when the image's Python is another version than the interpreter that runs it."""
    if image.python is None or image.python == HOST_PYTHON:
        return None
    return f"the image ships Python {image.python}; this machine's Python {HOST_PYTHON} stands in for it"
