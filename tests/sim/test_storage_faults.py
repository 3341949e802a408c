"""Notebook 04's storage faults on one simulated cluster: the tutorial's StatefulSet as written crash-loops
as it does on k3s, and the writer survives a NAS that stops answering without losing a row."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from sugarlab.app.notebook import open_lab
from sugarlab.kube.errors import ApiError
from sugarlab.lab.params import validate_parameters
from sugarlab.lab.session import Lab
from sugarlab.steps.storage import failover, nfs_class, tutorial_as_written, writer

TUTORIAL = Path(__file__).parents[1] / "data" / "tutorial" / "statefulset-sqlite.yaml"
needs_bwrap = pytest.mark.skipif(
    shutil.which("bwrap") is None, reason="bubblewrap is not installed (`make system-packages`): containers cannot run"
)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, stop_later: Callable[[Path], None]) -> Iterator[Lab]:
    """One lab on one simulated cluster for the module, with the NFS class applied; its tests run in order."""
    workspace = tmp_path_factory.mktemp("storage-faults")
    lab = open_lab("test", workspace=str(workspace), sim_workers=1, speed=60, failures=["nas-outage"])
    try:
        nfs_class.apply(lab, nfs_class.manifest(lab.params, nfs_class.choose(lab, nfs_class.detect(lab))))
        yield lab
    finally:
        stop_later(workspace)


def test_the_statefulset_run_is_the_tutorials_own() -> None:
    assert tutorial_as_written.manifest() == yaml.safe_load(TUTORIAL.read_text())


def test_the_statefulset_as_written_runs_on_a_live_cluster_only_when_asked() -> None:
    assert tutorial_as_written.wanted(validate_parameters({"backend": "sim"}))
    assert not tutorial_as_written.wanted(validate_parameters({"backend": "live"}))
    assert tutorial_as_written.wanted(validate_parameters({"backend": "live", "tutorial_statefulset": "on"}))
    assert not tutorial_as_written.wanted(validate_parameters({"backend": "sim", "tutorial_statefulset": "off"}))


@needs_bwrap
def test_the_tutorials_statefulset_as_written_crash_loops_with_apk_not_found(lab: Lab) -> None:
    assert tutorial_as_written.wanted(lab.params)
    crash = tutorial_as_written.run(lab, progress=False)
    assert crash.reason == "CrashLoopBackOff" and crash.restarts >= 1
    assert crash.exit_code == 127  # the shell's status for a command not found
    assert "apk: not found" in crash.previous_log
    kept = lab.workspace.path(tutorial_as_written.LOG).read_text()
    assert "CrashLoopBackOff" in kept and "apk: not found" in kept and "--previous" in kept

    tutorial_as_written.remove(lab, progress=False)
    for read, name in (
        (lab.cluster.core.read_namespaced_pod, writer.POD),
        (lab.cluster.core.read_namespaced_persistent_volume_claim, writer.CLAIM),
    ):
        with pytest.raises(ApiError) as gone:
            read(name, writer.NAMESPACE)
        assert gone.value.status == 404


@needs_bwrap
def test_a_nas_outage_stalls_the_writer_and_loses_no_row(lab: Lab) -> None:
    writer.deploy(lab, writer.manifests(lab.params))
    writer.wait_ready(lab, progress=False)
    [experiment] = failover.run(lab, progress=False)

    assert experiment.verdict == failover.VERDICT_OK, experiment.notes
    row = experiment.row()
    assert row["rows_missing"] == 0 and row["integrity"] == "ok"
    assert row["rows_before"] >= 3 and row["rows_after"] > row["rows_before"]
    assert any(note.startswith("the writer stalled: no row written later than 5 s into") for note in experiment.notes)
    events = failover.timeline([experiment]).set_index("event")["after_s"]
    assert (
        0
        == events["NAS off"]
        <= events["delete"]
        <= events["Pending"]
        <= events["FailedMount (ContainerCreating)"]
        <= events["NAS on"]
        <= events["Ready"]
        <= events["first successful read"]
        < events["writes resumed"]
    )
    assert events["NAS on"] - events["NAS off"] >= 3 * lab.params.write_interval
    assert [s.status for s in lab.workspace.steps() if s.step == "failover nas-outage"] == ["passed"]
    report = failover.report(lab, [experiment], "csi-driver-nfs")
    assert "## nas-outage" in report and "**verdict: no data lost**" in report
