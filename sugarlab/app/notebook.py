"""Opening the lab: parameters checked, cluster reached, workspace ready, in that order.

Nothing is written before the parameters pass and the cluster answers, so bad input leaves no
half-made workspace behind. A notebook hands over its namespace and names itself; the lab takes the
parameters that notebook declares and reads every other one from what the workspace recorded
(`sugarlab.lab.recorded`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from sugarlab.kube.connect import connect
from sugarlab.lab.errors import ParameterError
from sugarlab.lab.params import LabParams, declared_by, validate_parameters
from sugarlab.lab.recorded import record_parameters, record_path, recorded_parameters
from sugarlab.lab.session import Lab
from sugarlab.lab.workspace import Workspace
from sugarlab.views.readable import show_frames_readably


def open_lab(notebook: str, namespace: Mapping[str, Any] | None = None, /, **parameters: Any) -> Lab:
    """Validate the parameters, connect to the cluster they name, prepare the workspace, record them.

    `namespace` is the notebook's `globals()`: the parameters `notebook` declares are taken from it, and
    keywords override them. Whatever is not given is read from the workspace's record, or defaults.
    """
    source = namespace or {}
    given = {name: source[name] for name in declared_by(notebook) if name in source} | parameters
    root = validate_parameters({"workspace": given.get("workspace", "")}).workspace_path
    recorded = {k: v for k, v in recorded_parameters(root).items() if k in LabParams.model_fields}
    _same_backend(given, recorded, root)
    params = validate_parameters({**recorded, **given})
    show_frames_readably()
    cluster = connect(params)
    workspace = Workspace(params.workspace_path, notebook).create()
    cluster = replace(cluster, run=workspace.lab_id())
    record_parameters(params, frozenset(given))
    return Lab(params, cluster, workspace)


def _same_backend(given: Mapping[str, Any], recorded: Mapping[str, Any], root: Path) -> None:
    """A workspace holds one lab: artefacts of a simulated cluster and of a real one are not mixed."""
    if "backend" in given and "backend" in recorded and given["backend"] != recorded["backend"]:
        raise ParameterError(
            "backend",
            given["backend"],
            (
                f"the lab workspace {root} was set up for backend {recorded['backend']!r} (recorded in "
                f"{record_path(root)}); use that backend, or another workspace"
            ),
        )
