"""`kubectl get events -A --sort-by=.metadata.creationTimestamp` as text, frame, warnings and churn."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd

from sugarlab.lab.session import Lab
from sugarlab.steps.operations import events
from sugarlab.views.figures.operations import event_churn, event_churn_figure

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def event(
    name: str,
    created_min_ago: float,
    reason: str,
    kind: str = "Pod",
    type_: str = "Normal",
    count: int = 1,
    first_min_ago: float | None = None,
    message: str = "m",
    namespace: str = "lab-scale",
) -> dict[str, Any]:
    created = NOW - timedelta(minutes=created_min_ago)
    first = NOW - timedelta(minutes=first_min_ago if first_min_ago is not None else created_min_ago)

    def stamp(moment: datetime) -> str:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    return {
        "metadata": {"name": f"{name}.1", "namespace": namespace, "creationTimestamp": stamp(created)},
        "involvedObject": {"kind": kind, "name": name, "namespace": namespace},
        "reason": reason,
        "message": message + "\n",
        "type": type_,
        "count": count,
        "firstTimestamp": stamp(first),
        "lastTimestamp": stamp(created),
        "source": {"component": "kubelet"},
    }


EVENTS = [
    event("web-1", 3, "BackOff", type_="Warning", count=4, first_min_ago=9, message="Back-off restarting"),
    event("worker-a", 30, "NodeReady", kind="Node", namespace="default"),
    event("web-1", 2, "BackOff", type_="Warning", count=2, first_min_ago=4, message="Back-off again"),
    event("fio-1", 1, "FailedScheduling", type_="Warning", message="0/3 nodes are available"),
]


def test_rows_are_sorted_by_creation_and_read_like_kubectl() -> None:
    frame = events.events_frame(EVENTS, NOW)
    assert list(frame["reason"]) == ["NodeReady", "BackOff", "BackOff", "FailedScheduling"]
    text = events.events_table(frame).splitlines()
    assert text[0].split() == ["NAMESPACE", "LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert text[1].split()[:5] == ["default", "30m", "Normal", "NodeReady", "node/worker-a"]
    assert "3m (x4 over 9m)   Warning" in text[2] and text[2].split("pod/web-1")[1].strip() == "Back-off restarting"
    assert text[4].split()[1] == "60s"  # kubectl's HumanDuration: seconds up to two minutes


def test_warnings_are_grouped_by_reason_and_object_with_their_occurrences() -> None:
    grouped = events.warnings(events.events_frame(EVENTS, NOW))
    assert list(zip(grouped["reason"], grouped["object"], grouped["events"], grouped["occurrences"], strict=True)) == [
        ("BackOff", "pod/web-1", 2, 6),
        ("FailedScheduling", "pod/fio-1", 1, 1),
    ]
    assert grouped["message"].iloc[0] == "Back-off again"  # the latest one


def test_churn_counts_events_per_minute_and_widens_the_bin_for_long_histories() -> None:
    counts, every = event_churn(events.events_frame(EVENTS, NOW))
    assert every == "1min" and len(counts) == 30 and counts["Warning"].sum() == 3 and counts["Normal"].sum() == 1
    old = [*EVENTS, event("old", 60 * 24, "Started")]
    assert event_churn(events.events_frame(old, NOW))[1] == "15min"


def test_no_events_reads_like_kubectl() -> None:
    frame = events.events_frame([], NOW)
    assert events.events_table(frame) == "No resources found\n" and events.warnings(frame).empty
    event_churn_figure(frame, "simulated")


def started_probe(lab: Lab) -> pd.DataFrame:
    """Start a busybox pod `probe` and return the lab's events once its container has started."""
    lab.cluster.core.create_namespaced_pod(
        "default", {"metadata": {"name": "probe"}, "spec": {"containers": [{"name": "c", "image": "busybox:1.36"}]}}
    )
    deadline = time.monotonic() + 30
    while not (frame := events.list_events(lab))["reason"].isin(["Started"]).any():
        assert time.monotonic() < deadline
        time.sleep(0.2)
    return frame


def test_the_log_is_written_from_the_clusters_events(open_sim_lab: Callable[..., Lab]) -> None:
    lab = open_sim_lab(sim_workers=1)
    frame = started_probe(lab)
    text = events.save(lab, frame)
    assert lab.workspace.read_text(events.LOG) == text and "pod/probe" in text
    assert frame["created"].is_monotonic_increasing
    assert event_churn_figure(frame, lab.cluster.provenance).get_suptitle().startswith("Event churn")


def test_a_repeated_event_is_kept_once_at_its_latest_count() -> None:
    first = event("web-1", 5, "BackOff", type_="Warning", count=2, first_min_ago=9)
    later = event("web-1", 1, "BackOff", type_="Warning", count=7, first_min_ago=9)
    later["metadata"]["creationTimestamp"] = first["metadata"]["creationTimestamp"]  # updated in place
    other = event("web-2", 3, "Started")
    for e, uid in ((first, "u1"), (later, "u1"), (other, "u2")):
        e["metadata"]["uid"] = uid
    kept = events.merged([later, other], [first])  # an older read after a newer one changes nothing
    assert [(e["metadata"]["uid"], e["count"]) for e in kept] == [("u1", 7), ("u2", 1)]


def test_kept_events_outlive_the_event_ttl(open_sim_lab: Callable[..., Lab]) -> None:
    lab = open_sim_lab(sim_workers=1, speed=1200)  # the API server's hour is three real seconds
    frame = started_probe(lab)
    assert events.keep(lab) == len(frame)
    lab.cluster.core.delete_namespaced_pod("probe", "default")
    deadline = time.monotonic() + 30
    while lab.cluster.core.list_namespaced_event("default", field_selector="involvedObject.name=probe").items:
        assert time.monotonic() < deadline, "the simulator never expired the pod's events"
        time.sleep(0.5)
    text = events.save(lab, events.list_events(lab))
    assert "Started" in text and "pod/probe" in text  # gone from the cluster, kept in the workspace
    kept = lab.workspace.read_text(f"{events.KEPT}/test.jsonl").splitlines()
    assert len(kept) == len({json.loads(line)["metadata"]["uid"] for line in kept})
