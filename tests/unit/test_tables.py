"""Tables render like kubectl: checked against real kubectl output in tests/data."""

from __future__ import annotations

import copy
import html
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from sugarlab.kube.inventory import nodes_frame, pods_frame
from sugarlab.views.tables import TextTable, kubectl_table, nodes_table, pods_table, tail, top_table

DATA = Path(__file__).parents[1] / "data"
NOW = datetime(2025, 8, 10, 12, 0, tzinfo=UTC)


def raspi_nodes() -> list[dict[str, Any]]:
    """The three Pis of kubectl-get-nodes-wide.txt, built on the real k3s node object (values from that row)."""
    template = json.loads((DATA / "k3s-nodes.json").read_text())["items"][0]
    rows = [
        ("raspi64-0", True, timedelta(days=6, minutes=30), "192.168.0.31", "6.6.62-v8+"),
        ("raspi64-1", False, timedelta(days=5, hours=23, minutes=10), "192.168.0.32", "6.6.20+rpt-rpi-v8"),
        ("raspi64-2", False, timedelta(days=4, hours=19, minutes=40), "192.168.0.33", "6.6.20+rpt-rpi-v8"),
    ]
    nodes = []
    for name, server, age, ip, kernel in rows:
        node = copy.deepcopy(template)
        labels = {k: v for k, v in node["metadata"]["labels"].items() if not k.startswith("node-role") or server}
        node["metadata"].update(
            name=name, labels=labels, creationTimestamp=(NOW - age).isoformat().replace("+00:00", "Z")
        )
        node["status"]["addresses"] = [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name}]
        node["status"]["nodeInfo"].update(
            kubeletVersion="v1.33.3+k3s1",
            osImage="Debian GNU/Linux 12 (bookworm)",
            kernelVersion=kernel,
            containerRuntimeVersion="containerd://2.0.5-k3s2",
            architecture="arm64",
        )
        nodes.append(node)
    return nodes


def test_nodes_table_reproduces_real_kubectl_output() -> None:
    assert nodes_table(nodes_frame(raspi_nodes(), NOW)) == (DATA / "kubectl-get-nodes-wide.txt").read_text()


def test_inventory_header_line_has_kubectls_column_order() -> None:
    header = nodes_table(nodes_frame(raspi_nodes(), NOW)).splitlines()[0]
    assert header.split() == (DATA / "kubectl-get-nodes-wide.txt").read_text().splitlines()[0].split()


def test_pods_table_header_and_none_cells() -> None:
    pod = json.loads((DATA / "k3s-pod-helm-install-completed.json").read_text())
    lines = pods_table(pods_frame([pod], NOW)).splitlines()
    assert lines[0] == (
        "NAMESPACE     NAME                             READY   STATUS      RESTARTS   AGE    "
        "IP          NODE      NOMINATED NODE   READINESS GATES"
    )
    assert lines[1].split() == [
        "kube-system",
        "helm-install-traefik-crd-g8s55",
        "0/1",
        "Completed",
        "0",
        "452d",
        "10.42.0.4",
        "kmaster",
        "<none>",
        "<none>",
    ]


def test_empty_cells_print_none() -> None:
    frame = pd.DataFrame({"name": ["a"], "external_ip": [None]})
    assert kubectl_table(frame, ["name", "external_ip"]) == "NAME   EXTERNAL-IP\na      <none>\n"


def test_top_nodes_table_reproduces_real_kubectl_output() -> None:
    mi = 2**20
    top = pd.DataFrame(
        {
            "name": ["ub18", "ub18c1", "ub18c2"],
            "cpu_cores": [0.354, 0.180, 0.213],
            "cpu_percent": [17.7, 18.0, 21.3],
            "memory_bytes": [2685 * mi + 512, 2244 * mi, 2138 * mi],
            "memory_percent": [45.2, 38.9, 36.0],
        }
    )
    assert top_table(top) == (DATA / "kubectl-top-nodes.txt").read_text()


def test_top_pods_table_matches_real_kubectl_output() -> None:
    real = (DATA / "kubectl-top-pods.txt").read_text().splitlines()
    rows = [line.split() for line in real[1:]]
    top = pd.DataFrame(
        {
            "namespace": [r[0] for r in rows],
            "name": [r[1] for r in rows],
            "cpu_cores": [int(r[2].rstrip("m")) / 1000 for r in rows],
            "memory_bytes": [int(r[3].rstrip("Mi")) * 2**20 for r in rows],
        }
    )
    assert [line.rstrip() for line in top_table(top).splitlines()] == [line.rstrip() for line in real]


def test_unknown_node_metrics_print_unknown() -> None:
    top = pd.DataFrame(
        {
            "name": ["worker-b"],
            "cpu_cores": [float("nan")],
            "cpu_percent": [float("nan")],
            "memory_bytes": [float("nan")],
            "memory_percent": [float("nan")],
        }
    )
    assert top_table(top).splitlines()[1].split() == ["worker-b"] + ["<unknown>"] * 4


def test_a_notebook_shows_a_table_unwrapped_escaped_and_unlinked_with_its_text_beside() -> None:
    from IPython.core.interactiveshell import InteractiveShell

    pod = json.loads((DATA / "k3s-pod-helm-install-completed.json").read_text())
    text = nodes_table(nodes_frame(raspi_nodes(), NOW)) + pods_table(pods_frame([pod], NOW))
    shell = InteractiveShell.instance()
    try:
        assert shell.display_formatter is not None
        formatted, _ = shell.display_formatter.format(TextTable(text))
    finally:
        InteractiveShell.clear_instance()
    assert formatted["text/plain"] == text  # headless reports read the table as kubectl printed it
    page = formatted["text/html"]
    pre = re.fullmatch(r'<pre style="([^"]*)">(.*)</pre>', page, re.DOTALL)
    assert pre is not None
    style = dict(rule.split(": ") for rule in pre[1].split("; "))
    assert style["white-space"] == "pre" and style["overflow-x"] == "auto" and style["word-break"] == "normal"
    assert html.unescape(pre[2]) == text  # every line whole, nothing added
    assert "&lt;none&gt;" in pre[2] and "<none>" not in pre[2] and "containerd://2.0.5-k3s2" in pre[2]
    assert "<a" not in page


def test_tables_are_still_strings_that_print_and_save_as_kubectl_prints() -> None:
    table = nodes_table(nodes_frame(raspi_nodes(), NOW))
    assert isinstance(table, TextTable) and isinstance(table, str)
    assert str(table) == (DATA / "kubectl-get-nodes-wide.txt").read_text()


def test_tail_keeps_the_header_and_the_newest_rows_whole() -> None:
    table = kubectl_table(pd.DataFrame({"name": [f"event-{i}" for i in range(50)]}), ["name"])
    shown = tail(table, 3)
    assert isinstance(shown, TextTable)
    assert shown == "NAME\nevent-47\nevent-48\nevent-49\n"
    assert tail("No resources found\n", 3) == "No resources found\n"
    with pytest.raises(ValueError, match="at least 1 row"):
        tail(table, 0)
