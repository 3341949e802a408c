"""What a NAS that stops answering does to the pods that mount it, as a hard NFS mount behaves.

A pod that has yet to start cannot mount its volume: it stays `ContainerCreating` and the kubelet
reports `FailedMount`, retrying with back-off (pkg/volume/util/nestedpendingoperations: 500 ms
doubling to 2 min 2 s; the event repeats at that pace). A running container whose volume hangs
makes no progress: I/O on a hard mount blocks until the server answers (nfs(5), `hard`), modelled by
stopping its processes (SIGSTOP) and continuing them (SIGCONT) when the NAS answers again, so a
writer resumes where it was and the rows it would have written meanwhile are never written.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sugarlab.common.objects import Obj
from sugarlab.sim.storage import events
from sugarlab.sim.storage.store import Store
from sugarlab.sim.world import nas

MOUNT_RETRY_S = 122.0  # the volume manager's longest back-off, 2 min 2 s
NFS_MOUNT_OPTIONS = "-t nfs"

if TYPE_CHECKING:  # processes imports the sandbox, which imports file_volumes, which imports this module
    from sugarlab.sim.kubelet.processes import LocalProcesses


def nfs_volumes(store: Store, pod: Obj) -> list[Obj]:
    """The PersistentVolumes on the NAS that the pod mounts."""
    found = []
    for volume in pod["spec"].get("volumes") or []:
        claim_name = (volume.get("persistentVolumeClaim") or {}).get("claimName")
        claim = claim_name and store.find(store.kind("PersistentVolumeClaim"), pod["metadata"]["namespace"], claim_name)
        pv = claim and store.find(store.kind("PersistentVolume"), "", claim["spec"].get("volumeName", ""))
        if pv and ("nfs" in pv["spec"] or "csi" in pv["spec"]):
            found.append(pv)
    return found


def _mount_failure(pod: Obj, pv: Obj) -> str:
    """csi-driver-nfs's NodePublishVolume error as the kubelet's operation executor reports it."""
    spec = pv["spec"]
    if "csi" in spec:
        a = spec["csi"]["volumeAttributes"]
        source = f"{a['server']}:{a['share'].rstrip('/')}/{a['subdir']}"
        target = (
            f"/var/lib/kubelet/pods/{pod['metadata']['uid']}/volumes/kubernetes.io~csi/{pv['metadata']['name']}/mount"
        )
        return (
            f'MountVolume.SetUp failed for volume "{pv["metadata"]["name"]}" : rpc error: code = Internal desc = '
            f"mount failed: exit status 32\nMounting command: mount\nMounting arguments: {NFS_MOUNT_OPTIONS} "
            f"{source} {target}\nOutput: mount.nfs: Connection timed out\n"
        )
    source = f"{spec['nfs']['server']}:{spec['nfs']['path']}"
    target = f"/var/lib/kubelet/pods/{pod['metadata']['uid']}/volumes/kubernetes.io~nfs/{pv['metadata']['name']}"
    return (
        f'MountVolume.SetUp failed for volume "{pv["metadata"]["name"]}" : mount failed: exit status 32\n'
        f"Mounting command: mount\nMounting arguments: {NFS_MOUNT_OPTIONS} {source} {target}\n"
        "Output: mount.nfs: Connection timed out\n"
    )


class NasOutage:
    def __init__(self, store: Store, processes: LocalProcesses, state_dir: Path) -> None:
        self.store, self.processes, self.state_dir = store, processes, state_dir
        self._reported: dict[str, float] = {}  # pod uid -> when FailedMount was last reported
        self._stalled: set[str] = set()  # pod uids whose containers are stopped on a hung mount

    def holds(self, pod: Obj, host: str, now: datetime) -> bool:
        """Whether the pod's volumes cannot be mounted now (reporting FailedMount as the kubelet does)."""
        if nas.answering(self.state_dir):
            return False
        volumes = nfs_volumes(self.store, pod)
        if not volumes:
            return False
        uid = pod["metadata"]["uid"]
        if now.timestamp() - self._reported.get(uid, float("-inf")) >= MOUNT_RETRY_S:
            self._reported[uid] = now.timestamp()
            for pv in volumes:
                events.record(
                    self.store, pod, "FailedMount", _mount_failure(pod, pv), "kubelet", warning=True, host=host
                )
        return True

    def stalled(self, pod: Obj) -> bool:
        """Stop a running pod's containers while its NFS volume hangs, continue them once it answers."""
        uid = pod["metadata"]["uid"]
        hung = not nas.answering(self.state_dir) and bool(nfs_volumes(self.store, pod))
        if hung and uid not in self._stalled:
            self.processes.confined.pause(uid)
            self._stalled.add(uid)
        elif not hung and uid in self._stalled:
            self.processes.confined.resume(uid)
            self._stalled.discard(uid)
        return hung

    def forget(self, uid: str) -> None:
        self._reported.pop(uid, None)
        self._stalled.discard(uid)
