"""The pod STATUS and the ages kubectl prints, as `sugarlab.common.kubectl` computes them for both the
workbook's frames and the simulator's tables. Cases after kubernetes/kubernetes
pkg/printers/internalversion/printers_test.go TestPrintPod* and apimachinery's duration_test.go."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sugarlab.common.kubectl import (
    format_time,
    human_duration,
    image_name,
    node_status,
    parse_time,
    pod_status,
    readiness_gates,
    restarts_text,
)
from sugarlab.common.objects import Obj

NOW = datetime(2026, 4, 18, 18, 24, 5, tzinfo=UTC)


def pod(
    phase: str = "Running",
    containers: list[Obj] | None = None,
    init: list[Obj] | None = None,
    conditions: list[Obj] | None = None,
    **status: Any,
) -> Obj:
    """A pod whose spec lists one container per status given (`c0`, `c1`...) and likewise for init containers."""
    containers, init = containers or [], init or []
    return {
        "metadata": {"name": "p", "namespace": "default"},
        "spec": {
            "containers": [{"name": f"c{i}"} for i in range(max(len(containers), 1))],
            "initContainers": [{"name": f"i{i}"} for i in range(len(init))],
        },
        "status": {
            "phase": phase,
            "conditions": conditions or [],
            "containerStatuses": [{"name": f"c{i}", **c} for i, c in enumerate(containers)],
            "initContainerStatuses": [{"name": f"i{i}", **c} for i, c in enumerate(init)],
            **status,
        },
    }


RUNNING: Obj = {"ready": True, "restartCount": 0, "state": {"running": {"startedAt": "2026-04-18T18:00:00Z"}}}
COMPLETED: Obj = {"ready": False, "restartCount": 0, "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}
READY: Obj = {"type": "Ready", "status": "True"}


def crash_looping(restarts: int) -> Obj:
    return {
        "ready": False,
        "restartCount": restarts,
        "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s"}},
        "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": "2026-04-18T18:20:00Z"}},
    }


def test_pending_pod_shows_its_phase() -> None:
    status = pod("Pending", [{"ready": False, "restartCount": 0, "state": {"waiting": {}}}])
    assert pod_status(status)[:3] == ("Pending", 0, 1)


def test_waiting_reason_replaces_the_phase() -> None:
    status = pod_status(pod("Running", [crash_looping(5)]))
    assert (status.reason, status.ready, status.total, status.restarts) == ("CrashLoopBackOff", 0, 1, 5)
    assert restarts_text(status, NOW) == "5 (4m5s ago)"


def test_running_init_container_counts_init_steps() -> None:
    running_init = {"ready": False, "restartCount": 0, "state": {"running": {}}}
    assert pod_status(pod("Pending", init=[running_init])).reason == "Init:0/1"
    waiting = {"ready": False, "restartCount": 0, "state": {"waiting": {"reason": "PodInitializing"}}}
    done = {"ready": False, "restartCount": 0, "state": {"terminated": {"exitCode": 0}}}
    assert pod_status(pod("Pending", init=[done, waiting])).reason == "Init:1/2"


def test_crash_looping_init_container_is_prefixed() -> None:
    status = pod_status(pod("Pending", [{"ready": False, "state": {"waiting": {}}}], init=[crash_looping(3)]))
    assert (status.reason, status.restarts) == ("Init:CrashLoopBackOff", 3)


@pytest.mark.parametrize(
    ("terminated", "want"),
    [({"exitCode": 2}, "Init:ExitCode:2"), ({"exitCode": 137, "signal": 9}, "Init:Signal:9")],
)
def test_failed_init_container_without_reason(terminated: Obj, want: str) -> None:
    assert pod_status(pod("Pending", init=[{"state": {"terminated": terminated}}])).reason == want


def test_completed_pod() -> None:
    status = pod_status(pod("Succeeded", [COMPLETED]))
    assert (status.reason, status.ready, status.total) == ("Completed", 0, 1)


def test_completed_beside_a_running_container_is_running_or_not_ready() -> None:
    assert pod_status(pod("Running", [COMPLETED, RUNNING], conditions=[READY])).reason == "Running"
    assert pod_status(pod("Running", [COMPLETED, RUNNING])).reason == "NotReady"


def test_deleted_pod_is_terminating_until_it_ends() -> None:
    deleted = pod("Running", [RUNNING], conditions=[READY])
    deleted["metadata"]["deletionTimestamp"] = "2026-04-18T18:24:00Z"
    assert pod_status(deleted)[:3] == ("Terminating", 1, 1)
    deleted["status"]["phase"] = "Succeeded"
    deleted["status"]["containerStatuses"] = [{"name": "c0", **COMPLETED}]
    assert pod_status(deleted).reason == "Completed"


def test_pod_on_an_unreachable_node_is_unknown() -> None:
    lost = pod("Running", [RUNNING], reason="NodeLost")
    lost["metadata"]["deletionTimestamp"] = "2026-04-18T18:24:00Z"
    assert pod_status(lost).reason == "Unknown"


def test_scheduling_gated_pod() -> None:
    gated = pod("Pending", conditions=[{"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}])
    assert pod_status(gated).reason == "SchedulingGated"


def test_started_sidecar_counts_toward_ready_and_restarts() -> None:
    sidecar = pod("Running", [RUNNING], init=[{**RUNNING, "started": True, "restartCount": 2}], conditions=[READY])
    sidecar["spec"]["initContainers"][0]["restartPolicy"] = "Always"
    sidecar["status"]["conditions"].append({"type": "Initialized", "status": "True"})
    assert pod_status(sidecar)[:4] == ("Running", 2, 2, 2)


def test_readiness_gates_count_true_conditions() -> None:
    gated = pod("Running", [RUNNING], conditions=[READY, {"type": "example.com/lb", "status": "False"}])
    assert readiness_gates(gated) == "<none>"
    gated["spec"]["readinessGates"] = [{"conditionType": "example.com/lb"}, {"conditionType": "Ready"}]
    assert readiness_gates(gated) == "1/2"


def test_node_status() -> None:
    node: Obj = {"status": {"conditions": [{"type": "Ready", "status": "False"}]}, "spec": {"unschedulable": True}}
    assert node_status(node) == "NotReady,SchedulingDisabled"
    assert node_status({"status": {}}) == "Unknown"


# HumanDuration's boundaries: seconds below 2 minutes, minutes and seconds below 10 minutes, and so on up.
@pytest.mark.parametrize(
    ("seconds", "want"),
    [
        (-2, "<invalid>"),
        (-1, "0s"),
        (59, "59s"),
        (119, "119s"),
        (120, "2m"),
        (123, "2m3s"),
        (599, "9m59s"),
        (600, "10m"),
        (3 * 3600 - 1, "179m"),
        (3 * 3600 + 60, "3h1m"),
        (8 * 3600, "8h"),
        (48 * 3600 - 1, "47h"),
        (49 * 3600, "2d1h"),
        (8 * 86400, "8d"),
        (730 * 86400, "2y"),
        (731 * 86400, "2y1d"),
        (8 * 365 * 86400, "8y"),
    ],
)
def test_human_duration(seconds: int, want: str) -> None:
    assert human_duration(timedelta(seconds=seconds)) == want


def test_times_round_trip_in_utc() -> None:
    assert parse_time("2026-04-18T18:24:05Z") == NOW
    assert parse_time("2026-04-18T18:24:05.123456Z") == NOW + timedelta(microseconds=123456)
    assert parse_time("2026-04-18T20:24:05+02:00") == NOW
    assert parse_time(None) is None
    assert format_time(NOW + timedelta(microseconds=999)) == "2026-04-18T18:24:05Z"


@pytest.mark.parametrize(
    ("image", "want"),
    [
        ("busybox", "busybox"),
        ("docker.io/library/busybox:1.36", "busybox"),
        ("rancher/mirrored-coredns-coredns:1.12.3", "rancher/mirrored-coredns-coredns"),
        ("registry.k8s.io/sig-storage/nfsplugin:v4.11.0", "sig-storage/nfsplugin"),
        ("localhost:5000/app@sha256:" + "0" * 64, "app"),
    ],
)
def test_image_name_drops_registry_tag_and_digest(image: str, want: str) -> None:
    assert image_name(image) == want
