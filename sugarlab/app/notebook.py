"""Opening the lab: parameters checked, cluster reached, workspace ready, in that order.

Nothing is written before the parameters pass and the cluster answers, so bad input leaves no
half-made workspace behind. A notebook hands over its namespace and names itself; the lab takes the
parameters that notebook declares and reads every other one from what the workspace recorded
(`sugarlab.lab.recorded`). `stop_simulator` stops what `open_lab` started on the simulator, from the lab.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from sugarlab.kube import simulator
from sugarlab.kube.connect import connect
from sugarlab.lab.params import CONNECTION, declared_by
from sugarlab.lab.recorded import lab_parameters, record_parameters
from sugarlab.lab.session import Lab
from sugarlab.lab.workspace import Workspace
from sugarlab.views.readable import show_frames_readably


def open_lab(notebook: str, namespace: Mapping[str, Any] | None = None, /, **parameters: Any) -> Lab:
    """Validate the parameters, connect to the cluster they name, prepare the workspace, record them.

    `namespace` is the notebook's `globals()`: the parameters `notebook` declares are taken from it, and
    keywords override them. Whatever is not given, and a connection parameter left empty (`backend = ""`),
    is read from the workspace's record, or defaults. The backend is always recorded: it is the workspace's.
    """
    source = namespace or {}
    given = {name: source[name] for name in declared_by(notebook) if name in source} | parameters
    params = lab_parameters(given)
    show_frames_readably()
    cluster = connect(params)
    workspace = Workspace(params.workspace_path, notebook).create()
    cluster = replace(cluster, run=workspace.lab_id())
    chosen = {name for name, value in given.items() if name not in CONNECTION or value}
    record_parameters(params, frozenset(chosen | {"backend"}))
    return Lab(params, cluster, workspace)


def stop_simulator(lab: Lab) -> str:
    """Stop the simulated cluster of the lab's workspace, as `sugarlab sim stop --workspace <ws>` does (its
    containers stopped, its network namespaces removed; its cluster kept for the next `open_lab`), and say
    what happened. Started from JupyterLab it has no owner, so it outlives the lab until stopped or idle
    for 30 minutes. A live lab has no simulator: nothing is stopped, and it says so."""
    workspace = lab.params.workspace_path
    if lab.params.backend != "sim":
        return f"no simulator: this lab works on your cluster (context {lab.cluster.context!r}); nothing was stopped"
    if simulator.stop(workspace):
        return f"stopped the simulated cluster of {workspace}; the next open_lab starts it again"
    return f"no simulated cluster was running in {workspace}"
