"""PodDisruptionBudgets on the simulated cluster: their status, and evictions they refuse or allow."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from sugarlab.lab.cluster import Cluster


def _pdb(name: str, labels: dict[str, str], **budget: object) -> dict[str, Any]:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": name},
        "spec": {"selector": {"matchLabels": labels}, **budget},
    }


def _status(policy: client.PolicyV1Api, namespace: str, name: str, wanted: int) -> client.V1PodDisruptionBudgetStatus:
    deadline = time.monotonic() + 20
    while True:
        status = policy.read_namespaced_pod_disruption_budget(name, namespace).status
        if status and status.expected_pods == wanted:
            return status
        assert time.monotonic() < deadline, f"budget {name} never counted {wanted} pods: {status}"
        time.sleep(0.2)


def _evict(core: client.CoreV1Api, namespace: str, name: str) -> None:
    core.create_namespaced_pod_eviction(
        name,
        namespace,
        {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name, "namespace": namespace}},
    )


def test_an_eviction_that_would_breach_a_budget_is_refused(sim: Cluster) -> None:
    policy = client.PolicyV1Api(sim.api)
    policy.create_namespaced_pod_disruption_budget(
        "kube-system", _pdb("coredns", {"k8s-app": "kube-dns"}, minAvailable=1)
    )
    status = _status(policy, "kube-system", "coredns", 1)
    assert (status.current_healthy, status.desired_healthy, status.disruptions_allowed) == (1, 1, 0)
    dns = sim.core.list_namespaced_pod("kube-system", label_selector="k8s-app=kube-dns").items[0]
    with pytest.raises(ApiException) as refused:
        _evict(sim.core, "kube-system", dns.metadata.name)
    assert refused.value.status == 429
    body = json.loads(refused.value.body)
    assert body["message"] == "Cannot evict pod as it would violate the pod's disruption budget."
    assert (
        body["details"]["causes"][0]["message"]
        == "The disruption budget coredns needs 1 healthy pods and has 1 currently"
    )
    assert sim.core.read_namespaced_pod(dns.metadata.name, "kube-system").metadata.deletion_timestamp is None


def test_a_budget_allows_one_eviction_at_a_time(sim: Cluster) -> None:
    sim.core.create_namespace({"metadata": {"name": "pdb-lab"}})
    for i in range(3):  # bare pods: nothing replaces an evicted one behind the test's back
        sim.core.create_namespaced_pod(
            "pdb-lab",
            {
                "metadata": {"name": f"web-{i}", "labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
            },
        )
    policy = client.PolicyV1Api(sim.api)
    policy.create_namespaced_pod_disruption_budget("pdb-lab", _pdb("web", {"app": "web"}, minAvailable=2))
    deadline = time.monotonic() + 30
    while _status(policy, "pdb-lab", "web", 3).current_healthy < 3:
        assert time.monotonic() < deadline, "the pods never became ready"
        time.sleep(0.2)
    _evict(sim.core, "pdb-lab", "web-0")
    left = [p for p in sim.core.list_namespaced_pod("pdb-lab").items if p.metadata.deletion_timestamp is None]
    assert [p.metadata.name for p in left] == ["web-1", "web-2"]
    with pytest.raises(ApiException) as refused:
        _evict(sim.core, "pdb-lab", "web-1")
    assert refused.value.status == 429
    assert "needs 2 healthy pods and has 2 currently" in refused.value.body


def test_max_unavailable_counts_against_the_controllers_scale(sim: Cluster) -> None:
    sim.core.create_namespace({"metadata": {"name": "pdb-scale"}})
    client.AppsV1Api(sim.api).create_namespaced_deployment(
        "pdb-scale",
        {
            "metadata": {"name": "api"},
            "spec": {
                "replicas": 4,
                "selector": {"matchLabels": {"app": "api"}},
                "template": {
                    "metadata": {"labels": {"app": "api"}},
                    "spec": {"containers": [{"name": "api", "image": "nginx:1.27"}]},
                },
            },
        },
    )
    policy = client.PolicyV1Api(sim.api)
    policy.create_namespaced_pod_disruption_budget("pdb-scale", _pdb("api", {"app": "api"}, maxUnavailable="25%"))
    deadline = time.monotonic() + 30
    while (status := _status(policy, "pdb-scale", "api", 4)).current_healthy < 4:
        assert time.monotonic() < deadline, "the Deployment's pods never became ready"
        time.sleep(0.2)
    assert (status.desired_healthy, status.disruptions_allowed) == (3, 1)


def test_evicting_a_missing_pod_is_not_found(sim: Cluster) -> None:
    with pytest.raises(ApiException) as missing:
        _evict(sim.core, "kube-system", "no-such-pod")
    assert missing.value.status == 404
