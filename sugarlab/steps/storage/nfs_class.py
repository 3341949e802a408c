"""The `nfs-shared` StorageClass, for whichever NFS provisioner the cluster really runs.

The tutorial's class names `cluster.local/nfs`, a provisioner nothing installs under that name. A
class only works when a provisioner watching for its name is running, and each provisioner reads
its own parameters: csi-driver-nfs takes `server` and `share` from the class, while
nfs-subdir-external-provisioner serves the one export it was installed with and ignores both.
So the provisioners are found in the cluster first, and the tutorial's parameters are mapped onto
the chosen one's names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from kubernetes import client

from sugarlab.common.kubectl import pod_ready
from sugarlab.kube.apply import server_side_apply
from sugarlab.kube.errors import ApiError
from sugarlab.kube.inventory import as_dict
from sugarlab.lab.errors import NoNfsProvisioner
from sugarlab.lab.params import LabParams
from sugarlab.lab.session import Lab

CLASS_NAME = "nfs-shared"
MANIFEST = "storage/nfs-storageclass.yaml"
CSI_NFS = "nfs.csi.k8s.io"
CSI_NFS_VERSION = "v4.11.0"  # the csi-driver-nfs release the install hint names
INSTALL_HINT = f"""No NFS provisioner is running in this cluster, so a claim of class `{CLASS_NAME}` would stay
Pending for ever. Install one, then run this notebook again; either

* **csi-driver-nfs** (the Kubernetes SIG Storage CSI driver; the class names the server and share):

  ```bash
  helm repo add csi-driver-nfs https://raw.githubusercontent.com/kubernetes-csi/csi-driver-nfs/master/charts
  helm install csi-driver-nfs csi-driver-nfs/csi-driver-nfs --namespace kube-system --version {CSI_NFS_VERSION}
  kubectl -n kube-system rollout status deployment/csi-nfs-controller
  ```

* or **nfs-subdir-external-provisioner** (one export, fixed at install time):

  ```bash
  helm repo add nfs-subdir-external-provisioner https://kubernetes-sigs.github.io/nfs-subdir-external-provisioner/
  helm install nfs-subdir-external-provisioner nfs-subdir-external-provisioner/nfs-subdir-external-provisioner \\
    --set nfs.server=<server> --set nfs.path=<export>
  ```

Every node also needs the NFS client (`sudo apt install nfs-common` on Raspberry Pi OS)."""


@dataclass(frozen=True)
class Provisioner:
    kind: str  # csi-driver-nfs or nfs-subdir
    name: str  # what a StorageClass's `provisioner` must say
    namespace: str
    pod: str
    ready: bool
    server: str = ""  # nfs-subdir only: the export it was installed with
    path: str = ""

    def describe(self) -> str:
        export = f", export {self.server}:{self.path}" if self.server else ""
        return f"{self.kind} ({self.name}) in pod {self.namespace}/{self.pod}, {'ready' if self.ready else 'NOT ready'}{export}"


def detect(lab: Lab) -> list[Provisioner]:
    """The NFS provisioners whose pods exist, read from their images and environment."""
    drivers = {d.metadata.name for d in client.StorageV1Api(lab.cluster.api).list_csi_driver().items}
    found: list[Provisioner] = []
    for pod in lab.cluster.core.list_pod_for_all_namespaces().items:
        for container in pod.spec.containers:
            env = {e.name: e.value or "" for e in container.env or []}
            where = (pod.metadata.namespace, pod.metadata.name, pod_ready(as_dict(pod)))
            if "nfsplugin" in container.image and CSI_NFS in drivers:
                found.append(Provisioner("csi-driver-nfs", CSI_NFS, *where))
            elif (
                "nfs-subdir-external-provisioner" in container.image or "nfs-client-provisioner" in container.image
            ) and env.get("PROVISIONER_NAME"):
                found.append(
                    Provisioner(
                        "nfs-subdir",
                        env["PROVISIONER_NAME"],
                        *where,
                        env.get("NFS_SERVER", ""),
                        env.get("NFS_PATH", ""),
                    )
                )
    return sorted(set(found), key=lambda p: (p.kind, p.name, p.pod))


def choose(lab: Lab, found: list[Provisioner]) -> Provisioner:
    """The provisioner named by `nfs_provisioner`, or with `auto` a ready one (csi-driver-nfs first)."""
    wanted = lab.params.nfs_provisioner
    if not found:
        raise NoNfsProvisioner(INSTALL_HINT)
    candidates = [p for p in found if wanted in ("auto", p.name, p.kind)]
    if not candidates:
        raise NoNfsProvisioner(
            f"nfs_provisioner={wanted!r} is not running; found: " + "; ".join(p.describe() for p in found)
        )
    ready = [p for p in candidates if p.ready] or candidates
    return ready[0]


def manifest(p: LabParams, provisioner: Provisioner) -> dict[str, Any]:
    sc: dict[str, Any] = {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": CLASS_NAME},
        "provisioner": provisioner.name,
        "reclaimPolicy": p.nfs_reclaim_policy,
        "volumeBindingMode": "Immediate",
    }
    if provisioner.kind == "csi-driver-nfs":
        sc["parameters"] = {"server": p.nfs_server, "share": p.nfs_path}
    else:
        if (provisioner.server, provisioner.path) != (p.nfs_server, p.nfs_path):
            raise NoNfsProvisioner(
                f"{provisioner.describe()} serves {provisioner.server}:{provisioner.path}, not the requested "
                f"{p.nfs_server}:{p.nfs_path}; it cannot be told another export per class. Set nfs_export to "
                "its export, or reinstall its chart with --set nfs.server=... --set nfs.path=..."
            )
        # The provisioner keeps a deleted claim's data as `archived-...` when asked; Retain keeps it too.
        sc["parameters"] = {"archiveOnDelete": "true" if p.nfs_reclaim_policy == "Retain" else "false"}
    sc["mountOptions"] = list(p.nfs_mount_options)
    return sc


def apply(lab: Lab, sc: dict[str, Any]) -> str:
    """Write the class where the tutorial keeps it and apply it. A class's provisioner and parameters
    cannot change in place, so a different old class is replaced (its volumes keep their own copy)."""
    lab.workspace.write_text(MANIFEST, yaml.safe_dump(sc, sort_keys=False))
    storage = client.StorageV1Api(lab.cluster.api)
    try:
        old = lab.cluster.api.sanitize_for_serialization(storage.read_storage_class(CLASS_NAME))
    except ApiError as error:
        if error.status != 404:
            raise
        old = None
    fixed = ("provisioner", "parameters", "reclaimPolicy", "mountOptions", "volumeBindingMode")
    if old is not None and any(old.get(k) != sc.get(k) for k in fixed):
        storage.delete_storage_class(CLASS_NAME)
        outcome = "replaced"
    else:
        outcome = "unchanged" if old is not None else "created"
    server_side_apply(lab.cluster, [sc], None)
    return outcome
