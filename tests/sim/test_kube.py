"""The Kubernetes seam: errors that carry the server's Status, server-side apply, and `wait_for`."""

from __future__ import annotations

import time

import pytest
from kubernetes.client.exceptions import ApiException

from sugarlab import ApiError, ClusterError, SugarlabError, WaitTimeout
from sugarlab.kube.apply import server_side_apply
from sugarlab.kube.wait import Pending, wait_for
from sugarlab.lab.cluster import Cluster


def test_a_refused_request_raises_an_api_error_with_the_servers_status(sim: Cluster) -> None:
    with pytest.raises(ApiError) as refused:
        sim.core.read_namespaced_pod("no-such-pod", "default")
    error = refused.value
    assert isinstance(error, ClusterError) and isinstance(error, SugarlabError) and isinstance(error, ApiException)
    assert (error.status, error.status_reason) == (404, "NotFound")
    assert error.api_status["kind"] == "Status" and error.api_status["details"]["name"] == "no-such-pod"
    assert str(error).startswith("GET /api/v1/namespaces/default/pods/no-such-pod: 404 NotFound: ")
    assert "no-such-pod" in error.status_message


def test_server_side_apply_failures_name_the_object(sim: Cluster) -> None:
    bad = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "Not_A_Name"}, "data": {"a": "b"}}
    with pytest.raises(ApiError, match=r"apply ConfigMap kube-apply/Not_A_Name: 422"):
        server_side_apply(sim, [bad], "kube-apply")
    good = {**bad, "metadata": {"name": "kept"}}
    server_side_apply(sim, [good], "kube-apply")
    server_side_apply(sim, [{**good, "data": {"a": "c"}}], "kube-apply")  # a rerun updates in place
    assert sim.core.read_namespaced_config_map("kept", "kube-apply").data == {"a": "c"}


def test_wait_for_returns_what_the_poll_returns_once_it_holds() -> None:
    answers = iter([Pending(0, 2), Pending(1, 2), "ready"])
    assert wait_for(lambda: next(answers), "two steps", 10, interval=0.01) == "ready"


def test_wait_for_times_out_on_the_clusters_clock_with_the_last_answer() -> None:
    began = time.monotonic()
    with pytest.raises(WaitTimeout) as late:  # 60 cluster seconds on a clock 600 times faster: 0.1 s
        wait_for(lambda: Pending(1, 3, "1 of 3 ready", value="partial"), "replicas", 60, speed=600, interval=0.01)
    assert 0.1 <= time.monotonic() - began < 2
    assert late.value.last.value == "partial" and late.value.timeout == 60
    assert str(late.value) == "replicas: not within 60 s of cluster time; last seen: 1 of 3 ready"
