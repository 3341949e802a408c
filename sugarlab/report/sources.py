"""The lab's artefacts as the report reads them: each one found, parsed and traced to its notebook.

A missing or unreadable artefact raises `ArtefactError` (or `MissingArtefact`) naming the file and the
notebook that writes it, so the report can fail that one item and still render the rest.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from sugarlab.kube.inventory import parse_table
from sugarlab.lab.errors import ArtefactError as ArtefactError  # re-exported: the report catches it from here
from sugarlab.lab.errors import MissingArtefact as MissingArtefact
from sugarlab.lab.workspace import Workspace

# Which notebook leaves each artefact the report reads.
WRITERS = {
    "baseline/cluster-inventory.txt": "01-baseline",
    "baseline/resource-snapshot.csv": "01-baseline",
    "expansion/nodes-after-join.txt": "02-expansion",
    "expansion/workers.csv": "02-expansion",
    "expansion/pod-distribution.txt": "03-workload",
    "expansion/baseline-comparison.csv": "03-workload",
    "storage/failover-experiments.csv": "04-storage",
    "storage/failover-report.md": "04-storage",
    "storage/failover-rows.png": "04-storage",
    "edge-ai/inference.log": "05-edge-ai",
    "edge-ai/tuning-experiments.md": "05-edge-ai",
    "operations/fio-report.log": "06-operations",
    "operations/fio-results.csv": "06-operations",
    "operations/security-checklist.md": "06-operations",
    "final/nodes.txt": "06-operations",
}


@dataclass(frozen=True)
class Origin:
    """Who wrote an artefact, from the workspace's registry (or a run's manifest)."""

    path: str
    notebook: str
    sha256: str
    written_at: str


class LabFiles:
    """Read-only access to a lab workspace's artefacts, with their recorded origins."""

    def __init__(self, root: Path, origins: Iterable[Origin], backend: str = "") -> None:
        self.root = Path(root)
        self.origins = {origin.path: origin for origin in origins}
        self.backend = backend  # sim or live: the provenance of figures whose artefact carries none

    @classmethod
    def of_workspace(cls, workspace: Workspace, backend: str = "") -> LabFiles:
        origins = (Origin(a.path, a.notebook, a.sha256, a.written_at) for a in workspace.artefacts())
        return cls(workspace.root, origins, backend)

    @classmethod
    def of_manifest(cls, run_dir: Path, manifest: Mapping[str, Any]) -> LabFiles:
        """The `lab/` of an archived run; origins come from its manifest (archives leave the registry out)."""
        return cls(
            Path(run_dir) / "lab",
            (Origin(a["path"], a["notebook"], a["sha256"], a["written_at"]) for a in manifest.get("artefacts", [])),
            str(manifest.get("backend", "")),
        )

    @property
    def cluster_provenance(self) -> str:
        """What the cluster's own figures are: `simulated` on the simulator, `cluster` on a live one."""
        return {"sim": "simulated", "live": "cluster"}.get(self.backend, "unknown provenance")

    def exists(self, path: str) -> bool:
        return (self.root / path).is_file()

    def text(self, path: str) -> str:
        target = self.root / path
        if not target.is_file():
            raise MissingArtefact(path, WRITERS.get(path))
        try:
            text = target.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ArtefactError(path, f"cannot be read ({exc})") from None
        if not text.strip():
            raise ArtefactError(path, f"is empty; rerun notebooks/{WRITERS.get(path, '?')}.ipynb")
        return text

    def binary(self, path: str) -> bytes:
        """A binary artefact, such as a plot's PNG."""
        target = self.root / path
        if not target.is_file():
            raise MissingArtefact(path, WRITERS.get(path))
        try:
            return target.read_bytes()
        except OSError as exc:
            raise ArtefactError(path, f"cannot be read ({exc})") from None

    def csv(self, path: str, columns: Iterable[str]) -> pd.DataFrame:
        """The CSV at `path`, which must have every one of `columns` and at least one row."""
        try:
            frame = pd.read_csv(io.StringIO(self.text(path)))
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise ArtefactError(path, f"is not a readable CSV ({exc})") from None
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise ArtefactError(path, f"lacks the columns {', '.join(missing)} (it has {', '.join(frame.columns)})")
        if frame.empty:
            raise ArtefactError(path, "has a header but no rows")
        return frame

    def table(self, path: str) -> pd.DataFrame:
        """A file holding one kubectl table, such as `kubectl get nodes -o wide`."""
        return self.tables(path)[0]

    def tables(self, path: str) -> list[pd.DataFrame]:
        """Every kubectl table in the file, split at their header lines (upper-case first word)."""
        chunks: list[list[str]] = []
        for line in self.text(path).splitlines():
            if line[:1].isupper():
                chunks.append([])
            if chunks and line.strip():
                chunks[-1].append(line)
        if not chunks:
            raise ArtefactError(path, "holds no kubectl table (no header line such as NAME ...)")
        return [parse_table("\n".join(chunk)) for chunk in chunks]

    def describe(self, path: str) -> str:
        """`path` with the notebook that wrote it and the start of its sha256, for evidence lines."""
        origin = self.origins.get(path)
        if origin is None:
            return f"`{path}`" if self.exists(path) else f"`{path}` (missing)"
        return f"`{path}`, written by {origin.notebook}, sha256 {origin.sha256[:12]}"


def provenance_of(frame: pd.DataFrame) -> str:
    """The frame's figures' provenance labels (`cluster`, `local`, `simulated`), joined."""
    if "provenance" not in frame or frame["provenance"].dropna().empty:
        return "unknown provenance"
    return ", ".join(sorted(set(frame["provenance"].dropna().astype(str))))


def read_yaml_field(text: str, field: str) -> str | None:
    """A top-level scalar of a small YAML document, such as `provenance` in edge-ai/inference.log."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    value = document.get(field) if isinstance(document, Mapping) else None
    return str(value) if value is not None else None
