"""The lab stops its simulator as `sugarlab sim stop --workspace` does; a live lab has none to stop, and says so."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from sugarlab import open_lab, stop_simulator
from sugarlab.kube import simulator
from tests.sim.simcluster import start


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_the_lab_stops_the_simulator_of_its_workspace(tmp_path: Path, stop_later: Callable[[Path], None]) -> None:
    lab = open_lab("07-report", None, workspace=str(tmp_path), backend="sim")
    try:
        workspace = lab.params.workspace_path
        info = simulator.status(workspace)
        assert info is not None
        stopped = f"stopped the simulated cluster of {workspace}; the next open_lab starts it again"
        assert stop_simulator(lab) == stopped
        assert simulator.status(workspace) is None and not _running(info["pid"])
        assert stop_simulator(lab) == f"no simulated cluster was running in {workspace}"
        again = open_lab("07-report", None, workspace=str(tmp_path), backend="sim")  # its cluster was kept
        assert {n.metadata.name for n in again.cluster.core.list_node().items} == {"sugarkube0"}
    finally:
        stop_later(tmp_path)


def test_a_live_lab_has_no_simulator_to_stop(tmp_path: Path, stop_later: Callable[[Path], None]) -> None:
    theirs = tmp_path / "their-cluster"
    kubeconfig = start(theirs, workers=0)  # stands in for the user's k3s, reached through its kubeconfig
    try:
        lab = open_lab("07-report", None, workspace=str(tmp_path / "lab"), backend="live", kubeconfig=str(kubeconfig))
        assert stop_simulator(lab) == (
            "no simulator: this lab works on your cluster (context 'sugarkube-sim'); nothing was stopped"
        )
        assert simulator.status(theirs) is not None  # the cluster it works on still runs
    finally:
        stop_later(theirs)
