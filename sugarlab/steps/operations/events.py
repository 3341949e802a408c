"""Tutorial step 6.2: `kubectl get events -A --sort-by=.metadata.creationTimestamp`, as text and as a frame.

The text is what kubectl prints, column for column (kubectl's event printer in
k8s.io/kubernetes pkg/printers/internalversion/printers.go): LAST SEEN is the age of the last
occurrence, with `(xN over AGE)` when the event repeated; OBJECT is `kind/name` in lower case.
The frame keeps the same rows with typed times and counts, for grouping warnings and plotting churn.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

from sugarlab.common.kubectl import parse_time, since
from sugarlab.kube.inventory import as_dict, server_now
from sugarlab.lab.session import Lab
from sugarlab.views.tables import render

LOG = "operations/events-post-expansion.log"
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


def list_events(lab: Lab) -> pd.DataFrame:
    """Every namespace's events, aged by the API server's clock."""
    data, _, headers = lab.cluster.core.list_event_for_all_namespaces_with_http_info()
    return events_frame(data.items, server_now(headers))


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
