"""The lab's parameters, validated in one place before anything touches a cluster.

Papermill converts `-p` values by their look (`-p seed 007` arrives as the int 7, `-p context 1`
as an int), so values are coerced here to the declared types and checked against what is allowed.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

from kubernetes.utils import parse_quantity
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from sugarlab.lab.errors import ParameterError
from sugarlab.sim.world.spec import check_fault, check_medium, check_profile

# The tutorial's own folder (`mkdir -p ~/sugarkube-labs/tutorial-13/...`) holds the lab on your cluster; a
# rehearsal on the simulator has a folder of its own, so that it never holds the tutorial's folder for itself.
LIVE_WORKSPACE = "~/sugarkube-labs/tutorial-13"
REHEARSAL_WORKSPACE = "~/sugarkube-labs/tutorial-13-rehearsal"
# Left empty, these follow what the lab workspace recorded: the cluster is chosen once per workspace.
CONNECTION = ("backend", "kubeconfig", "context")
Failure = Literal["delete-pod", "drain-node", "node-down", "power-off", "nas-outage"]
FAILURES: tuple[Failure, ...] = ("delete-pod", "drain-node", "node-down", "power-off", "nas-outage")
WORKER_TAINT = "sugarkube.io/role=worker:NoSchedule"  # the tutorial's INSTALL_K3S_EXEC
SIM_ADDONS = ("metrics-server", "csi-driver-nfs", "nfs-subdir")
TUTORIAL_STRESS_ARGS = ("--cpu", "2", "--io", "2", "--vm", "1", "--vm-bytes", "256M", "--timeout", "5m")
HOSTNAME = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
TAINT = re.compile(r"[\w./-]+=[\w.-]*:(NoSchedule|PreferNoSchedule|NoExecute)")
# Worst-case draw: the official supplies' ratings (Raspberry Pi 5: 27 W USB-C PD, 5.1 V x 5 A;
# Raspberry Pi 4: 15.3 W, 5.1 V x 3 A), an 8-port gigabit switch's typical 8 W adapter, and a USB 3
# port's 4.5 W (5 V x 900 mA) for a bus-powered SSD.
DEFAULT_POWER_DEVICES = {
    "sugarkube0 (Pi 5)": 27.0,
    "worker-a (Pi 4)": 15.3,
    "worker-b (Pi 4)": 15.3,
    "switch": 8.0,
    "USB SSD": 4.5,
}


class LabParams(BaseModel):
    """Every parameter of the lab. Each belongs to one notebook (`SECTIONS`), which declares it in its
    `parameters` cell; the others read the value it recorded in the workspace."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, frozen=True)

    # Every notebook
    backend: Literal["sim", "live"] = Field(
        "",  # empty is sim once validated (`_backend`)
        validate_default=True,
        description="sim: the simulated Sugarkube cluster; live: your k3s cluster (empty: as the lab workspace "
        "recorded it, else sim)",
    )
    workspace: str = Field(
        "",
        description=f"lab workspace root (empty: $SUGARLAB_WORKSPACE, else {LIVE_WORKSPACE} for live and "
        f"{REHEARSAL_WORKSPACE} for sim)",
    )

    # 01-baseline: the connection and the simulated cluster's shape, chosen once per workspace
    kubeconfig: str = Field(
        "",
        description="live: kubeconfig file (empty: as the workspace recorded it, else $KUBECONFIG or ~/.kube/config)",
    )
    context: str = Field(
        "", description="live: kubeconfig context (empty: as the workspace recorded it, else the current context)"
    )
    ssh_user: str = Field("pi", description="live: SSH user on every node (Tutorial 10)")
    ssh_key: str = Field("", description="live: private key file (empty: the SSH agent and ~/.ssh keys)")
    host_key_policy: Literal["strict", "accept-new", "insecure"] = Field(
        "accept-new", description="live: strict, accept-new or insecure (lab only)"
    )
    known_hosts: str = Field("", description="live: known_hosts file (empty: ~/.ssh/known_hosts)")
    seed: int = Field(7, ge=0, description="sim: seed of the simulated cluster; same seed, same cluster")
    speed: float = Field(60.0, gt=0, le=3600, description="sim: virtual seconds per real second")
    controller_profile: str = Field(
        "pi5-8gb", description="sim: controller hardware (pi4-2gb/4gb/8gb or pi5-4gb/8gb/16gb)"
    )
    sim_workers: int = Field(
        0, ge=0, le=16, description="sim: workers the simulated cluster already has (Sugarkube starts with none)"
    )
    worker_profile: str = Field("pi4-4gb", description="sim: hardware of those workers")
    sim_addons: list[str] = Field(
        default_factory=lambda: ["metrics-server", "csi-driver-nfs"],
        description="sim: what runs beside k3s: metrics-server (leave it out to see the diagnosis), and "
        "csi-driver-nfs or nfs-subdir",
    )
    retake_baseline: bool = Field(
        False, description=("replace a baseline that later notebooks already used (otherwise it is kept)")
    )

    # 02-expansion
    power_devices: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_POWER_DEVICES), description="device and its worst-case draw in watts"
    )
    supply_rating_w: float = Field(100.0, gt=0, description="rated output of the power strip or UPS, in watts")
    power_override: bool = Field(False, description="join even when the budget is over 80% of the rating")
    join_workers: list[str] = Field(
        default_factory=lambda: ["worker-a", "worker-b"],
        description="hostnames of the new workers, joined in this order",
    )
    worker_addresses: dict[str, str] = Field(
        default_factory=dict, description="live: worker and its address (default: NAME.sugarkube.lan)"
    )
    controller_host: str = Field(
        "controller.sugarkube.lan", description="the controller's address, for SSH and the agents' K3S_URL"
    )
    worker_taint: str = Field(WORKER_TAINT, description="taint the agents register with")
    apply: bool = Field(False, description="live: carry out this notebook's changes; otherwise only show the plan")
    join_timeout: float = Field(300.0, gt=0, description="cluster seconds to wait for each node to become Ready")
    join_profile: str = Field("pi4-8gb", description="sim: hardware of the joining workers")
    sim_faults: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "sim: worker and a fault to rehearse (clock-skew, flannel-blocked, firewall-6443, leftover-agent)"
        ),
    )

    # 03-workload
    stress_image: str = Field("ghcr.io/alpine/stress:1.0.4", description="the tutorial's load generator")
    stress_args: list[str] = Field(default_factory=lambda: list(TUTORIAL_STRESS_ARGS), description="its arguments")
    stress_parallelism: int = Field(4, ge=1, le=64, description="pods running at once")
    stress_completions: int = Field(4, ge=1, le=256, description="pods that must finish")
    tolerate_worker_taint: bool = Field(
        True, description="let the stress pods and the SQLite writer run on the tainted workers"
    )
    sample_every: float = Field(15.0, gt=0, description="cluster seconds between samples of placement and usage")
    stress_timeout: float = Field(1200.0, gt=0, description="cluster seconds to wait for the Job")

    # 04-storage
    nfs_provisioner: str = Field(
        "auto", description="auto, or the provisioner to use (csi-driver-nfs, nfs-subdir or its name)"
    )
    nfs_export: str = Field(
        "192.168.42.50:/export/sugarkube", description="the NAS and its export, server:/path (the tutorial's)"
    )
    # nfs(5): `vers=n` is an alternative to `nfsvers=n`, so csi-driver-nfs and the tutorial's class read the same list.
    nfs_mount_options: list[str] = Field(
        default_factory=lambda: ["vers=4.1"],
        description="NFS mount options of the class, such as hard (the tutorial sets vers 4.1)",
    )
    nfs_reclaim_policy: Literal["Retain", "Delete"] = Field(
        "Retain", description="Retain keeps the data when a claim is deleted; or Delete"
    )
    storage_class: str = Field(
        "nfs-shared",
        description=("class of the writer's claim (local-path shows what node-local storage does); 06 describes it"),
    )
    storage_image: str = Field(
        "docker.io/library/python:3.12-alpine", description="writer image: needs python3 with sqlite3"
    )
    write_interval: float = Field(5.0, gt=0, le=3600, description="seconds between the writer's rows")
    storage_size: str = Field("1Gi", description="size of the writer's claim")
    eviction_seconds: int = Field(
        30, ge=0, le=3600, description="seconds the writer's pod stays bound to an unreachable node"
    )
    storage_timeout: float = Field(600.0, gt=0, description="cluster seconds to wait for the writer to be Ready")
    tutorial_statefulset: Literal["auto", "on", "off"] = Field(
        "auto", description="first run the tutorial's StatefulSet as written, to show it fail (auto: simulator only)"
    )
    failures: list[Failure] = Field(
        default_factory=lambda: list(FAILURES),
        description="experiments, in order (node-down stops a k3s agent over SSH; power-off and nas-outage: simulator only)",
    )

    # 05-edge-ai
    edge_replicas: int = Field(2, ge=1, le=8, description="inference pods")
    edge_cpu_request: str = Field("500m", description="CPU request of each pod")
    edge_cpu_limit: str = Field("2", description="CPU limit of each pod")
    edge_memory_request: str = Field("512Mi", description="memory request of each pod")
    edge_memory_limit: str = Field("1536Mi", description="memory limit of each pod")
    edge_pin_cpus: bool = Field(
        False, description="Guaranteed QoS: requests equal to the limits (CPU pinning with the static CPU manager)"
    )
    edge_image: str = Field(
        "python:3.11-slim", description="the container image; the service's source comes from a ConfigMap"
    )
    edge_model_url: str = Field(
        "", description="model to download (empty: the tutorial's ResNet-50 v2 on live, the offline graph on sim)"
    )
    edge_sample_image: str = Field("", description="image file to classify (empty: a generated scene)")
    edge_rollout_timeout: float = Field(
        900.0, gt=0, description="cluster seconds to wait for the rollout (live pods pip-install first)"
    )
    sweep_size: Literal["small", "full"] = Field("small", description="tuning sweep: small or full")
    sweep_requests: int = Field(16, ge=8, le=2000, description="requests per point of the sweep")

    # 06-operations
    fio_image: str = Field(
        "ghcr.io/cloud-bulldozer/fio:3.36", description="the tutorial's fio image (any image with fio 3.x)"
    )
    fio_volume: Literal["emptyDir", "hostPath"] = Field(
        "emptyDir", description="what fio reads on each node: emptyDir or hostPath"
    )
    fio_host_path: str = Field("/var/lib/sugarlab/fio", description="hostPath: the directory on each node")
    fio_size: str = Field("1G", description="fio --size (the tutorial's 1G)")
    fio_runtime: int = Field(60, ge=1, le=3600, description="fio --runtime in seconds (the tutorial's 60)")
    fio_iodepth: int = Field(32, ge=1, le=1024, description="fio --iodepth (the tutorial's 32)")
    fio_ioengine: Literal["libaio", "io_uring", "psync", "posixaio"] = Field(
        "libaio", description="fio --ioengine: libaio or io_uring; psync caps the depth at 1 as the tutorial's does"
    )
    fio_nodes: list[str] = Field(default_factory=list, description="nodes to benchmark (empty: every node)")
    fio_timeout: float = Field(
        600.0, gt=0, description="cluster seconds to wait for the fio Jobs (the tutorial's --timeout 10m)"
    )
    fio_sim_media: dict[str, str] = Field(
        default_factory=dict, description="sim: node and its medium: microsd, usb-ssd, nvme or nfs (empty: its profile)"
    )

    @field_validator("backend", mode="before")
    @classmethod
    def _backend(cls, value: Any) -> Any:
        """Empty is what nothing chose: the simulator (`sugarlab.lab.recorded.lab_parameters` first puts the
        workspace's recorded backend in its place)."""
        return value or "sim"

    @field_validator("fio_size")
    @classmethod
    def _fio_size(cls, value: str) -> str:
        if not re.fullmatch(r"[1-9]\d*[kKmMgGtT]?", value):
            raise ValueError("a fio size: a whole number with an optional k, M, G or T, such as 1G or 512M")
        return value

    @field_validator("fio_host_path")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not value.startswith("/") or "\n" in value:
            raise ValueError("an absolute path: a directory on the nodes, such as /var/lib/sugarlab/fio")
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

    @field_validator("nfs_export")
    @classmethod
    def _export(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?:/[^\s]*", value):
            raise ValueError("server:/path, an IP address or host name and the absolute path it exports")
        return value

    @field_validator("nfs_mount_options")
    @classmethod
    def _mount_options(cls, options: list[str]) -> list[str]:
        for option in options:
            if not re.fullmatch(r"[a-z_]+(=[^\s,]+)?", option):
                raise ValueError(f"{option!r} is not one mount option such as vers=4.1 or hard (one per item)")
        return options

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

    @field_validator("*", mode="before")
    @classmethod
    def _comma_list(cls, value: Any, info: ValidationInfo) -> Any:
        """Papermill's `-p` passes text: a list parameter given as text is its comma-separated items."""
        field = cls.model_fields[str(info.field_name)]
        if isinstance(value, str) and getattr(field.annotation, "__origin__", None) is list:
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("sim_addons")
    @classmethod
    def _addons(cls, addons: list[str]) -> list[str]:
        unknown = [a for a in addons if a not in SIM_ADDONS]
        if unknown or len(set(addons)) != len(addons):
            raise ValueError(f"each of {', '.join(SIM_ADDONS)} at most once")
        if {"csi-driver-nfs", "nfs-subdir"} <= set(addons):
            raise ValueError("one NFS provisioner: csi-driver-nfs or nfs-subdir")
        return addons

    @property
    def metrics_server(self) -> bool:
        return "metrics-server" in self.sim_addons

    @property
    def sim_nfs_provisioner(self) -> str:
        return next((a for a in self.sim_addons if a in ("csi-driver-nfs", "nfs-subdir")), "none")

    @property
    def nfs_server(self) -> str:
        return self.nfs_export.partition(":")[0]

    @property
    def nfs_path(self) -> str:
        return self.nfs_export.partition(":")[2]

    @property
    def workspace_path(self) -> Path:
        default = LIVE_WORKSPACE if self.backend == "live" else REHEARSAL_WORKSPACE
        root = self.workspace or os.environ.get("SUGARLAB_WORKSPACE") or default
        return Path(root).expanduser().resolve()

    @property
    def kubeconfig_path(self) -> Path:
        first = (os.environ.get("KUBECONFIG") or "").split(os.pathsep)[0]
        return Path(self.kubeconfig or first or "~/.kube/config").expanduser()


EVERY_NOTEBOOK = ("backend", "workspace")
# The notebook that declares each parameter, beside `backend` and `workspace`; the others read what
# it recorded in the workspace. The first notebook chooses the connection and the cluster's shape.
SECTIONS: dict[str, tuple[str, ...]] = {
    "01-baseline": (
        "kubeconfig",
        "context",
        "ssh_user",
        "ssh_key",
        "host_key_policy",
        "known_hosts",
        "seed",
        "speed",
        "controller_profile",
        "sim_workers",
        "worker_profile",
        "sim_addons",
        "retake_baseline",
    ),
    "02-expansion": (
        "power_devices",
        "supply_rating_w",
        "power_override",
        "join_workers",
        "worker_addresses",
        "controller_host",
        "worker_taint",
        "apply",
        "join_timeout",
        "join_profile",
        "sim_faults",
    ),
    "03-workload": (
        "stress_image",
        "stress_args",
        "stress_parallelism",
        "stress_completions",
        "tolerate_worker_taint",
        "sample_every",
        "stress_timeout",
        "apply",
    ),
    "04-storage": (
        "nfs_provisioner",
        "nfs_export",
        "nfs_mount_options",
        "nfs_reclaim_policy",
        "storage_class",
        "storage_image",
        "write_interval",
        "storage_size",
        "eviction_seconds",
        "storage_timeout",
        "tutorial_statefulset",
        "failures",
        "apply",
    ),
    "05-edge-ai": (
        "edge_replicas",
        "edge_cpu_request",
        "edge_cpu_limit",
        "edge_memory_request",
        "edge_memory_limit",
        "edge_pin_cpus",
        "edge_image",
        "edge_model_url",
        "edge_sample_image",
        "edge_rollout_timeout",
        "sweep_size",
        "sweep_requests",
        "apply",
    ),
    "06-operations": (
        "fio_image",
        "fio_volume",
        "fio_host_path",
        "fio_size",
        "fio_runtime",
        "fio_iodepth",
        "fio_ioengine",
        "fio_nodes",
        "fio_timeout",
        "fio_sim_media",
        "apply",
    ),
    "07-report": (),
}

# Declared by every notebook that changes the cluster, each for itself, and never recorded for the
# others: approving one notebook's changes is not approving the next one's (`sugarlab.steps.plan`).
PER_NOTEBOOK = frozenset({"apply", "retake_baseline"})


def declared_by(notebook: str) -> tuple[str, ...]:
    """The parameters `notebook` declares in its `parameters` cell, in order."""
    return EVERY_NOTEBOOK + SECTIONS.get(notebook, ())


def owner(name: str) -> str | None:
    """The notebook that declares parameter `name` (None for `backend` and `workspace`: every one does)."""
    return next((notebook for notebook, names in SECTIONS.items() if name in names), None)


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
