"""A simulator started for an owner process stops itself, cleanly, once that process is gone; one started
without an owner (by hand, from JupyterLab) keeps running; a new owner gets a simulator of its own."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from sugarlab.kube import simulator
from sugarlab.lab.errors import SimulatorError
from sugarlab.lab.params import LabParams
from sugarlab.sim import lifecycle
from sugarlab.sim.owner import Owner, start_time
from sugarlab.sim.world.spec import ClusterSpec


def _gone(pid: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if start_time(pid) is None:
            return True
        time.sleep(0.2)
    return False


def test_an_owned_simulator_stops_when_its_owner_is_killed_and_an_unowned_one_stays(tmp_path: Path) -> None:
    owner = subprocess.Popen(["sleep", "300"])
    owned, unowned = tmp_path / "owned", tmp_path / "unowned"
    try:
        lifecycle.ensure_running(owned, ClusterSpec(), 60, owner=Owner.of(owner.pid))
        lifecycle.ensure_running(unowned, ClusterSpec(), 60)
        info = lifecycle.status(owned) or {}
        assert info["owner"] == str(Owner.of(owner.pid))
        owner.kill()
        owner.wait()
        assert _gone(info["pid"], within=30), "the owned simulator outlived its owner"
        assert not (owned / lifecycle.SERVER_INFO).exists()  # stopped the way `sugarlab sim stop` stops it
        assert f"its owner, process {owner.pid}, is gone" in (owned / lifecycle.LOG).read_text()
        assert lifecycle.status(unowned) is not None
    finally:
        owner.kill()
        lifecycle.stop(owned)
        lifecycle.stop(unowned)


def test_another_owner_gets_a_simulator_of_its_own_on_the_same_cluster(tmp_path: Path) -> None:
    first = lifecycle.ensure_running(tmp_path, ClusterSpec(), 60)
    pid = (lifecycle.status(tmp_path) or {})["pid"]
    try:
        assert lifecycle.ensure_running(tmp_path, ClusterSpec(), 60, owner=Owner.of(os.getpid())) == first
        info = lifecycle.status(tmp_path) or {}
        assert info["pid"] != pid and info["owner"] == str(Owner.of(os.getpid()))
    finally:
        lifecycle.stop(tmp_path)


def test_a_pid_handed_out_again_is_not_the_owner() -> None:
    me = Owner.of(os.getpid())
    assert me.alive() and not Owner(me.pid, me.start_time + 1).alive()
    assert Owner.parse(str(me)) == me
    with pytest.raises(ValueError, match="PID:START_TIME"):
        Owner.parse("12345")


def test_a_malformed_owner_in_the_environment_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(simulator.OWNER_ENV, "not-a-process")
    with pytest.raises(SimulatorError, match=simulator.OWNER_ENV):
        simulator.start(LabParams(workspace=str(tmp_path)))
    assert not simulator.state_dir(tmp_path).exists()
