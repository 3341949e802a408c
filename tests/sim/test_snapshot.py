"""The final snapshot: nodes, pods, and `kubectl describe storageclass` laid out as kubectl does."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from kubernetes import client

from sugarlab.lab.session import Lab
from sugarlab.steps.operations import snapshot

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
NFS_SHARED = {
    "metadata": {"name": "nfs-shared", "annotations": {"storageclass.kubernetes.io/is-default-class": "false"}},
    "provisioner": "nfs.csi.k8s.io",
    "parameters": {"share": "/export/k8s", "server": "192.168.1.10"},
    "reclaimPolicy": "Retain",
    "volumeBindingMode": "Immediate",
    "allowVolumeExpansion": True,
    "mountOptions": ["nfsvers=4.1", "hard"],
}


def test_describe_reads_like_kubectl() -> None:
    assert snapshot.describe_storage_class(NFS_SHARED, [], NOW) == (
        "Name:                  nfs-shared\n"
        "IsDefaultClass:        No\n"
        "Annotations:           storageclass.kubernetes.io/is-default-class=false\n"
        "Provisioner:           nfs.csi.k8s.io\n"
        "Parameters:            server=192.168.1.10,share=/export/k8s\n"
        "AllowVolumeExpansion:  True\n"
        "MountOptions:\n"
        "  nfsvers=4.1\n"
        "  hard\n"
        "ReclaimPolicy:      Retain\n"
        "VolumeBindingMode:  Immediate\n"
        "Events:             <none>\n"
    )


def test_a_default_class_without_options_and_with_an_event() -> None:
    local_path = {
        "metadata": {"name": "local-path", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
        "provisioner": "rancher.io/local-path",
        "reclaimPolicy": "Delete",
        "volumeBindingMode": "WaitForFirstConsumer",
    }
    event = {
        "type": "Warning",
        "reason": "ProvisioningFailed",
        "count": 2,
        "firstTimestamp": "2026-11-26T09:50:00Z",
        "lastTimestamp": "2026-11-26T09:58:00Z",
        "source": {"component": "persistentvolume-controller"},
        "message": "no volume plugin matched",
    }
    text = snapshot.describe_storage_class(local_path, [event], NOW).splitlines()
    assert text[1] == "IsDefaultClass:        Yes" and text[4] == "Parameters:            <none>"
    assert text[5] == "AllowVolumeExpansion:  <unset>" and text[6] == "MountOptions:          <none>"
    assert text[9] == "Events:"
    assert text[10].split() == ["Type", "Reason", "Age", "From", "Message"]
    assert text[12].split()[:5] == ["Warning", "ProvisioningFailed", "2m", "(x2", "over"]


def test_the_snapshot_files_and_a_missing_class(open_sim_lab: Callable[..., Lab]) -> None:
    lab = open_sim_lab(storage_class="nfs-shared")
    texts = snapshot.take(lab)
    assert texts[snapshot.NODES].startswith("NAME ") and "sugarkube0   Ready" in texts[snapshot.NODES]
    assert texts[snapshot.PODS].startswith("NAMESPACE ") and "coredns-" in texts[snapshot.PODS]
    missing = lab.workspace.read_text(snapshot.STORAGE_CLASS)
    assert missing.startswith('Error from server (NotFound): storageclasses.storage.k8s.io "nfs-shared" not found')
    assert "notebook 04 (storage) creates it" in missing
    assert [s.status for s in lab.workspace.steps() if s.step == "final snapshot"] == ["failed"]
    client.StorageV1Api(lab.cluster.api).create_storage_class(
        {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", **NFS_SHARED}
    )
    found = snapshot.take(lab)[snapshot.STORAGE_CLASS]
    assert found.startswith("Name:                  nfs-shared\n") and "  nfsvers=4.1\n" in found
    assert [s.status for s in lab.workspace.steps() if s.step == "final snapshot"] == ["passed"]
