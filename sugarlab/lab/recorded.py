"""The parameters a lab workspace was set up with, recorded so that later notebooks read them.

Each notebook declares only its own section's parameters (`sugarlab.lab.params.SECTIONS`); when it opens
the lab, what it declared is recorded in `<workspace>/.sugarlab/parameters.json`, and every parameter
it does not declare is read from there (its default when nothing recorded it). So the connection and
the simulated cluster's shape are chosen once per workspace, by the first notebook, `sugarlab run` or
`sugarlab sim start`, and the worker taint notebook 02 joined with is the one notebook 03 tolerates.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from filelock import FileLock

from sugarlab.common.files import atomic_write_bytes
from sugarlab.lab.params import PER_NOTEBOOK, LabParams
from sugarlab.lab.workspace import STATE_DIR

RECORD = "parameters.json"


def record_path(workspace: Path) -> Path:
    return Path(workspace) / STATE_DIR / RECORD


def recorded_parameters(workspace: Path) -> dict[str, Any]:
    """The parameter values recorded in `workspace`, by name; empty when none were."""
    path = record_path(workspace)
    recorded = dict(json.loads(path.read_text(encoding="utf-8"))) if path.exists() else {}
    return {name: value for name, value in recorded.items() if name not in PER_NOTEBOOK}


def record_parameters(params: LabParams, names: set[str] | frozenset[str]) -> dict[str, Any]:
    """Record the values of `names` (validated, in `params`) in its workspace, keeping the others."""
    path = record_path(params.workspace_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    chosen = params.model_dump(mode="json", include=set(names) - {"workspace"} - PER_NOTEBOOK)
    with FileLock(str(path) + ".lock"):
        merged = {**recorded_parameters(params.workspace_path), **chosen}
        atomic_write_bytes(path, json.dumps(merged, indent=1, sort_keys=True).encode("utf-8"))
    return merged
