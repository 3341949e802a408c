"""Pod status as the kubelet reports it, shared by the kubelet controller and the initial cluster."""

from __future__ import annotations

import random

from kubernetes.utils import parse_quantity

from sugarlab.common.kubectl import new_condition
from sugarlab.common.objects import Obj


def qos_class(pod: Obj) -> str:
    resources = [c.get("resources") or {} for c in pod.get("spec", {}).get("containers", [])]
    if not any(r.get("requests") or r.get("limits") for r in resources):
        return "BestEffort"
    for r in resources:
        limits = r.get("limits") or {}
        wanted = {**limits, **(r.get("requests") or {})}  # a missing request defaults to the limit
        for res in ("cpu", "memory"):
            if res not in limits or parse_quantity(wanted[res]) != parse_quantity(limits[res]):
                return "Burstable"
    return "Guaranteed"


def requests(pod: Obj) -> tuple[float, int]:
    """Total CPU (cores) and memory (bytes) the pod's containers request."""
    cpu, memory = 0.0, 0
    for container in pod.get("spec", {}).get("containers", []):
        resources = container.get("resources") or {}
        wanted = resources.get("requests") or resources.get("limits") or {}
        cpu += float(parse_quantity(wanted.get("cpu", "0")))
        memory += int(parse_quantity(wanted.get("memory", "0")))
    return cpu, memory


def waiting_status(container: Obj, reason: str) -> Obj:
    """A container's status before it first runs, waiting for `reason` (ContainerCreating, PodInitializing)."""
    return {
        "name": container["name"],
        "image": container["image"],
        "imageID": "",
        "ready": False,
        "started": False,
        "restartCount": 0,
        "lastState": {},
        "state": {"waiting": {"reason": reason}},
    }


def _container_statuses(pod: Obj, rng: random.Random, state: Obj, ready: bool) -> list[Obj]:
    return [
        {
            "name": c["name"],
            "image": c["image"],
            "imageID": f"{c['image'].split(':')[0]}@sha256:{rng.getrandbits(256):064x}",
            "containerID": f"containerd://{rng.getrandbits(256):064x}",
            "ready": ready,
            "started": ready,
            "restartCount": 0,
            "state": state,
            "lastState": {},
        }
        for c in pod["spec"]["containers"]
    ]


def running_status(pod: Obj, host_ip: str, pod_ip: str, started: str, rng: random.Random) -> Obj:
    return {
        "phase": "Running",
        "conditions": [
            new_condition(kind, "True", started)
            for kind in ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")
        ],
        "hostIP": host_ip,
        "hostIPs": [{"ip": host_ip}],
        "podIP": pod_ip,
        "podIPs": [{"ip": pod_ip}],
        "startTime": started,
        "qosClass": qos_class(pod),
        "containerStatuses": _container_statuses(pod, rng, {"running": {"startedAt": started}}, ready=True),
    }


def succeeded_status(pod: Obj, host_ip: str, started: str, finished: str, rng: random.Random) -> Obj:
    terminated = {
        "terminated": {
            "exitCode": 0,
            "reason": "Completed",
            "startedAt": started,
            "finishedAt": finished,
            "containerID": "",
        }
    }
    return {
        "phase": "Succeeded",
        "conditions": [
            new_condition("PodReadyToStartContainers", "False", finished),
            new_condition("Initialized", "True", started, reason="PodCompleted"),
            new_condition("Ready", "False", finished, reason="PodCompleted"),
            new_condition("ContainersReady", "False", finished, reason="PodCompleted"),
            new_condition("PodScheduled", "True", started),
        ],
        "hostIP": host_ip,
        "hostIPs": [{"ip": host_ip}],
        "startTime": started,
        "qosClass": qos_class(pod),
        "containerStatuses": _container_statuses(pod, rng, terminated, ready=False),
    }
