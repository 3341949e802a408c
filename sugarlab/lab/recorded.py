"""The parameters a lab workspace was set up with, recorded so that later notebooks read them.

Each notebook declares only its own section's parameters (`sugarlab.lab.params.SECTIONS`); when it opens
the lab, what it declared is recorded in `<workspace>/.sugarlab/parameters.json`, and every parameter
it does not declare is read from there (its default when nothing recorded it). So the connection and
the simulated cluster's shape are chosen once per workspace, by the first notebook, `sugarlab run` or
`sugarlab sim start`, and the worker taint notebook 02 joined with is the one notebook 03 tolerates.

The cluster is chosen once per workspace: the connection parameters (`CONNECTION`) left empty, as the
notebooks declare them, follow the record. A workspace holds one lab, so with no workspace named the
backend picks the folder: the tutorial's own for the live lab, the rehearsal's for the simulator.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from filelock import FileLock

from sugarlab.common.files import atomic_write_bytes
from sugarlab.lab.errors import ParameterError
from sugarlab.lab.params import CONNECTION, PER_NOTEBOOK, REHEARSAL_WORKSPACE, LabParams, validate_parameters
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


def lab_parameters(given: Mapping[str, Any]) -> LabParams:
    """The parameters of the lab `given` names: its workspace's record with `given` over it, where an
    empty connection parameter is not given. Raises ParameterError when `given` asks the workspace for
    another backend than the one it holds."""
    chosen = {name: value for name, value in given.items() if not (name in CONNECTION and value in ("", None))}
    root = workspace_root(chosen)
    recorded = {k: v for k, v in recorded_parameters(root).items() if k in LabParams.model_fields}
    _same_backend(chosen, recorded, root)
    return validate_parameters({**recorded, **chosen, "workspace": str(root)})


def workspace_root(given: Mapping[str, Any]) -> Path:
    """The lab workspace `given` names: its `workspace`, else $SUGARLAB_WORKSPACE, else the default folder
    of its backend; with no backend given, the tutorial's folder when that records the live lab, else
    the rehearsal's."""
    if given.get("workspace") or os.environ.get("SUGARLAB_WORKSPACE") or given.get("backend"):
        return validate_parameters({k: given[k] for k in ("workspace", "backend") if k in given}).workspace_path
    live = validate_parameters({"backend": "live"}).workspace_path
    if recorded_parameters(live).get("backend") == "live":
        return live
    return validate_parameters({"backend": "sim"}).workspace_path


def _same_backend(given: Mapping[str, Any], recorded: Mapping[str, Any], root: Path) -> None:
    """A workspace holds one lab: artefacts of a simulated cluster and of a real one are not mixed."""
    if "backend" in given and "backend" in recorded and given["backend"] != recorded["backend"]:
        raise ParameterError(
            "backend",
            given["backend"],
            (
                f"the lab workspace {root} was set up for backend {recorded['backend']!r} (recorded in "
                f"{record_path(root)}); use that backend, or another workspace (a rehearsal on the simulator "
                f"has its own, {REHEARSAL_WORKSPACE}, unless $SUGARLAB_WORKSPACE or `workspace` name one)"
            ),
        )
