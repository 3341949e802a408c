"""`sugarlab clean` on the simulator: everything the lab made carries its labels, and clean removes
exactly that, in order, keeps retained volumes unless --purge, leaves the workers, and is idempotent."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from kubernetes import client

from sugarlab.app.cli import main
from sugarlab.kube import clean
from sugarlab.kube.labels import KEPT_ANNOTATION, LAB_SELECTOR, RUN
from sugarlab.lab.session import Lab
from sugarlab.steps import workload
from sugarlab.steps.operations import disruption
from sugarlab.steps.storage import nfs_class, writer


def _build(lab: Lab) -> None:
    """What notebooks 03, 04 and 06 create: a Job, the NFS class and SQLite writer, and budgets."""
    workload.launch(lab, workload.job_manifest(lab.params))
    nfs_class.apply(lab, nfs_class.manifest(lab.params, nfs_class.choose(lab, nfs_class.detect(lab))))
    writer.deploy(lab, writer.manifests(lab.params))
    writer.wait_ready(lab, progress=False)
    disruption.apply(lab, disruption.discover(lab)[1])


def _ready_nodes(lab: Lab) -> list[str]:
    return sorted(
        n.metadata.name
        for n in lab.cluster.core.list_node().items
        if any(c.type == "Ready" and c.status == "True" for c in n.status.conditions)
    )


def test_clean_removes_every_lab_object_keeps_workers_and_retained_volumes(
    open_sim_lab: Callable[..., Lab], capsys: pytest.CaptureFixture[str]
) -> None:
    lab = open_sim_lab(sim_workers=2)
    _build(lab)
    core, storage = lab.cluster.core, client.StorageV1Api(lab.cluster.api)
    policy = client.PolicyV1Api(lab.cluster.api)
    run = lab.workspace.lab_id()
    assert core.read_namespace("lab-scale").metadata.labels[RUN] == run
    assert storage.read_storage_class("nfs-shared").metadata.labels[RUN] == run
    assert {
        b.metadata.namespace
        for b in policy.list_pod_disruption_budget_for_all_namespaces(label_selector=LAB_SELECTOR).items
    } == {"kube-system", "lab-scale"}
    assert core.list_namespaced_pod("lab-scale", label_selector=LAB_SELECTOR).items  # from the templates
    assert (
        not core.read_namespace("kube-system").metadata.labels
        or RUN not in core.read_namespace("kube-system").metadata.labels
    )  # a namespace the lab did not create is never claimed
    claimed = core.read_namespaced_persistent_volume_claim(writer.CLAIM, "lab-scale").spec.volume_name
    nodes = _ready_nodes(lab)

    workspace = str(lab.workspace.root)
    assert main(["clean", "-p", "workspace", workspace, "--yes"]) == 0
    out = capsys.readouterr().out
    order = [
        out.index(f"deleted {what}")
        for what in (
            "Job lab-scale/stress-load",
            "PersistentVolumeClaim lab-scale/",
            "StorageClass nfs-shared",
            "Namespace lab-scale",
        )
    ]
    assert order == sorted(order)
    assert not clean.plan(lab.cluster).objects
    assert "lab-scale" not in {ns.metadata.name for ns in core.list_namespace().items}
    assert "nfs-shared" not in {sc.metadata.name for sc in storage.list_storage_class().items}
    assert not policy.list_pod_disruption_budget_for_all_namespaces(label_selector=LAB_SELECTOR).items
    assert _ready_nodes(lab) == nodes  # the workers stay joined
    kept = core.read_persistent_volume(claimed)  # nfs_reclaim_policy Retain: the data outlives the claim
    assert kept.metadata.annotations[KEPT_ANNOTATION] == f"lab-scale/{writer.CLAIM}"
    assert f"kept PersistentVolume {claimed} (Retain)" in out

    assert main(["clean", "-p", "workspace", workspace, "--yes"]) == 0  # idempotent
    again = capsys.readouterr().out
    assert "nothing of the lab's is left" in again and "deleted" not in again

    assert main(["clean", "-p", "workspace", workspace, "--yes", "--purge"]) == 0
    assert f"purged PersistentVolume {claimed}" in capsys.readouterr().out
    assert claimed not in {pv.metadata.name for pv in core.list_persistent_volume().items}


def test_clean_asks_first_and_deletes_nothing_when_declined(
    open_sim_lab: Callable[..., Lab], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lab = open_sim_lab()
    workload.launch(lab, workload.job_manifest(lab.params))
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda question: "n")
    assert main(["clean", "-p", "workspace", str(lab.workspace.root)]) == 1
    out = capsys.readouterr().out
    assert "delete workloads: Job lab-scale/stress-load" in out and "nothing deleted" in out
    assert client.BatchV1Api(lab.cluster.api).read_namespaced_job("stress-load", "lab-scale")
