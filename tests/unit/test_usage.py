"""`kubectl top` frames: percentages of allocatable, `<unknown>` nodes, and the metrics-server diagnosis."""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pandas as pd
import pytest
from kubernetes.client.exceptions import ApiException

from sugarlab.kube.top import diagnosis_markdown, top_nodes, top_nodes_frame, top_pods, top_pods_frame
from sugarlab.lab.cluster import Cluster
from sugarlab.lab.errors import ClusterError, MetricsUnavailable

DATA = Path(__file__).parents[1] / "data"


def load(name: str) -> dict[str, Any]:
    return cast(dict[str, Any], json.loads((DATA / name).read_text()))


def nodes() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = load("k3s-nodes.json")["items"]
    return items


def node_metrics() -> dict[str, Any]:
    """The real k3s NodeMetricsList, its one sample renamed to the real server node `noder` to pair them."""
    listing = load("node-metrics-list-k3s.json")
    listing["items"][0]["metadata"]["name"] = "noder"
    return listing


# Hand-made: no real PodMetricsList was found; figures taken from tests/data/kubectl-top-pods.txt.
POD_METRICS = {
    "kind": "PodMetricsList",
    "apiVersion": "metrics.k8s.io/v1beta1",
    "metadata": {},
    "items": [
        {
            "metadata": {"name": "etcd-ub18", "namespace": "kube-system"},
            "timestamp": "2023-03-03T04:37:54Z",
            "window": "20.064s",
            "containers": [{"name": "etcd", "usage": {"cpu": "41m", "memory": "37Mi"}}],
        },
        {
            "metadata": {"name": "resource-consumer-pod", "namespace": "default"},
            "timestamp": "2023-03-03T04:37:54Z",
            "window": "20.064s",
            "containers": [
                {"name": "consumer", "usage": {"cpu": "99500u", "memory": "6Mi"}},
                {"name": "helper", "usage": {"cpu": "500u", "memory": "1Mi"}},
            ],
        },
    ],
}


def test_cpu_and_memory_percent_of_allocatable() -> None:
    frame = top_nodes_frame(node_metrics(), nodes(), "cluster").set_index("name")
    server = frame.loc["noder"]
    assert server["cpu_cores"] == pytest.approx(0.298952967)
    assert server["cpu_percent"] == pytest.approx(server["cpu_cores"] / 1.0 * 100)
    assert server["memory_bytes"] == 1311340 * 1024
    assert server["memory_percent"] == pytest.approx(1311340 / 1011268 * 100)
    assert server["status"] == "ok"
    assert server["window"] == pd.Timedelta(seconds=10.059)
    assert server["timestamp"] == pd.Timestamp("2022-09-11T13:37:24Z")
    assert server["provenance"] == "cluster"


def test_node_without_metrics_is_unknown_not_dropped() -> None:
    frame = top_nodes_frame(node_metrics(), nodes(), "simulated").set_index("name")
    agent = frame.loc["kworker1"]
    assert agent["status"] == "<unknown>"
    assert math.isnan(agent["cpu_percent"]) and math.isnan(agent["memory_bytes"])
    assert agent["cpu_allocatable"] == 2.0
    assert set(frame["provenance"]) == {"simulated"}


def test_top_pods_sums_containers() -> None:
    frame = top_pods_frame(POD_METRICS, "cluster")
    assert frame["name"].tolist() == ["resource-consumer-pod", "etcd-ub18"]
    consumer = frame.iloc[0]
    assert consumer["cpu_cores"] == pytest.approx(0.1)
    assert consumer["memory_bytes"] == 7 * 2**20
    assert consumer["containers"] == 2
    assert "cpu_percent" not in frame


class FakeCustom:
    def __init__(self, responses: dict[str, dict[str, Any] | Exception]) -> None:
        self.responses = responses

    def _answer(self, resource: str) -> dict[str, Any]:
        answer = self.responses[resource]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def list_cluster_custom_object(self, group: str, version: str, plural: str) -> dict[str, Any]:
        assert (group, version) == ("metrics.k8s.io", "v1beta1")
        return self._answer(plural)

    def list_namespaced_custom_object(self, group: str, version: str, namespace: str, plural: str) -> dict[str, Any]:
        return self._answer(plural)


def cluster(responses: dict[str, dict[str, Any] | Exception], provenance: str = "simulated") -> Cluster:
    items = SimpleNamespace(items=nodes())
    fake = SimpleNamespace(
        custom=FakeCustom(responses), core=SimpleNamespace(list_node=lambda: items), provenance=provenance
    )
    return cast(Cluster, fake)  # what the fetchers use of a cluster


def test_fetchers_carry_the_cluster_provenance() -> None:
    fake = cluster({"nodes": node_metrics(), "pods": POD_METRICS})
    assert set(top_nodes(fake)["provenance"]) == {"simulated"}
    assert len(top_pods(fake)) == 2
    assert len(top_pods(fake, namespace="kube-system")) == 2


@pytest.mark.parametrize("status", [404, 503])
def test_missing_metrics_api_gives_the_tutorial_hint(status: int) -> None:
    fake = cluster({"nodes": ApiException(status=status, reason="x")})
    with pytest.raises(MetricsUnavailable) as caught:
        top_nodes(fake)
    message = str(caught.value)
    assert str(status) in message
    assert (
        "kubectl apply -f \\\n      https://github.com/kubernetes-sigs/metrics-server/releases/latest/"
        "download/components.yaml"
    ) in message
    assert "kubectl get deployment metrics-server -n kube-system" in message and "AVAILABLE" in message


def test_other_api_errors_are_cluster_errors() -> None:
    with pytest.raises(ClusterError, match="HTTP 403"):
        top_pods(cluster({"pods": ApiException(status=403, reason="Forbidden")}))


def test_diagnosis_explains_unknown_nodes_separately() -> None:
    text = diagnosis_markdown(top_nodes_frame(node_metrics(), nodes(), "cluster"))
    assert "1 of 2 nodes" in text and "kworker1" in text
    assert "about a minute" in text and "kubectl logs -n kube-system deployment/metrics-server" in text
    assert "components.yaml" not in text


def test_diagnosis_for_missing_api_and_for_healthy_metrics() -> None:
    error = MetricsUnavailable("`kubectl top` has no data")
    assert diagnosis_markdown(error=error).startswith("**Resource metrics unavailable.**")
    healthy = top_nodes_frame(node_metrics(), nodes()[:1], "simulated")
    assert diagnosis_markdown(healthy) == "**Resource metrics OK** for all 1 nodes (source: simulated)."


def test_single_node_metrics_items_and_kubectl_rounding() -> None:
    """A list of real NodeMetrics works too; kubectl's MilliValue rounds 329087452n up to 330m."""
    from sugarlab.views.tables import top_table

    sample = load("node-metrics-ub18.json")
    node = nodes()[0]
    node["metadata"]["name"] = "ub18"
    node["status"]["allocatable"].update(cpu="2", memory="6Gi")  # hand-set: ub18's allocatable is not published
    frame = top_nodes_frame([sample], [node], "cluster")
    assert top_table(frame).splitlines()[1].split() == ["ub18", "330m", "16%", "2683Mi", "43%"]
    assert frame.loc[0, "window"] == pd.Timedelta(seconds=20.064)
