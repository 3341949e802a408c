"""A lab step records its own verdict; the workspace records the parameters later notebooks read."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest

from sugarlab import ParameterError, open_lab
from sugarlab.lab.cluster import Cluster
from sugarlab.lab.params import LabParams, validate_parameters
from sugarlab.lab.recorded import record_parameters, record_path, recorded_parameters
from sugarlab.lab.session import Lab, Verdict
from sugarlab.lab.workspace import Workspace


def _lab(root: Path) -> Lab:
    """A lab whose steps only touch the workspace (no cluster is reached)."""
    return Lab(LabParams(workspace=str(root)), cast(Cluster, None), Workspace(root, "04-storage").create())


def _steps(lab: Lab) -> dict[str, tuple[str, str]]:
    return {s.step: (s.status, s.detail) for s in lab.workspace.steps()}


def test_a_step_passes_with_the_detail_its_block_gives(tmp_path: Path) -> None:
    lab = _lab(tmp_path)
    with lab.step("writer ready") as step:
        step.detail = "nfs-sqlite-0 on worker-a"
    assert _steps(lab) == {"writer ready": ("passed", "nfs-sqlite-0 on worker-a")}


def test_a_step_takes_the_verdict_it_is_given(tmp_path: Path) -> None:
    lab = _lab(tmp_path)
    with lab.step("stress spread") as step:
        step.judge(Verdict(False, "busiest moment: {'sugarkube0': 4}"))
    assert _steps(lab) == {"stress spread": ("failed", "busiest moment: {'sugarkube0': 4}")}


def test_a_step_whose_block_raises_fails_with_the_first_line_and_the_error_goes_on(tmp_path: Path) -> None:
    lab = _lab(tmp_path)
    with pytest.raises(RuntimeError, match="claim Pending"), lab.step("writer ready"):
        raise RuntimeError("claim Pending for 600 s\nEvents: no NFS server answered")
    assert _steps(lab) == {"writer ready": ("failed", "claim Pending for 600 s")}
    with lab.step("writer ready"):  # a rerun replaces the earlier record
        pass
    assert _steps(lab) == {"writer ready": ("passed", "")}


def test_recorded_values_merge_and_leave_the_workspace_out(tmp_path: Path) -> None:
    params = validate_parameters({"workspace": str(tmp_path), "seed": "8", "worker_taint": "a/b=c:NoSchedule"})
    record_parameters(params, frozenset({"seed", "workspace"}))
    record_parameters(params, frozenset({"worker_taint"}))
    assert recorded_parameters(tmp_path) == {"seed": 8, "worker_taint": "a/b=c:NoSchedule"}
    assert recorded_parameters(tmp_path / "elsewhere") == {}


def test_a_notebook_of_another_backend_than_the_workspace_recorded_stops_before_connecting(tmp_path: Path) -> None:
    record_parameters(validate_parameters({"workspace": str(tmp_path), "backend": "live"}), frozenset({"backend"}))
    namespace: dict[str, Any] = {"backend": "sim", "workspace": str(tmp_path), "stress_parallelism": 2}
    with pytest.raises(ParameterError) as err:
        open_lab("03-workload", namespace)
    assert err.value.name == "backend" and str(record_path(tmp_path)) in str(err.value)
    assert not (tmp_path / "expansion").exists()
