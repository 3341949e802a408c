"""`meta.k8s.io/v1` Table responses, which `kubectl get` asks for to print its columns.

Nodes, pods and events get the columns of kubectl's own printers (the same rows sugarlab's inventory
frames hold); every other kind gets the API server's default Name and Age. Ages are computed on the
cluster's clock, as a real server computes them on its own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sugarlab.kube.inventory import NODE_COLUMNS, POD_COLUMNS, age, node_row, parse_time, pod_row
from sugarlab.views.tables import header

Obj = dict[str, Any]
EVENT_HEADERS = {"last_seen": "LAST SEEN"}  # kubectl's events columns: LAST SEEN, TYPE, REASON, OBJECT, MESSAGE
WIDE = {"internal_ip", "external_ip", "os_image", "kernel_version", "container_runtime",
        "ip", "node", "nominated_node", "readiness_gates"}  # shown only with -o wide (priority 1)


def wants_table(accept: str) -> bool:
    return "as=Table" in accept


def table(kind: str, objects: list[Obj], now: datetime, resource_version: str) -> Obj:
    if kind == "Node":
        columns, rows = NODE_COLUMNS, [node_row(o, now) for o in objects]
    elif kind == "Pod":
        columns, rows = POD_COLUMNS[1:], [pod_row(o, now) for o in objects]  # kubectl adds NAMESPACE itself
    elif kind == "Event":
        columns = ["last_seen", "type", "reason", "object", "message"]
        rows = [{"last_seen": age(parse_time(o.get("lastTimestamp")), now), "type": o.get("type", ""),
                 "reason": o.get("reason", ""), "message": o.get("message", ""),
                 "object": f"{o['involvedObject']['kind'].lower()}/{o['involvedObject']['name']}"} for o in objects]
    else:
        columns = ["name", "age"]
        rows = [{"name": o["metadata"]["name"], "age": age(parse_time(o["metadata"].get("creationTimestamp")), now)}
                for o in objects]
    return {
        "kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": resource_version},
        "columnDefinitions": [
            {"name": EVENT_HEADERS.get(c) or header(c), "type": "string",
             "format": "name" if c == "name" else "", "description": "", "priority": int(c in WIDE)}
            for c in columns
        ],
        "rows": [
            {"cells": [row[c] for c in columns],
             "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": o["metadata"]}}
            for row, o in zip(rows, objects)
        ],
    }
