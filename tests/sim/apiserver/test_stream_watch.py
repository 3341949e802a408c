"""Watch and paged lists against the simulated cluster, as kubectl (`get -w`, `wait`, `rollout status`,
`logs job/…`) and the official client's `watch` use them."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config, watch
from kubernetes.client.exceptions import ApiException

from sugarlab.sim.kubeconfig import access
from tests.sim.simcluster import KUBECTL, kubectl, needs_kubectl, start, stop

TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"


@pytest.fixture(scope="module")
def api(kubeconfig: Path) -> client.ApiClient:
    return config.new_client_from_config(str(kubeconfig))


@pytest.fixture(scope="module")
def core(api: client.ApiClient) -> client.CoreV1Api:
    return client.CoreV1Api(api)


@pytest.fixture(scope="module")
def namespace(core: client.CoreV1Api) -> str:
    core.create_namespace({"metadata": {"name": "lab-watch"}})
    return "lab-watch"


def _get(kubeconfig: Path, path: str, accept: str = "application/json", timeout: float = 15) -> Any:
    """A raw GET, for what the generated client does not expose (Accept headers, streamed lines)."""
    server, trust, auth = access(kubeconfig)
    request = urllib.request.Request(server + path, headers={"Accept": accept, **auth})
    return urllib.request.urlopen(request, timeout=timeout, context=trust)


def _watch_lines(
    kubeconfig: Path, path: str, accept: str = "application/json", timeout: float = 15
) -> list[dict[str, Any]]:
    with _get(kubeconfig, path, accept, timeout) as response:
        return [json.loads(line) for line in response]


def _configmap(name: str, **labels: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "labels": labels}, "data": {"k": "v"}}


# -- watch -----------------------------------------------------------------------------------------
@needs_kubectl
def test_kubectl_get_pods_watch_prints_every_column_for_each_change(
    kubeconfig: Path, core: client.CoreV1Api, namespace: str
) -> None:
    assert KUBECTL is not None
    watching = subprocess.Popen(
        [KUBECTL, "--kubeconfig", str(kubeconfig), "-n", namespace, "get", "pods", "-w", "-o", "wide"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(1)
        core.create_namespaced_pod(
            namespace,
            {"metadata": {"name": "watched"}, "spec": {"containers": [{"name": "main", "image": "nginx:1.27"}]}},
        )
        assert watching.stdout is not None
        lines = [watching.stdout.readline() for _ in range(3)]
    finally:
        watching.kill()
        watching.communicate(timeout=10)
    header = lines[0].split()
    assert header[:5] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert {"IP", "NODE", "NOMINATED", "READINESS"} <= set(header)
    first = lines[1].split()
    assert first[:4] == ["watched", "0/1", "Pending", "0"]
    assert lines[2].split()[0] == "watched"


def test_watch_as_table_sends_the_columns_once_and_rows_with_the_object_asked_for(
    kubeconfig: Path, core: client.CoreV1Api, namespace: str
) -> None:
    core.create_namespaced_config_map(namespace, _configmap("tabled"))
    events = _watch_lines(kubeconfig, f"/api/v1/namespaces/{namespace}/configmaps?watch=true&timeoutSeconds=1", TABLE)
    assert events and all(e["type"] == "ADDED" and e["object"]["kind"] == "Table" for e in events)
    assert events[0]["object"]["columnDefinitions"][0]["format"] == "name"
    assert all(e["object"]["columnDefinitions"] is None for e in events[1:])
    row = next(r for e in events for r in e["object"]["rows"] if r["cells"][0] == "tabled")
    assert row["object"]["kind"] == "PartialObjectMetadata"
    full = _watch_lines(
        kubeconfig, f"/api/v1/namespaces/{namespace}/configmaps?watch=true&timeoutSeconds=1&includeObject=Object", TABLE
    )
    rows = [r for e in full for r in e["object"]["rows"] if r["cells"][0] == "tabled"]  # not kube-root-ca.crt
    assert [r["object"]["data"]["k"] for r in rows] == ["v"]
    none = _watch_lines(
        kubeconfig, f"/api/v1/namespaces/{namespace}/configmaps?watch=true&timeoutSeconds=1&includeObject=None", TABLE
    )
    assert {r["object"] is None for e in none for r in e["object"]["rows"]} == {True}


def test_watch_with_a_selector_sees_objects_enter_and_leave_it(core: client.CoreV1Api, namespace: str) -> None:
    created = core.create_namespaced_config_map(namespace, _configmap("mover", tier="cold"))
    seen: list[tuple[str, str]] = []
    core.patch_namespaced_config_map("mover", namespace, {"metadata": {"labels": {"tier": "hot"}}})
    core.patch_namespaced_config_map("mover", namespace, {"data": {"k": "w"}})
    core.patch_namespaced_config_map("mover", namespace, {"metadata": {"labels": {"tier": "cold"}}})
    for event in watch.Watch().stream(
        core.list_namespaced_config_map,
        namespace,
        label_selector="tier=hot",
        resource_version=created.metadata.resource_version,
        timeout_seconds=5,
    ):
        seen.append((event["type"], event["object"].metadata.labels["tier"]))
        if len(seen) == 3:
            break
    # DELETED carries the object as it last matched.
    assert seen == [("ADDED", "hot"), ("MODIFIED", "hot"), ("DELETED", "hot")]


def test_watch_from_a_resource_version_replays_what_changed_after_it(core: client.CoreV1Api, namespace: str) -> None:
    listed = core.list_namespaced_config_map(namespace)
    core.create_namespaced_config_map(namespace, _configmap("later"))
    core.delete_namespaced_config_map("later", namespace)
    events = [
        (e["type"], e["object"].metadata.name)
        for e in watch.Watch().stream(
            core.list_namespaced_config_map,
            namespace,
            resource_version=listed.metadata.resource_version,
            timeout_seconds=1,
        )
    ]
    assert events == [("ADDED", "later"), ("DELETED", "later")]


def test_watch_sends_bookmarks_when_asked(kubeconfig: Path, namespace: str) -> None:
    # timeoutSeconds=3: the watch cache's bookmark 2 s before the deadline comes after about a second.
    events = _watch_lines(
        kubeconfig,
        f"/api/v1/namespaces/{namespace}/configmaps?watch=true&timeoutSeconds=3"
        "&allowWatchBookmarks=true&resourceVersion=999999999",
    )
    bookmarks = [e for e in events if e["type"] == "BOOKMARK"]
    assert len(bookmarks) == 1
    assert bookmarks[0]["object"]["kind"] == "ConfigMap"
    assert int(bookmarks[0]["object"]["metadata"]["resourceVersion"]) > 0
    bookmarked = [
        e["type"]
        for e in watch.Watch().stream(
            client.CoreV1Api(config.new_client_from_config(str(kubeconfig))).list_namespaced_config_map,
            namespace,
            allow_watch_bookmarks=True,
            resource_version="999999999",
            timeout_seconds=3,
        )
    ]
    assert bookmarked == ["BOOKMARK"]  # the official client hands bookmarks on as events
    without = _watch_lines(
        kubeconfig, f"/api/v1/namespaces/{namespace}/configmaps?watch=true&timeoutSeconds=3&resourceVersion=999999999"
    )
    assert without == []


def test_send_initial_events_is_refused_as_a_server_without_watch_list(kubeconfig: Path, namespace: str) -> None:
    with pytest.raises(urllib.error.HTTPError) as refused:
        _get(
            kubeconfig,
            f"/api/v1/namespaces/{namespace}/configmaps?watch=true&sendInitialEvents=true"
            "&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan",
        )
    assert refused.value.code == 422
    status = json.loads(refused.value.read())
    assert status["message"] == (
        'ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: '
        "sendInitialEvents is forbidden for watch unless the WatchList feature gate "
        "is enabled"
    )


# -- list limit and continue -------------------------------------------------------------------------
def test_list_pages_show_the_cluster_as_it_was_at_the_first_page(core: client.CoreV1Api, namespace: str) -> None:
    for i in range(5):
        core.create_namespaced_config_map(namespace, _configmap(f"page-{i}", paged="yes"))
    first = core.list_namespaced_config_map(namespace, label_selector="paged=yes", limit=2)
    assert [c.metadata.name for c in first.items] == ["page-0", "page-1"]
    assert first.metadata._continue and first.metadata.remaining_item_count is None  # a selector: no count
    core.delete_namespaced_config_map("page-3", namespace)
    core.create_namespaced_config_map(namespace, _configmap("page-9", paged="yes"))
    rest = core.list_namespaced_config_map(
        namespace, label_selector="paged=yes", limit=10, _continue=first.metadata._continue
    )
    assert [c.metadata.name for c in rest.items] == ["page-2", "page-3", "page-4"]
    assert rest.metadata.resource_version == first.metadata.resource_version
    assert not rest.metadata._continue


def test_list_without_a_selector_counts_what_remains(core: client.CoreV1Api) -> None:
    pods = core.list_pod_for_all_namespaces(limit=3)
    total = len(core.list_pod_for_all_namespaces().items)
    assert len(pods.items) == 3
    assert pods.metadata.remaining_item_count == total - 3


def test_a_bad_continue_token_is_a_bad_request(core: client.CoreV1Api, namespace: str) -> None:
    with pytest.raises(ApiException) as refused:
        core.list_namespaced_config_map(namespace, limit=1, _continue="not-a-token")
    assert refused.value.status == 400
    assert json.loads(refused.value.body)["message"].startswith("invalid continue token: continue key is not valid")


def test_a_list_at_an_exact_version_shows_the_cluster_as_it_was(core: client.CoreV1Api, namespace: str) -> None:
    core.create_namespaced_config_map(namespace, _configmap("exact-a", era="then"))
    then = core.list_namespaced_config_map(namespace, label_selector="era=then").metadata.resource_version
    core.create_namespaced_config_map(namespace, _configmap("exact-b", era="then"))
    core.patch_namespaced_config_map("exact-a", namespace, {"data": {"k": "changed"}})
    old = core.list_namespaced_config_map(
        namespace, label_selector="era=then", resource_version=then, resource_version_match="Exact"
    )
    assert [(c.metadata.name, c.data["k"]) for c in old.items] == [("exact-a", "v")]
    assert old.metadata.resource_version == then
    with pytest.raises(ApiException) as ahead:
        core.list_namespaced_config_map(namespace, resource_version="999999999")
    assert ahead.value.status == 504
    assert json.loads(ahead.value.body)["details"]["causes"][0]["reason"] == "ResourceVersionTooLarge"


def test_list_options_are_checked_as_kube_apiserver_checks_them(core: client.CoreV1Api, namespace: str) -> None:
    with pytest.raises(ApiException) as refused:
        core.list_namespaced_config_map(namespace, resource_version_match="Exact")
    assert refused.value.status == 422
    assert json.loads(refused.value.body)["message"] == (
        'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden '
        "unless resourceVersion is provided"
    )
    with pytest.raises(ApiException) as initial:
        core.list_namespaced_config_map(namespace, send_initial_events=True)
    assert "sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list" in initial.value.body


@needs_kubectl
def test_kubectl_lists_in_chunks(kubeconfig: Path, namespace: str) -> None:
    chunked = kubectl(kubeconfig, "get", "configmaps", "-n", namespace, "--chunk-size=2", "-o", "name")
    whole = kubectl(kubeconfig, "get", "configmaps", "-n", namespace, "-o", "name")
    assert chunked.returncode == 0, chunked.stderr
    assert chunked.stdout == whole.stdout and chunked.stdout.count("configmap/") >= 6


# -- kubectl commands that watch ---------------------------------------------------------------------
@needs_kubectl
def test_kubectl_wait_for_a_job_to_complete_and_read_its_logs(kubeconfig: Path, api: client.ApiClient) -> None:
    client.BatchV1Api(api).create_namespaced_job(
        "default",
        {
            "metadata": {"name": "stress-once"},
            "spec": {
                "template": {
                    "spec": {
                        "restartPolicy": "Never",
                        "containers": [
                            {
                                "name": "stress",
                                "image": "ghcr.io/alpine/stress:1.0.4",
                                "command": ["stress", "--cpu", "1", "--timeout", "60s"],
                            }
                        ],
                    }
                }
            },
        },
    )
    waited = kubectl(kubeconfig, "wait", "--for=condition=complete", "job/stress-once", "--timeout=60s")
    assert (waited.returncode, waited.stdout) == (0, "job.batch/stress-once condition met\n"), waited.stderr
    logs = kubectl(kubeconfig, "logs", "job/stress-once")
    assert logs.returncode == 0, logs.stderr
    assert "stress: info: [1] dispatching hogs: 1 cpu" in logs.stdout


@needs_kubectl
def test_kubectl_rollout_status_follows_a_deployment(kubeconfig: Path, api: client.ApiClient) -> None:
    labels = {"app": "web"}
    client.AppsV1Api(api).create_namespaced_deployment(
        "default",
        {
            "metadata": {"name": "web"},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
                },
            },
        },
    )
    rolled = kubectl(kubeconfig, "rollout", "status", "deployment/web", "--timeout=60s")
    assert rolled.returncode == 0, rolled.stderr
    assert rolled.stdout.strip().endswith('deployment "web" successfully rolled out')


# -- what a restarted server no longer remembers (last: it restarts the simulator) --------------------
def test_after_a_restart_old_versions_are_expired(
    sim_workspace: Path, kubeconfig: Path, core: client.CoreV1Api, namespace: str
) -> None:
    for name in ("aa-first", "ab-second"):  # two pages at least, whatever ran before in this namespace
        core.create_namespaced_config_map(namespace, _configmap(name))
    first = core.list_namespaced_config_map(namespace, limit=1)
    old_version = first.metadata.resource_version
    core.create_namespaced_config_map(namespace, _configmap("zz-after-list"))
    stop(sim_workspace)
    restarted = client.CoreV1Api(config.new_client_from_config(str(start(sim_workspace))))
    # The history that would rebuild the first page's state is gone: 410, with a token to go on inconsistently.
    with pytest.raises(ApiException) as expired:
        restarted.list_namespaced_config_map(namespace, limit=1, _continue=first.metadata._continue)
    status = json.loads(expired.value.body)
    assert (expired.value.status, status["reason"]) == (410, "Expired")
    assert status["message"].startswith("The provided continue parameter is too old to display a consistent list")
    rest = restarted.list_namespaced_config_map(namespace, limit=100, _continue=status["metadata"]["continue"])
    assert "zz-after-list" in {c.metadata.name for c in rest.items}
    # A watch from a version before the history kept ends with one ERROR event.
    with pytest.raises(ApiException) as gone:
        list(
            watch.Watch().stream(
                restarted.list_namespaced_config_map, namespace, resource_version=old_version, timeout_seconds=2
            )
        )
    assert gone.value.status == 410
    assert f"too old resource version: {old_version}" in str(gone.value.reason)
