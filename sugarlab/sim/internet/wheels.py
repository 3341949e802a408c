"""Wheels rebuilt from the distributions installed in the simulator's own Python environment.

No maintained library rebuilds a wheel from an installed distribution, so this one walks what the
installer recorded (`importlib.metadata`'s `files`, i.e. the dist-info's RECORD) and writes the files back
with `wheel`'s `WheelFile`, which hashes each entry and writes a fresh RECORD as a build backend does
(PEP 427, "The .dist-info directory"). Left out, as they are not part of the wheel that was installed: byte
code (`__pycache__`), what the installer added (`INSTALLER`, `REQUESTED`, `direct_url.json`: PEP 376 and
PEP 610), the old RECORD, and files installed outside site-packages (console scripts, which pip makes again
from `entry_points.txt`; data files). The tags are those of the dist-info's `WHEEL` file.

A wheel is built on first request and kept under `<state>/internet/wheels/`, so its hash, published in the
index, stays the same for the life of the state directory.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import sysconfig
import tempfile
import threading
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path

from wheel.wheelfile import WheelFile

INSTALLER_FILES = frozenset({"INSTALLER", "REQUESTED", "direct_url.json", "RECORD"})


def normalize(name: str) -> str:
    """A project name as PEP 503 normalises it."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Built:
    """One rebuilt wheel: its file, digests and the metadata the index publishes beside it."""

    path: Path
    sha256: str
    blake2b: str  # files.pythonhosted.org's path is made of the file's BLAKE2b-256 digest
    version: str
    requires_python: str | None
    metadata: bytes  # the dist-info's METADATA, served as PEP 658's `<wheel>.metadata`

    @property
    def filename(self) -> str:
        return self.path.name

    @property
    def metadata_sha256(self) -> str:
        return hashlib.sha256(self.metadata).hexdigest()


def _site_packages() -> list[Path]:
    paths = sysconfig.get_paths()
    return list(dict.fromkeys(Path(paths[key]).resolve() for key in ("purelib", "platlib")))


def installed() -> dict[str, importlib.metadata.Distribution]:
    """The distributions of this environment's site-packages by normalised name, editable installs left out."""
    found: dict[str, importlib.metadata.Distribution] = {}
    for dist in importlib.metadata.distributions(path=[str(p) for p in _site_packages()]):
        direct = dist.read_text("direct_url.json")
        if direct and json.loads(direct).get("dir_info", {}).get("editable"):
            continue  # its files are a source tree, not in site-packages
        found.setdefault(normalize(dist.metadata["Name"]), dist)
    return found


def _dist_info(dist: importlib.metadata.Distribution) -> str:
    for file in dist.files or ():
        if file.parent.name.endswith(".dist-info") and len(file.parts) == 2:
            return file.parts[0]
    raise ValueError(f"{dist.metadata['Name']}: no .dist-info directory in its RECORD")


def _tags(wheel_text: str) -> str:
    """The compressed tag set (PEP 425) of the `Tag:` lines of a WHEEL file."""
    tags = HeaderParser().parsestr(wheel_text).get_all("Tag") or []
    if not tags:
        raise ValueError("its WHEEL file lists no Tag")
    parts = [t.split("-") for t in tags]
    return "-".join(".".join(dict.fromkeys(p[i] for p in parts)) for i in range(3))


def wheel_name(dist: importlib.metadata.Distribution) -> str:
    namever = _dist_info(dist).removesuffix(".dist-info")
    return f"{namever}-{_tags(dist.read_text('WHEEL') or '')}.whl"


def _kept(path: str, dist_info: str) -> bool:
    parts = path.split("/")
    if parts[0] == ".." or "__pycache__" in parts or path.endswith(".pyc"):
        return False
    return not (parts[0] == dist_info and len(parts) == 2 and parts[1] in INSTALLER_FILES)


def rebuild(dist: importlib.metadata.Distribution, dest: Path) -> Path:
    """Write `dist` as a wheel into `dest` (through a temporary directory): its installed files and a fresh RECORD."""
    dest.mkdir(parents=True, exist_ok=True)
    name, dist_info = wheel_name(dist), _dist_info(dist)
    root = Path(str(dist.locate_file("")))
    building = Path(tempfile.mkdtemp(dir=dest, prefix=".building-"))  # WheelFile wants the wheel's own name
    try:
        with WheelFile(building / name, "w") as archive:
            for file in dist.files or ():
                if _kept(file.as_posix(), dist_info) and (root / file).is_file():
                    archive.write(root / file, file.as_posix())
        os.replace(building / name, dest / name)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return dest / name


class Wheelhouse:
    """The rebuilt wheels of this environment, built lazily, once, under `directory`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.projects = installed()
        self._lock = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._built: dict[str, Built] = {}

    def get(self, project: str) -> Built | None:
        """The wheel of `project` (a normalised name), built now if it is not yet; None if it is not installed."""
        dist = self.projects.get(project)
        if dist is None:
            return None
        with self._lock:
            lock = self._locks.setdefault(project, threading.Lock())
        with lock:
            if project not in self._built:
                self._built[project] = self._build(dist)
            return self._built[project]

    def _build(self, dist: importlib.metadata.Distribution) -> Built:
        path = self.directory / wheel_name(dist)
        if not path.exists():
            rebuild(dist, self.directory)
        sha256, blake2b = hashlib.sha256(), hashlib.blake2b(digest_size=32)
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                sha256.update(chunk)
                blake2b.update(chunk)
        return Built(
            path,
            sha256.hexdigest(),
            blake2b.hexdigest(),
            dist.version,
            dist.metadata["Requires-Python"],
            Path(str(dist.locate_file(f"{_dist_info(dist)}/METADATA"))).read_bytes(),
        )
