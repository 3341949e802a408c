"""The workbook's side of the simulated cluster: a workspace's simulator, built from the lab's parameters.

The simulator owns its spec and its launcher (`sugarlab.sim.world.spec`, `sugarlab.sim.lifecycle`); here the
parameters build a `ClusterSpec`, the workspace gives the state directory, and the launcher's
structured start failures become `SimulatorError`s that say what to do next.

A headless run names itself in `SUGARLAB_SIM_OWNER` for the kernels it starts (`owner_environment`), so the
simulator its notebooks start stops itself once the run is gone, even killed outright; a simulator started
by hand or from JupyterLab has no owner and runs until stopped (or idle for 30 minutes).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sugarlab.lab.errors import SimulatorError
from sugarlab.lab.params import LabParams
from sugarlab.lab.workspace import STATE_DIR
from sugarlab.sim import lifecycle
from sugarlab.sim.owner import Owner
from sugarlab.sim.world.spec import ClusterSpec

OWNER_ENV = "SUGARLAB_SIM_OWNER"


def owner_environment() -> dict[str, str]:
    """The environment that makes this process the owner of the simulators started under it."""
    return {OWNER_ENV: str(Owner.of(os.getpid()))}


def _owner() -> Owner | None:
    named = os.environ.get(OWNER_ENV)
    if not named:
        return None
    try:
        return Owner.parse(named)
    except ValueError as exc:
        raise SimulatorError(f"{OWNER_ENV}: {exc}; it names the process a simulator stops with") from None


def state_dir(workspace: Path) -> Path:
    return Path(workspace) / STATE_DIR / "sim"


def cluster_spec(params: LabParams) -> ClusterSpec:
    return ClusterSpec(
        params.seed,
        params.controller_profile,
        params.sim_workers,
        params.worker_profile,
        params.metrics_server,
        params.sim_nfs_provisioner,
    )


def _advice(failure: lifecycle.SimulatorStartFailed, workspace: Path) -> str:
    if failure.reason == "spec-mismatch":
        return (
            f"the workspace {workspace} holds another simulated cluster: {failure.message}. Use the same "
            f"parameters, another workspace, or `sugarlab sim stop --workspace {workspace} --reset` to start over."
        )
    if failure.reason == "port-in-use":
        return f"the simulated cluster could not listen: port {failure.port} on 127.0.0.1 is taken"
    return f"the simulated cluster did not start ({failure.message}); see its log, {failure.log}"


def start(params: LabParams, speed: float | None = None) -> Path:
    """The kubeconfig of the workspace's simulator, started first if it is not running (at `speed`, or the
    parameters' speed, restarted if it runs at another)."""
    workspace = params.workspace_path
    try:
        return lifecycle.ensure_running(
            state_dir(workspace), cluster_spec(params), speed or params.speed, owner=_owner()
        )
    except lifecycle.SimulatorStartFailed as failure:
        raise SimulatorError(_advice(failure, workspace)) from None


def stop(workspace: Path, reset: bool = False) -> bool:
    """Stop the workspace's simulator; with `reset`, also forget its cluster. True if one was running."""
    return lifecycle.stop(state_dir(workspace), reset=reset)


def status(workspace: Path) -> dict[str, Any] | None:
    return lifecycle.status(state_dir(workspace))
