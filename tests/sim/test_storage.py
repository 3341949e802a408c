"""Notebook 04's storage lab on the simulator: the NFS class, the SQLite writer, and failover proofs."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException
from kubernetes.stream import stream

from sugarlab.lab.errors import NoNfsProvisioner, StoragePending
from sugarlab.lab.session import Lab
from sugarlab.steps.storage import failover, nfs_class, writer
from sugarlab.views.figures import failover_rows_figure, png_bytes


def _writer(lab: Lab) -> None:
    nfs_class.apply(lab, nfs_class.manifest(lab.params, nfs_class.choose(lab, nfs_class.detect(lab))))
    writer.deploy(lab, writer.manifests(lab.params))
    writer.wait_ready(lab, progress=False)


def _database(lab: Lab) -> Path:
    [db] = (lab.workspace.root / ".sugarlab" / "sim" / "nas").rglob("measurements.db")
    return db


def test_every_failure_is_recovered_without_losing_a_row(open_sim_lab: Callable[..., Lab]) -> None:
    lab = open_sim_lab(sim_workers=2, speed=60, failures=["delete-pod", "drain-node", "power-off"])
    _writer(lab)
    pv = client.CoreV1Api(lab.cluster.api).read_persistent_volume(
        lab.cluster.core.read_namespaced_persistent_volume_claim(writer.CLAIM, "lab-scale").spec.volume_name
    )
    assert pv.spec.csi.driver == "nfs.csi.k8s.io" and pv.spec.csi.volume_attributes["share"] == "/export/sugarkube"
    assert pv.spec.mount_options == ["vers=4.1"] and pv.spec.persistent_volume_reclaim_policy == "Retain"

    experiments = failover.run(lab, progress=False)
    summary = failover.frame(experiments).set_index("experiment")
    assert list(summary.index) == ["delete-pod", "drain-node", "power-off"]
    assert (summary["verdict"] == failover.VERDICT_OK).all()
    assert (summary["rows_before"] >= 3).all() and (summary["rows_after"] > summary["rows_before"]).all()
    assert (summary["node_after"] != summary["node_before"])[["drain-node", "power-off"]].all()
    assert (summary["rows_missing"] == 0).all()
    events = failover.timeline(experiments)
    power = events[events["experiment"] == "power-off"].set_index("event")["after_s"]
    assert 50 <= power["NotReady"] < power["evicted (Terminating)"] < power["out-of-service taint"] < power["Ready"]
    assert power["evicted (Terminating)"] - power["NotReady"] >= lab.params.eviction_seconds - 6
    for _, rows in events.groupby("experiment"):  # in the order the cluster saw them
        assert rows["at"].is_monotonic_increasing, rows
    drain = events[events["experiment"] == "drain-node"].set_index("event")["after_s"]
    assert drain["cordon"] <= drain["evicted lab-scale/nfs-sqlite-0"] <= drain["Pending"] < drain["Ready"]
    assert not lab.cluster.core.read_node(summary.loc["power-off", "node_before"]).spec.taints or all(
        t.key != "node.kubernetes.io/out-of-service"
        for t in lab.cluster.core.read_node(summary.loc["power-off", "node_before"]).spec.taints
    )
    history = writer.history(lab)
    assert list(history["id"]) == list(range(1, len(history) + 1))
    report = failover.report(lab, experiments, "csi-driver-nfs")
    assert report.count("**verdict: no data lost**") == 3 and "integrity_check: ok" in report
    lab.workspace.write_bytes(
        failover.PLOT, png_bytes(failover_rows_figure(history, failover.marks(experiments), "simulated"))
    )
    embedded = failover.report(lab, experiments, "csi-driver-nfs")
    assert "](data:image/png;base64," in embedded and "](failover-rows.png)" not in embedded  # shows anywhere


def test_rows_removed_behind_the_experiments_back_fail_the_verdict(
    open_sim_lab: Callable[..., Lab], monkeypatch: pytest.MonkeyPatch
) -> None:
    lab = open_sim_lab(sim_workers=2, speed=60, failures=["delete-pod"])
    _writer(lab)
    real_probe, calls = writer.probe, []

    def tampering_probe(lab: Lab, upto: int = 2**62, timeout: float = 60.0) -> writer.Probe:
        found = real_probe(lab, upto, timeout)
        calls.append(found)
        if len(calls) == 1:  # right after the reading before the failure
            with sqlite3.connect(_database(lab)) as db:
                db.execute("DELETE FROM measurements WHERE id <= 2")
        return found

    monkeypatch.setattr(failover, "probe", tampering_probe)
    [experiment] = failover.run(lab, progress=False)
    assert experiment.rows_missing == 2
    assert experiment.verdict.startswith("DATA LOST: 2 of ")
    assert [s.status for s in lab.workspace.steps() if s.step == "failover delete-pod"] == ["failed"]


def test_a_changed_row_fails_the_verdict_too(open_sim_lab: Callable[..., Lab], monkeypatch: pytest.MonkeyPatch) -> None:
    lab = open_sim_lab(sim_workers=2, speed=60, failures=["delete-pod"])
    _writer(lab)
    real_probe, calls = writer.probe, []

    def tampering_probe(lab: Lab, upto: int = 2**62, timeout: float = 60.0) -> writer.Probe:
        calls.append(found := real_probe(lab, upto, timeout))
        if len(calls) == 1:
            with sqlite3.connect(_database(lab)) as db:
                db.execute("UPDATE measurements SET node = 'elsewhere' WHERE id = 1")
        return found

    monkeypatch.setattr(failover, "probe", tampering_probe)
    [experiment] = failover.run(lab, progress=False)
    assert experiment.verdict == "DATA LOST: earlier rows changed"


def test_without_an_nfs_provisioner_the_lab_says_how_to_install_one(open_sim_lab: Callable[..., Lab]) -> None:
    lab = open_sim_lab(sim_addons=["metrics-server"])
    assert nfs_class.detect(lab) == []
    with pytest.raises(NoNfsProvisioner) as missing:
        nfs_class.choose(lab, [])
    assert "helm install csi-driver-nfs" in str(missing.value) and "nfs-common" in str(missing.value)


def test_nfs_subdir_parameters_are_mapped_and_a_foreign_export_is_refused(open_sim_lab: Callable[..., Lab]) -> None:
    lab = open_sim_lab(sim_addons=["metrics-server", "nfs-subdir"])
    [found] = nfs_class.detect(lab)
    assert (found.kind, found.name, found.server, found.path) == (
        "nfs-subdir",
        "cluster.local/nfs-subdir-external-provisioner",
        "192.168.42.50",
        "/export/sugarkube",
    )
    sc = nfs_class.manifest(lab.params, found)
    assert sc["provisioner"] == found.name and sc["parameters"] == {"archiveOnDelete": "true"}
    other = lab.params.model_copy(update={"nfs_export": "192.168.42.50:/export/other"})
    with pytest.raises(NoNfsProvisioner, match=re.escape("serves 192.168.42.50:/export/sugarkube")):
        nfs_class.manifest(other, found)
    with pytest.raises(NoNfsProvisioner, match="is not running"):
        nfs_class.choose(
            type(lab)(lab.params.model_copy(update={"nfs_provisioner": "csi-driver-nfs"}), lab.cluster, lab.workspace),
            [found],
        )


def test_a_claim_stuck_pending_is_diagnosed_with_its_events_and_the_nfs_hints(open_sim_lab: Callable[..., Lab]) -> None:
    lab = open_sim_lab(sim_workers=1, nfs_export="192.168.42.99:/export/sugarkube", storage_timeout=60)
    with pytest.raises(StoragePending) as stuck:
        _writer(lab)
    text = str(stuck.value)
    assert "claim lab-scale/data-nfs-sqlite-0: Pending" in text
    assert "ProvisioningFailed" in text and "mount.nfs: Connection timed out" in text
    assert "showmount -e" in text and "TCP/2049" in text


def test_node_local_storage_cannot_follow_its_pod_to_another_node(open_sim_lab: Callable[..., Lab]) -> None:
    lab = open_sim_lab(sim_workers=2, speed=60, storage_class="local-path", storage_timeout=240, failures=["power-off"])
    writer.deploy(lab, writer.manifests(lab.params))
    writer.wait_ready(lab, progress=False)
    with pytest.raises(StoragePending, match="volume node affinity conflict"):
        failover.power_off(lab, progress=False)


def test_exec_runs_python_on_the_volume_and_refuses_what_the_image_lacks(open_sim_lab: Callable[..., Lab]) -> None:
    lab = open_sim_lab(sim_workers=1, speed=60)
    _writer(lab)
    assert writer.probe(lab).integrity == "ok"
    channel = stream(
        lab.cluster.core.connect_get_namespaced_pod_exec,
        writer.POD,
        "lab-scale",
        command=["sqlite3", "/data/measurements.db", "PRAGMA integrity_check"],
        stderr=True,
        stdin=False,
        stdout=True,
        tty=False,
        _preload_content=False,
    )
    channel.run_forever(timeout=30)
    assert channel.returncode == 126 and "executable file not found" in channel.read_stderr()
    with pytest.raises(ApiException):
        stream(
            lab.cluster.core.connect_get_namespaced_pod_exec,
            "no-such-pod",
            "lab-scale",
            command=["python3"],
            stderr=True,
            stdin=False,
            stdout=True,
            tty=False,
        )


def test_the_statefulset_keeps_its_claim_when_it_is_deleted(open_sim_lab: Callable[..., Lab]) -> None:
    lab = open_sim_lab(sim_workers=1, speed=60)
    _writer(lab)
    client.AppsV1Api(lab.cluster.api).delete_namespaced_stateful_set(writer.NAME, "lab-scale")
    claim = lab.cluster.core.read_namespaced_persistent_volume_claim(writer.CLAIM, "lab-scale")
    assert claim.status.phase == "Bound" and _database(lab).exists()


def test_an_experiment_the_cluster_cannot_host_is_reported_not_judged(open_sim_lab: Callable[..., Lab]) -> None:
    lab = open_sim_lab(sim_workers=1, speed=60, failures=["drain-node"])
    _writer(lab)
    [experiment] = failover.run(lab, progress=False)
    assert experiment.verdict.startswith("not run: drain-node needs a second Ready worker")
    assert failover.frame([experiment]).empty
    assert not [s for s in lab.workspace.steps() if s.step.startswith("failover")]
    assert "not run: drain-node needs a second Ready worker" in failover.report(lab, [experiment], "csi-driver-nfs")
