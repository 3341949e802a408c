"""Tutorial step 6.2: `kubectl get events -A --sort-by=.metadata.creationTimestamp`, as text and as a frame.

The text is what kubectl prints, column for column (kubectl's event printer in
k8s.io/kubernetes pkg/printers/internalversion/printers.go): LAST SEEN is the age of the last
occurrence, with `(xN over AGE)` when the event repeated; OBJECT is `kind/name` in lower case.
The frame keeps the same rows with typed times and counts, for grouping warnings and plotting churn.

Events live one hour (kube-apiserver's `--event-ttl`, default 1h: cmd/kube-apiserver/app/options), which
the simulator's clock passes in a minute and a lab on Pis passes too. So each notebook that changes the
cluster keeps the events of what it did before they expire (`keep`: `operations/events/<notebook>.jsonl`),
and 06's log and churn figures are the kept events merged with what the cluster still holds.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pandas as pd

from sugarlab.common.kubectl import parse_time, since
from sugarlab.kube.inventory import as_dict, server_now
from sugarlab.lab.session import Lab
from sugarlab.views.tables import render

LOG = "operations/events-post-expansion.log"
KEPT = "operations/events"  # one <notebook>.jsonl per notebook that keeps its events
TEXT_COLUMNS = ["namespace", "last_seen", "type", "reason", "object", "message"]
HEADERS = ["NAMESPACE", "LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
EXTRA_COLUMNS = ["created", "first_seen", "last_timestamp", "count", "kind", "name", "source"]


def _row(obj: Any, now: datetime) -> dict[str, Any]:
    event = as_dict(obj)
    meta, involved = event.get("metadata") or {}, event.get("involvedObject") or {}
    first = parse_time(event.get("firstTimestamp")) or parse_time(event.get("eventTime"))
    last = parse_time(event.get("lastTimestamp")) or first
    count = int(event.get("count") or 0) or 1
    series = event.get("series")
    if series:  # events.k8s.io-style repeats
        last, count = parse_time(series.get("lastObservedTime")) or last, int(series.get("count") or count)
    seen = since(last, now)
    if count > 1:
        seen = f"{seen} (x{count} over {since(first, now)})"
    kind, name = str(involved.get("kind") or ""), str(involved.get("name") or "")
    source = event.get("source") or {}
    return {
        "namespace": meta.get("namespace", ""),
        "last_seen": seen,
        "type": event.get("type") or "",
        "reason": event.get("reason") or "",
        "object": f"{kind.lower()}/{name}" if name else kind.lower(),
        "message": (event.get("message") or "").strip(),
        "created": parse_time(meta.get("creationTimestamp")) or first,
        "first_seen": first,
        "last_timestamp": last,
        "count": count,
        "kind": kind,
        "name": name,
        "source": event.get("reportingComponent") or source.get("component") or "",
    }


def events_frame(events: list[Any], now: datetime) -> pd.DataFrame:
    """One row per event, oldest first by creation time (a stable sort, like kubectl's `--sort-by`)."""
    frame = pd.DataFrame([_row(e, now) for e in events], columns=TEXT_COLUMNS + EXTRA_COLUMNS)
    for column in ("created", "first_seen", "last_timestamp"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame.sort_values("created", kind="stable", na_position="first").reset_index(drop=True)


def _version(event: dict[str, Any]) -> tuple[int, str]:
    """How far an event has got: the API server updates a repeating event in place (same uid), raising
    its count and lastTimestamp (or, for events.k8s.io, its series), so the higher one is the later."""
    series = event.get("series") or {}
    count = int(series.get("count") or event.get("count") or 0)
    return count, str(series.get("lastObservedTime") or event.get("lastTimestamp") or event.get("eventTime") or "")


def merged(*sources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Events from several reads, one per uid (its latest version), oldest first by creation."""
    latest: dict[str, dict[str, Any]] = {}
    for event in (e for source in sources for e in source):
        uid = str((event.get("metadata") or {}).get("uid") or id(event))
        if uid not in latest or _version(event) >= _version(latest[uid]):
            latest[uid] = event
    return sorted(latest.values(), key=lambda e: str((e.get("metadata") or {}).get("creationTimestamp") or ""))


def _cluster_events(lab: Lab) -> tuple[list[dict[str, Any]], datetime]:
    data, _, headers = lab.cluster.core.list_event_for_all_namespaces_with_http_info()
    return [as_dict(e) for e in data.items], server_now(headers)


def _read_jsonl(lab: Lab, relative: str) -> list[dict[str, Any]]:
    path = lab.workspace.path(relative)
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def keep(lab: Lab) -> int:
    """Merge the cluster's events into this notebook's kept events (rewritten atomically); return how many
    it keeps. Call it at the end of a notebook that changes the cluster and after its long steps."""
    relative = f"{KEPT}/{lab.workspace.notebook or 'lab'}.jsonl"
    now, _ = _cluster_events(lab)
    events = merged(_read_jsonl(lab, relative), now)
    lab.workspace.write_text(relative, "".join(json.dumps(e, sort_keys=True) + "\n" for e in events))
    return len(events)


def kept(lab: Lab) -> list[dict[str, Any]]:
    """Every notebook's kept events."""
    folder = lab.workspace.path(KEPT)
    files = sorted(folder.glob("*.jsonl")) if folder.is_dir() else []
    return merged(*(_read_jsonl(lab, f"{KEPT}/{f.name}") for f in files))


def list_events(lab: Lab) -> pd.DataFrame:
    """The whole lab's events: those the notebooks kept and those the cluster still holds, aged by the
    API server's clock."""
    now, at = _cluster_events(lab)
    return events_frame(merged(kept(lab), now), at)


def events_table(frame: pd.DataFrame) -> str:
    """The text of `kubectl get events -A --sort-by=.metadata.creationTimestamp`."""
    if frame.empty:
        return "No resources found\n"
    return render([HEADERS, *([str(v) for v in row] for row in frame[TEXT_COLUMNS].itertuples(index=False))])


def save(lab: Lab, frame: pd.DataFrame) -> str:
    text = events_table(frame)
    lab.workspace.write_text(LOG, text)
    return text


def warnings(frame: pd.DataFrame) -> pd.DataFrame:
    """Warning events grouped by reason and object: how often, first and last seen, the latest message."""
    columns = ["reason", "object", "namespace", "events", "occurrences", "first_seen", "last_seen", "message"]
    found = frame[frame["type"] == "Warning"].sort_values("last_timestamp", kind="stable")
    if found.empty:
        return pd.DataFrame(columns=columns)
    grouped = found.groupby(["reason", "object", "namespace"], as_index=False).agg(
        events=("name", "size"),
        occurrences=("count", "sum"),
        first_seen=("first_seen", "min"),
        last_seen=("last_timestamp", "max"),
        message=("message", "last"),
    )
    return grouped.sort_values(["occurrences", "last_seen"], ascending=[False, False])[columns].reset_index(drop=True)
