"""Dynamic provisioning: the provisioners running in the cluster turn claims into volumes.

Which provisioners exist is read from the cluster itself, as their own controllers would run:
k3s's local-path-provisioner (`rancher.io/local-path`, a directory on the node), csi-driver-nfs
(`nfs.csi.k8s.io`: a CSIDriver object and its controller pod; a subdirectory of the class's
`server:share`) and nfs-subdir-external-provisioner (its `PROVISIONER_NAME`; a subdirectory of its
own `NFS_SERVER:NFS_PATH`). Every volume is a real directory under the simulator's state: node-local
ones under that node's disk, NFS ones under the NAS export (`nas`). Claims nobody provisions stay
Pending with the persistent-volume controller's events, as they do on a real cluster.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from sugarlab.common.kubectl import image_name
from sugarlab.common.objects import Obj
from sugarlab.sim.storage import events
from sugarlab.sim.storage.store import Store
from sugarlab.sim.world import nas
from sugarlab.sim.world.disks import node_disk, volume_dir

LOCAL_PATH = "rancher.io/local-path"
CSI_NFS = "nfs.csi.k8s.io"
LOCAL_PATH_ROOT = "/var/lib/rancher/k3s/storage"  # k3s's local-path-provisioner default
SELECTED_NODE = "volume.kubernetes.io/selected-node"
DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class"
RETRY_S = 15.0  # external-provisioner retries a failed claim with backoff; a fixed pause here


@dataclass(frozen=True)
class Provisioner:
    name: str
    kind: str  # local-path, csi-nfs or nfs-subdir
    env: dict[str, str]


def running_provisioners(store: Store) -> dict[str, Provisioner]:
    """Provisioner name -> the provisioner, for those whose pods are running."""
    found: dict[str, Provisioner] = {}
    drivers = {d["metadata"]["name"] for d in store.view(store.kind("CSIDriver"))}
    for pod in store.view(store.kind("Pod")):
        if pod.get("status", {}).get("phase") != "Running" or "deletionTimestamp" in pod["metadata"]:
            continue
        for container in pod["spec"]["containers"]:
            image = image_name(container["image"])
            env = {e["name"]: str(e.get("value", "")) for e in container.get("env") or []}
            if image.endswith("local-path-provisioner"):
                found[LOCAL_PATH] = Provisioner(LOCAL_PATH, "local-path", env)
            elif image.endswith("nfsplugin") and CSI_NFS in drivers:
                found[CSI_NFS] = Provisioner(CSI_NFS, "csi-nfs", env)
            elif image.endswith("nfs-subdir-external-provisioner") and env.get("PROVISIONER_NAME"):
                found[env["PROVISIONER_NAME"]] = Provisioner(env["PROVISIONER_NAME"], "nfs-subdir", env)
    return found


def default_class(store: Store) -> str:
    for sc in store.view(store.kind("StorageClass")):
        if (sc["metadata"].get("annotations") or {}).get(DEFAULT_CLASS) == "true":
            return str(sc["metadata"]["name"])
    return ""


def claim_class(store: Store, claim: Obj) -> str:
    name = claim["spec"].get("storageClassName")
    return default_class(store) if name is None else str(name)


class VolumeController:
    """The persistent-volume controller and the external provisioners, in one reconcile loop."""

    def __init__(self, store: Store, state_dir: Path) -> None:
        self.store, self.state_dir = store, state_dir
        self._said: dict[str, str] = {}  # claim uid -> the last event reason, so events are not repeated
        self._retry_at: dict[str, float] = {}  # claim uid -> when a failed provisioning is tried again

    def reconcile(self) -> None:
        provisioners = running_provisioners(self.store)
        classes = {sc["metadata"]["name"]: sc for sc in self.store.view(self.store.kind("StorageClass"))}
        claims = self.store.view(self.store.kind("PersistentVolumeClaim"))
        for claim in claims:
            if not claim["spec"].get("volumeName") and "deletionTimestamp" not in claim["metadata"]:
                self._provision(claim, classes, provisioners)
        self._release({c["metadata"]["uid"] for c in claims})

    def _say(self, claim: Obj, reason: str, message: str, component: str, warning: bool = False) -> None:
        if self._said.get(claim["metadata"]["uid"]) != f"{reason}:{message}":
            self._said[claim["metadata"]["uid"]] = f"{reason}:{message}"
            events.record(self.store, claim, reason, message, component, warning=warning)

    def _provision(self, claim: Obj, classes: dict[str, Obj], provisioners: dict[str, Provisioner]) -> None:
        meta = claim["metadata"]
        class_name = claim_class(self.store, claim)
        sc = classes.get(class_name)
        if sc is None:
            self._say(
                claim,
                "ProvisioningFailed",
                f'storageclass.storage.k8s.io "{class_name}" not found',
                "persistentvolume-controller",
                warning=True,
            )
            return
        if sc.get("volumeBindingMode") == "WaitForFirstConsumer" and SELECTED_NODE not in (
            meta.get("annotations") or {}
        ):
            self._say(
                claim,
                "WaitForFirstConsumer",
                "waiting for first consumer to be created before binding",
                "persistentvolume-controller",
            )
            return
        provisioner = provisioners.get(sc["provisioner"])
        if provisioner is None:
            self._say(
                claim,
                "ExternalProvisioning",
                f"Waiting for a volume to be created either by the external provisioner '{sc['provisioner']}' "
                "or manually by the system administrator. If volume creation is delayed, please verify that "
                "the provisioner is running and correctly registered.",
                "persistentvolume-controller",
            )
            return
        now = self.store.clock.now().timestamp()
        if now < self._retry_at.get(meta["uid"], 0):
            return
        component = {
            "csi-nfs": "nfs.csi.k8s.io_csi-nfs-controller",
            "local-path": "rancher.io/local-path_local-path-provisioner",
            "nfs-subdir": f"{provisioner.name}_nfs-subdir-external-provisioner",
        }[provisioner.kind]
        pv_name = f"pvc-{meta['uid']}"
        events.record(
            self.store,
            claim,
            "Provisioning",
            f'External provisioner is provisioning volume for claim "{meta["namespace"]}/{meta["name"]}"',
            component,
        )
        try:
            source, folder = self._source(provisioner, sc, claim, pv_name)
            folder.mkdir(parents=True, exist_ok=True)
        except (nas.MountError, ValueError) as exc:
            self._retry_at[meta["uid"]] = now + RETRY_S
            self._say(
                claim,
                "ProvisioningFailed",
                f'failed to provision volume with StorageClass "{class_name}": {exc}',
                component,
                warning=True,
            )
            return
        self._bind(claim, sc, pv_name, provisioner, source)
        events.record(
            self.store, claim, "ProvisioningSucceeded", f"Successfully provisioned volume {pv_name}", component
        )

    def _source(self, provisioner: Provisioner, sc: Obj, claim: Obj, pv_name: str) -> tuple[Obj, Path]:
        """The PV's volume source and its directory, as each provisioner lays them out."""
        meta, params = claim["metadata"], sc.get("parameters") or {}
        modes = set(claim["spec"].get("accessModes") or [])
        if provisioner.kind == "local-path":
            if modes - {"ReadWriteOnce", "ReadWriteOncePod"}:
                raise ValueError("NodePath only supports ReadWriteOnce and ReadWriteOncePod (1.22+) access modes")
            node = meta["annotations"][SELECTED_NODE]
            path = f"{LOCAL_PATH_ROOT}/{pv_name}_{meta['namespace']}_{meta['name']}"
            affinity = {
                "required": {
                    "nodeSelectorTerms": [
                        {"matchExpressions": [{"key": "kubernetes.io/hostname", "operator": "In", "values": [node]}]}
                    ]
                }
            }
            return (
                {"hostPath": {"path": path, "type": "DirectoryOrCreate"}, "nodeAffinity": affinity},
                node_disk(self.state_dir, node) / path.lstrip("/"),
            )
        if provisioner.kind == "csi-nfs":
            if "server" not in params or "share" not in params:
                raise ValueError(
                    "rpc error: code = InvalidArgument desc = server and share are required parameters "
                    f"(got {sorted(params)})"
                )
            export = nas.export_dir(self.state_dir, params["server"], params["share"])
            attributes = {
                "server": params["server"],
                "share": params["share"],
                "subdir": pv_name,
                "csi.storage.k8s.io/pv/name": pv_name,
                "csi.storage.k8s.io/pvc/name": meta["name"],
                "csi.storage.k8s.io/pvc/namespace": meta["namespace"],
            }
            return (
                {
                    "csi": {
                        "driver": CSI_NFS,
                        "volumeHandle": f"{params['server']}#{params['share'].strip('/')}#{pv_name}##",
                        "volumeAttributes": attributes,
                    }
                },
                export / pv_name,
            )
        server, path = provisioner.env.get("NFS_SERVER", ""), provisioner.env.get("NFS_PATH", "")
        folder = f"{meta['namespace']}-{meta['name']}-{pv_name}"  # the provisioner's default pathPattern
        nas.export_dir(self.state_dir, server, path)
        return (
            {"nfs": {"server": server, "path": f"{path.rstrip('/')}/{folder}"}},
            nas.export_dir(self.state_dir, server, f"{path.rstrip('/')}/{folder}"),
        )

    def _bind(self, claim: Obj, sc: Obj, pv_name: str, provisioner: Provisioner, source: Obj) -> None:
        meta, spec = claim["metadata"], claim["spec"]
        size = spec.get("resources", {}).get("requests", {}).get("storage", "1Gi")
        pv = self.store.create(
            self.store.kind("PersistentVolume"),
            {
                "metadata": {
                    "name": pv_name,
                    "annotations": {"pv.kubernetes.io/provisioned-by": provisioner.name},
                    "finalizers": ["kubernetes.io/pv-protection"],
                },
                "spec": {
                    "accessModes": spec.get("accessModes", ["ReadWriteOnce"]),
                    "capacity": {"storage": size},
                    "claimRef": {
                        "apiVersion": "v1",
                        "kind": "PersistentVolumeClaim",
                        "namespace": meta["namespace"],
                        "name": meta["name"],
                        "uid": meta["uid"],
                    },
                    "persistentVolumeReclaimPolicy": sc.get("reclaimPolicy", "Delete"),
                    "storageClassName": sc["metadata"]["name"],
                    "volumeMode": "Filesystem",
                    **({"mountOptions": sc["mountOptions"]} if sc.get("mountOptions") else {}),
                    **source,
                },
                "status": {"phase": "Bound"},
            },
        )

        def bound(obj: Obj) -> None:
            obj["spec"]["volumeName"] = pv["metadata"]["name"]
            obj["spec"].setdefault("storageClassName", sc["metadata"]["name"])
            obj["metadata"].setdefault("annotations", {}).update(
                {
                    "pv.kubernetes.io/bind-completed": "yes",
                    "pv.kubernetes.io/bound-by-controller": "yes",
                    "volume.kubernetes.io/storage-provisioner": provisioner.name,
                }
            )
            obj["status"] = {"phase": "Bound", "accessModes": pv["spec"]["accessModes"], "capacity": {"storage": size}}

        self.store.update(self.store.kind("PersistentVolumeClaim"), meta["namespace"], meta["name"], bound)

    def _release(self, claims: set[str]) -> None:
        """Volumes whose claim is gone: deleted with their data under `Delete`, kept as Released under `Retain`."""
        pvs = self.store.kind("PersistentVolume")
        for pv in self.store.view(pvs):
            ref = pv["spec"].get("claimRef") or {}
            if not ref or ref.get("uid") in claims or pv.get("status", {}).get("phase") == "Released":
                continue
            if pv["spec"].get("persistentVolumeReclaimPolicy") == "Delete":
                try:
                    shutil.rmtree(volume_dir(self.state_dir, pv), ignore_errors=True)
                except nas.MountError:
                    continue
                self.store.delete(pvs, "", pv["metadata"]["name"])
            else:
                self.store.update(pvs, "", pv["metadata"]["name"], lambda o: o.update(status={"phase": "Released"}))
