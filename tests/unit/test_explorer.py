"""The explorer filters frames that are already computed; it never needs a cluster."""

from __future__ import annotations

import ipywidgets as widgets
import pandas as pd

from sugarlab.views.explorer import ALL, filter_pods, filter_top_pods, options, pod_explorer

PODS = pd.DataFrame(
    {
        "namespace": ["kube-system", "kube-system", "lab-scale", "lab-scale"],
        "name": ["coredns-1", "metrics-server-1", "stress-a", "stress-b"],
        "node": ["pi-a", "pi-a", "pi-b", "<none>"],
    }
)
TOP = pd.DataFrame(
    {
        "namespace": ["kube-system", "kube-system", "lab-scale"],
        "name": ["coredns-1", "metrics-server-1", "stress-a"],
        "cpu_cores": [0.002, 0.004, 0.9],
    }
)


def test_options_start_with_all() -> None:
    assert options(PODS, "namespace") == [ALL, "kube-system", "lab-scale"]
    assert options(PODS, "node") == [ALL, "<none>", "pi-a", "pi-b"]


def test_filter_by_namespace_node_and_both() -> None:
    assert filter_pods(PODS).equals(PODS)
    assert filter_pods(PODS, namespace="lab-scale")["name"].tolist() == ["stress-a", "stress-b"]
    assert filter_pods(PODS, node="pi-a")["name"].tolist() == ["coredns-1", "metrics-server-1"]
    assert filter_pods(PODS, "lab-scale", "pi-a").empty


def test_top_pods_follow_the_pod_filter_through_node() -> None:
    assert filter_top_pods(TOP, PODS, node="pi-b")["name"].tolist() == ["stress-a"]
    assert filter_top_pods(TOP, PODS).equals(TOP)


def test_widget_sits_on_the_given_frames() -> None:
    box = pod_explorer(PODS, TOP)
    namespace, node = box.children[0].children
    assert isinstance(namespace, widgets.Dropdown) and namespace.value == ALL
    assert list(node.options) == [ALL, "<none>", "pi-a", "pi-b"]
    table = box.children[1]
    assert "metrics-server-1" in table.value
    assert ">0.00400</td>" in table.value and "0.004000" not in table.value  # numbers as people read them
    namespace.value = "lab-scale"
    node.value = "pi-b"
    assert "stress-a" in table.value and "metrics-server-1" not in table.value


def test_pod_names_stay_on_one_line_and_the_tables_scroll_sideways() -> None:
    long_name = "metrics-server-5985cbc9d7-xk2lp"
    pods = PODS.assign(name=[long_name, *PODS["name"][1:]])
    html = pod_explorer(pods).children[1].value
    assert f'<td style="white-space: nowrap">{long_name}</td>' in html
    assert html.startswith('<div style="overflow-x: auto">') and html.count("<table") == 1
