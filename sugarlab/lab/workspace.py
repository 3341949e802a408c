"""The lab workspace: the tutorial's artefact tree, written atomically and recorded.

Every artefact is written to a temporary file in its final directory and renamed into place, so a
reader never sees half a file, and each write is recorded (path, sha256, size, notebook) in
`.sugarlab/artefacts.json`, which the runner copies into the run manifest.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from filelock import FileLock

from sugarlab.common.files import atomic_write_bytes

# The tutorial's layout: `mkdir -p ~/sugarkube-labs/tutorial-13/{baseline,...}` plus the folders
# its later steps write into.
SECTIONS = ("baseline", "expansion", "storage", "edge-ai", "operations", "final", "workloads", "policies")
STATE_DIR = ".sugarlab"


SHARED = 0o644  # the mode of artefacts and reports; the state that holds secrets stays PRIVATE (0600)


def new_lab_id() -> str:
    """A UTC timestamp plus a short random suffix: a run's id, and the id of a workspace of its own."""
    return f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class Step:
    """A lab step's outcome; a failed step carries its diagnosis and the report shows it."""

    notebook: str
    step: str
    status: str  # passed or failed
    detail: str
    at: str


@dataclass(frozen=True)
class Artefact:
    path: str  # relative to the workspace root, with forward slashes
    sha256: str
    size: int
    notebook: str
    written_at: str


class Workspace:
    """The artefact tree of one lab, rooted at `root`."""

    def __init__(self, root: Path, notebook: str = "") -> None:
        self.root = Path(root)
        self.notebook = notebook
        self.state_dir = self.root / STATE_DIR
        self._registry = self.state_dir / "artefacts.json"
        self._steps = self.state_dir / "steps.json"
        self._lab_id = self.state_dir / "lab-id"

    def create(self) -> Workspace:
        for section in SECTIONS:
            (self.root / section).mkdir(parents=True, exist_ok=True)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        return self

    def lab_id(self, preferred: str = "") -> str:
        """The id of this lab, which labels what it creates on a cluster: chosen once (`preferred`, such
        as a run's id, or a new one) and read back ever after."""
        with FileLock(str(self._lab_id) + ".lock"):
            if not self._lab_id.exists():
                atomic_write_bytes(self._lab_id, (preferred or new_lab_id()).encode())
            return self._lab_id.read_text().strip()

    def path(self, relative: str) -> Path:
        target = (self.root / relative).resolve()
        if not target.is_relative_to(self.root.resolve()):
            raise ValueError(f"artefact path {relative!r} leaves the workspace {self.root}")
        return target

    def write_text(self, relative: str, text: str) -> Path:
        return self.write_bytes(relative, text.encode("utf-8"))

    def write_bytes(self, relative: str, data: bytes) -> Path:
        target = self.path(relative)
        atomic_write_bytes(target, data, SHARED)  # the tutorial's artefacts never hold a secret
        self._record(
            Artefact(
                path=target.relative_to(self.root.resolve()).as_posix(),
                sha256=hashlib.sha256(data).hexdigest(),
                size=len(data),
                notebook=self.notebook,
                written_at=_now(),
            )
        )
        return target

    def read_text(self, relative: str) -> str:
        return self.path(relative).read_text(encoding="utf-8")

    def artefacts(self) -> list[Artefact]:
        return [Artefact(**row) for row in self._load(self._registry)]

    def steps(self) -> list[Step]:
        return [Step(**row) for row in self._load(self._steps)]

    def record_step(self, step: str, passed: bool, detail: str = "") -> None:
        """Record a step's outcome; a rerun of the same notebook step replaces the earlier record.

        It returns nothing, so a notebook cell that ends with it shows no `Step(...)`; `steps()` reads
        the records back."""
        outcome = Step(self.notebook, step, "passed" if passed else "failed", detail, _now())
        with FileLock(str(self._steps) + ".lock"):
            rows = [s for s in self.steps() if (s.notebook, s.step) != (self.notebook, step)] + [outcome]
            self._save(self._steps, [vars(s) for s in rows])

    def _record(self, artefact: Artefact) -> None:
        with FileLock(str(self._registry) + ".lock"):
            rows = {a.path: a for a in self.artefacts()}
            rows[artefact.path] = artefact
            self._save(self._registry, [vars(a) for a in sorted(rows.values(), key=lambda a: a.path)])

    @staticmethod
    def _load(path: Path) -> list[dict[str, Any]]:
        return json.loads(path.read_text()) if path.exists() else []

    def _save(self, path: Path, rows: list[dict[str, object]]) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, json.dumps(rows, indent=1).encode())
