"""What a simulated cluster is made from, and the catalogues it can be made of. Same spec, same cluster.

The simulator owns its spec: a driver (the workbook's parameters, a test) builds a `ClusterSpec`
and checks names against the catalogues here; nothing in this module knows who drives it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sugarlab.sim.world.fio import MEDIA
from sugarlab.sim.world.profiles import NODE_PROFILES

CONTEXT = "sugarkube-sim"  # cluster, user and context name in the simulator's kubeconfig

PROFILES: tuple[str, ...] = tuple(sorted(NODE_PROFILES))  # hardware of a node (see `profiles`)
STORAGE_MEDIA: tuple[str, ...] = tuple(MEDIA)  # what a node's disk is made of (see `fio`)
FAULTS = ("clock-skew", "flannel-blocked", "firewall-6443", "leftover-agent")  # a joining machine's misconfiguration
NFS_PROVISIONERS = ("csi-driver-nfs", "nfs-subdir", "none")


class SpecError(ValueError):
    """A spec names something the simulator does not have; the message lists what it has."""


def check_profile(profile: str) -> str:
    if profile not in NODE_PROFILES:
        raise SpecError(f"allowed profiles: {', '.join(PROFILES)}")
    return profile


def check_medium(node: str, medium: str) -> str:
    if medium not in MEDIA:
        raise SpecError(f"medium {medium!r} of {node!r} is not one of {', '.join(STORAGE_MEDIA)}")
    return medium


def check_fault(machine: str, fault: str) -> str:
    if fault not in FAULTS:
        raise SpecError(f"fault {fault!r} of {machine!r} is not one of {', '.join(FAULTS)}")
    return fault


@dataclass(frozen=True)
class ClusterSpec:
    seed: int = 7
    controller_profile: str = "pi5-8gb"
    workers: int = 0
    worker_profile: str = "pi4-4gb"
    metrics_server: bool = True
    nfs_provisioner: str = "csi-driver-nfs"

    def __post_init__(self) -> None:
        check_profile(self.controller_profile)
        check_profile(self.worker_profile)
        if self.seed < 0 or self.workers < 0:
            raise SpecError(f"seed and workers must not be negative (seed={self.seed}, workers={self.workers})")
        if self.nfs_provisioner not in NFS_PROVISIONERS:
            raise SpecError(f"nfs_provisioner {self.nfs_provisioner!r} is not one of {', '.join(NFS_PROVISIONERS)}")

    def as_dict(self) -> dict[str, object]:
        return asdict(self)
