"""The lab's parameters, validated in one place before anything touches a cluster.

Papermill converts `-p` values by their look (`-p seed 007` arrives as the int 7, `-p context 1`
as an int), so values are coerced here to the declared types and checked against what is allowed.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from kubernetes.utils import parse_quantity

from sugarlab.core.errors import ParameterError
from sugarlab.sim.spec import check_fault, check_medium, check_profile

DEFAULT_WORKSPACE = "~/sugarkube-labs/tutorial-13"
Failure = Literal["delete-pod", "drain-node", "power-off"]
FAILURES: tuple[Failure, ...] = ("delete-pod", "drain-node", "power-off")
WORKER_TAINT = "sugarkube.io/role=worker:NoSchedule"  # the tutorial's INSTALL_K3S_EXEC
TUTORIAL_STRESS_ARGS = ("--cpu", "2", "--io", "2", "--vm", "1", "--vm-bytes", "256M", "--timeout", "5m")
HOSTNAME = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
TAINT = re.compile(r"[\w./-]+=[\w.-]*:(NoSchedule|PreferNoSchedule|NoExecute)")
# Worst-case draw: the official supplies' ratings (Raspberry Pi 5: 27 W USB-C PD, 5.1 V x 5 A;
# Raspberry Pi 4: 15.3 W, 5.1 V x 3 A), an 8-port gigabit switch's typical 8 W adapter, and a USB 3
# port's 4.5 W (5 V x 900 mA) for a bus-powered SSD.
DEFAULT_POWER_DEVICES = {"sugarkube0 (Pi 5)": 27.0, "worker-a (Pi 4)": 15.3, "worker-b (Pi 4)": 15.3,
                         "switch": 8.0, "USB SSD": 4.5}


class LabParams(BaseModel):
    """Parameters shared by every notebook; each notebook's `parameters` cell sets a subset."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, frozen=True)

    backend: Literal["sim", "live"] = "sim"
    kubeconfig: str = Field("", description="live: kubeconfig file; empty means $KUBECONFIG or ~/.kube/config")
    context: str = Field("", description="live: kubeconfig context; empty means the current context")
    workspace: str = Field("", description="lab workspace root; empty means $SUGARLAB_WORKSPACE or " + DEFAULT_WORKSPACE)
    seed: int = Field(7, ge=0, description="sim: seed of the simulated cluster")
    speed: float = Field(60.0, gt=0, le=3600, description="sim: virtual seconds per real second")
    controller_profile: str = Field("pi5-8gb", description="sim: hardware profile of the controller")
    sim_workers: int = Field(0, ge=0, le=16, description="sim: worker nodes the simulated cluster starts with")
    worker_profile: str = Field("pi4-4gb", description="sim: hardware profile of pre-existing workers")
    metrics_server: bool = Field(True, description="sim: whether the simulated cluster runs metrics-server")
    sim_nfs_provisioner: Literal["csi-driver-nfs", "nfs-subdir", "none"] = Field(
        "csi-driver-nfs", description="sim: the NFS provisioner installed in the simulated cluster")

    # 02-expansion
    power_devices: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_POWER_DEVICES),
                                            description="device -> worst-case draw in watts")
    supply_rating_w: float = Field(100.0, gt=0, description="rated output of the power strip or UPS, in watts")
    power_override: bool = Field(False, description="join even when the power budget is over 80%")
    join_workers: list[str] = Field(default_factory=lambda: ["worker-a", "worker-b"],
                                    description="hostnames of the new workers, joined in this order")
    worker_addresses: dict[str, str] = Field(default_factory=dict,
                                             description="live: worker -> address (default <name>.sugarkube.lan)")
    controller_host: str = Field("controller.sugarkube.lan", description="the controller's address")
    ssh_user: str = Field("pi", description="live: SSH user on every node")
    ssh_key: str = Field("", description="live: private key file (empty: agent and ~/.ssh keys)")
    host_key_policy: Literal["strict", "accept-new", "insecure"] = "accept-new"
    known_hosts: str = Field("", description="live: known_hosts file (empty: ~/.ssh/known_hosts)")
    worker_taint: str = Field(WORKER_TAINT, description="taint the agents register with")
    apply: bool = Field(False, description="live: really join; otherwise show the plan")
    join_timeout: float = Field(300.0, gt=0, description="cluster seconds to wait for each node to be Ready")
    join_profile: str = Field("pi4-8gb", description="sim: hardware profile of the joining workers")
    sim_faults: dict[str, str] = Field(default_factory=dict, description="sim: worker -> fault to rehearse")

    # 03-workload
    stress_image: str = "ghcr.io/alpine/stress:1.0.4"
    stress_args: list[str] = Field(default_factory=lambda: list(TUTORIAL_STRESS_ARGS))
    stress_parallelism: int = Field(4, ge=1, le=64)
    stress_completions: int = Field(4, ge=1, le=256)
    tolerate_worker_taint: bool = True
    sample_every: float = Field(15.0, gt=0, description="cluster seconds between placement and usage samples")
    stress_timeout: float = Field(1200.0, gt=0, description="cluster seconds to wait for the Job")

    # 04-storage
    nfs_provisioner: str = Field("auto", description="auto, or the provisioner name or kind (csi-driver-nfs, nfs-subdir) to use")
    nfs_server: str = Field("192.168.42.50", description="NFS server of the nfs-shared class (the tutorial's NAS)")
    nfs_path: str = Field("/export/sugarkube", description="the export on it")
    nfs_version: str = Field("4.1", pattern=r"^[34](\.[0-2])?$", description="NFS protocol version (the vers mount option)")
    nfs_mount_options: list[str] = Field(default_factory=list, description="further NFS mount options, e.g. hard")
    nfs_reclaim_policy: Literal["Retain", "Delete"] = "Retain"
    storage_class: str = Field("nfs-shared", description="class of the SQLite StatefulSet's claim, described by 06")
    storage_image: str = Field("docker.io/library/python:3.12-alpine", description="image of the SQLite writer")
    write_interval: float = Field(5.0, gt=0, le=3600, description="seconds between the writer's rows")
    storage_size: str = Field("1Gi", description="size of the writer's claim")
    eviction_seconds: int = Field(30, ge=0, le=3600,
                                  description="how long the writer's pod stays on an unreachable node before eviction")
    storage_timeout: float = Field(600.0, gt=0, description="cluster seconds to wait for the writer to be Ready")
    failures: list[Failure] = Field(
        default_factory=lambda: list(FAILURES),
        description="failure experiments to run, in order (power-off: simulator only)")

    # 05-edge-ai
    edge_replicas: int = Field(2, ge=1, le=8)
    edge_cpu_request: str = "500m"
    edge_cpu_limit: str = "2"
    edge_memory_request: str = "512Mi"
    edge_memory_limit: str = "1536Mi"
    edge_pin_cpus: bool = Field(False, description="Guaranteed QoS: requests equal to whole-CPU limits")
    edge_image: str = "python:3.11-slim"
    edge_model_url: str = Field("", description="empty: the tutorial's ResNet-50 v2 on live, the offline graph on sim")
    edge_sample_image: str = Field("", description="image file to classify (empty: a generated scene)")
    edge_rollout_timeout: float = Field(900.0, gt=0, description="cluster seconds to wait for the rollout")
    sweep_size: Literal["small", "full"] = "small"
    sweep_requests: int = Field(32, ge=8, le=2000, description="requests per point of the tuning sweep")

    # 06-operations
    fio_image: str = Field("ghcr.io/cloud-bulldozer/fio:3.36", description="the tutorial's fio image")
    fio_volume: Literal["emptyDir", "hostPath"] = Field("emptyDir", description="what fio reads on each node")
    fio_host_path: str = Field("/var/lib/sugarlab/fio", description="hostPath: the directory on each node")
    fio_size: str = Field("1G", description="fio --size: the test file")
    fio_runtime: int = Field(60, ge=1, le=3600, description="fio --runtime in seconds")
    fio_iodepth: int = Field(32, ge=1, le=1024, description="fio --iodepth")
    fio_ioengine: Literal["libaio", "io_uring", "psync", "posixaio"] = Field(
        "libaio", description="fio --ioengine; psync caps the depth at 1")
    fio_nodes: list[str] = Field(default_factory=list, description="nodes to benchmark (empty: every node)")
    fio_timeout: float = Field(600.0, gt=0, description="cluster seconds to wait for the fio Jobs")
    fio_sim_media: dict[str, str] = Field(default_factory=dict,
                                          description="sim: node -> storage medium (empty: the node's profile)")

    @field_validator("fio_size")
    @classmethod
    def _fio_size(cls, value: str) -> str:
        if not re.fullmatch(r"[1-9]\d*[kKmMgGtT]?", value):
            raise ValueError("a fio size: a whole number with an optional k, M, G or T, such as 1G or 512M")
        return value

    @field_validator("fio_host_path", "nfs_path")
    @classmethod
    def _absolute(cls, value: str, info: ValidationInfo) -> str:
        if not value.startswith("/") or "\n" in value:
            example = {"fio_host_path": "a directory on the nodes, such as /var/lib/sugarlab/fio",
                       "nfs_path": "the export on the NFS server, such as /export/sugarkube"}[str(info.field_name)]
            raise ValueError(f"an absolute path: {example}")
        return value

    @field_validator("fio_sim_media")
    @classmethod
    def _media(cls, media: dict[str, str]) -> dict[str, str]:
        for node, medium in media.items():
            check_medium(node, medium)
        return media

    @field_validator("edge_cpu_request", "edge_cpu_limit", "edge_memory_request", "edge_memory_limit", "storage_size")
    @classmethod
    def _quantity(cls, value: str) -> str:
        try:
            if parse_quantity(value) <= 0:
                raise ValueError
        except ValueError:
            raise ValueError("a positive Kubernetes quantity such as 500m, 2, 512Mi or 1Gi") from None
        return value

    @field_validator("nfs_server")
    @classmethod
    def _server(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?", value):
            raise ValueError("an IP address or host name of the NFS server")
        return value

    @field_validator("join_workers")
    @classmethod
    def _hostnames(cls, names: list[str]) -> list[str]:
        for name in names:
            if not HOSTNAME.fullmatch(name):
                raise ValueError(f"{name!r} is not a hostname (lower-case letters, digits and '-', at most 63)")
        if len(set(names)) != len(names):
            raise ValueError("each worker may appear once")
        return names

    @field_validator("worker_taint")
    @classmethod
    def _taint(cls, taint: str) -> str:
        if not TAINT.fullmatch(taint):
            raise ValueError("a taint key=value:Effect with Effect NoSchedule, PreferNoSchedule or NoExecute")
        return taint

    @field_validator("power_devices")
    @classmethod
    def _watts(cls, devices: dict[str, float]) -> dict[str, float]:
        if not devices or any(w < 0 for w in devices.values()):
            raise ValueError("at least one device, each with a draw of 0 W or more")
        return devices

    @field_validator("sim_faults")
    @classmethod
    def _faults(cls, faults: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        for worker, fault in faults.items():
            if worker not in info.data.get("join_workers", []):
                raise ValueError(f"{worker!r} is not one of join_workers")
            check_fault(worker, fault)
        return faults

    @field_validator("controller_profile", "worker_profile", "join_profile")
    @classmethod
    def _known_profile(cls, value: str) -> str:
        return check_profile(value)

    @property
    def workspace_path(self) -> Path:
        root = self.workspace or os.environ.get("SUGARLAB_WORKSPACE") or DEFAULT_WORKSPACE
        return Path(root).expanduser().resolve()

    @property
    def kubeconfig_path(self) -> Path:
        first = (os.environ.get("KUBECONFIG") or "").split(os.pathsep)[0]
        return Path(self.kubeconfig or first or "~/.kube/config").expanduser()


def validate_parameters(values: dict[str, Any]) -> LabParams:
    """Coerce and check `values`; raise ParameterError naming the first offending parameter."""
    try:
        return LabParams(**values)
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]) if error["loc"] else "?"
        if error["type"] == "extra_forbidden":
            allowed = f"not a lab parameter; known parameters: {', '.join(LabParams.model_fields)}"
        else:
            allowed = error["msg"].removeprefix("Value error, ")
        raise ParameterError(name, error.get("input"), allowed) from None
