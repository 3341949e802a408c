"""Where a volume lives on the simulated disks: a real directory under the simulator's state, node-local
volumes and a pod's hostPath volumes under that node's disk and NFS ones under the NAS export (`nas`). Used by the volume controller,
which provisions and removes them, and by the kubelet's sandbox, which mounts them into containers."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from sugarlab.common.objects import Obj
from sugarlab.sim.storage.store import Store
from sugarlab.sim.world import nas


def node_disk(state_dir: Path, node: str) -> Path:
    return state_dir / "nodes" / node


def node_host_path(state_dir: Path, node: str, path: str) -> Path:
    """A path of a node's own filesystem (a hostPath): under that node's disk, so it outlives the pods that
    mount it and no other node sees it."""
    return node_disk(state_dir, node) / PurePosixPath(path).relative_to("/")


def volume_dir(state_dir: Path, pv: Obj) -> Path:
    """The real directory behind a PersistentVolume (raises nas.MountError for an unreachable export)."""
    spec = pv["spec"]
    if "csi" in spec:
        attributes = spec["csi"]["volumeAttributes"]
        subdir: str = attributes["subdir"]
        return nas.export_dir(state_dir, attributes["server"], attributes["share"]) / subdir
    if "nfs" in spec:
        return nas.export_dir(state_dir, spec["nfs"]["server"], spec["nfs"]["path"])
    node = spec["nodeAffinity"]["required"]["nodeSelectorTerms"][0]["matchExpressions"][0]["values"][0]
    return node_host_path(state_dir, node, spec["hostPath"]["path"])


def host_path(store: Store, state_dir: Path, pod: Obj, container: Obj, path: str) -> Path | None:
    """Where `path` inside the container lives on this machine, if it is on a claimed volume."""
    wanted = PurePosixPath(path)
    for mount in container.get("volumeMounts") or []:
        root = PurePosixPath(mount["mountPath"])
        if wanted != root and root not in wanted.parents:
            continue
        volume: Obj = next((v for v in pod["spec"].get("volumes") or [] if v["name"] == mount["name"]), {})
        claim_name = (volume.get("persistentVolumeClaim") or {}).get("claimName")
        claim = claim_name and store.find(store.kind("PersistentVolumeClaim"), pod["metadata"]["namespace"], claim_name)
        pv = claim and store.find(store.kind("PersistentVolume"), "", claim["spec"].get("volumeName", ""))
        if not pv:
            return None
        return volume_dir(state_dir, pv) / (mount.get("subPath") or "") / wanted.relative_to(root)
    return None
