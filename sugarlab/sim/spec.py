"""What a simulated cluster is made from. Same spec, same cluster."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sugarlab.core.params import LabParams

CONTEXT = "sugarkube-sim"  # cluster, user and context name in the simulator's kubeconfig


@dataclass(frozen=True)
class ClusterSpec:
    seed: int = 7
    controller_profile: str = "pi5-8gb"
    workers: int = 0
    worker_profile: str = "pi4-4gb"
    metrics_server: bool = True
    nfs_provisioner: str = "csi-driver-nfs"  # csi-driver-nfs, nfs-subdir or none

    @classmethod
    def from_params(cls, params: LabParams) -> "ClusterSpec":
        return cls(params.seed, params.controller_profile, params.sim_workers, params.worker_profile,
                   params.metrics_server, params.sim_nfs_provisioner)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)
