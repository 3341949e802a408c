"""The controllers behind the kinds a k3s cluster keeps by itself, seen through the official client:
default ServiceAccounts, Endpoints and EndpointSlices from pods' readiness, node Leases, the
ReplicationController manager, CronJobs, ControllerRevisions, and Secrets' stringData."""

from __future__ import annotations

import base64
import calendar
import functools
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from kubernetes import client, config, watch
from kubernetes.client.exceptions import ApiException

from tests.sim.simcluster import start

NS = "lab-kinds"
T = TypeVar("T")


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, stop_later: Callable[[Path], None]) -> Iterator[client.ApiClient]:
    workspace = tmp_path_factory.mktemp("kinds")
    try:
        api_client = config.new_client_from_config(config_file=str(start(workspace, "-p", "speed", "240")))
        client.CoreV1Api(api_client).create_namespace({"metadata": {"name": NS}})
        yield api_client
    finally:
        stop_later(workspace)


def eventually(probe: Callable[[], T | None], what: str, timeout: float = 20) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = probe()
        except ApiException as exc:
            if exc.status != 404:
                raise
            value = None
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"never happened: {what}")


def power(api: client.ApiClient, machine: str, on: bool) -> None:
    """The simulator's machine API, with the kubeconfig's credentials."""
    method, url, headers, body, _ = api.param_serialize(
        "POST",
        f"/sugarlab/v1/machines/{machine}/power",
        header_params={"Content-Type": "application/json"},
        body={"on": on},
        auth_settings=["BearerToken"],
    )
    assert api.call_api(method, url, headers, body).status == 200


def web_deployment(name: str, replicas: int, node: str) -> dict[str, Any]:
    """Pods with a named port, pinned to a worker (whose taint they tolerate), so its power can be cut."""
    return {
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "nodeSelector": {"kubernetes.io/hostname": node},
                    "tolerations": [{"key": "sugarkube.io/role", "operator": "Exists"}],
                    "containers": [
                        {"name": "nginx", "image": "nginx:1.27", "ports": [{"name": "http", "containerPort": 80}]}
                    ],
                },
            },
        },
    }


def test_every_namespace_gets_a_default_service_account_back_after_deletion(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    for namespace in ("default", "kube-system", "kube-public", "kube-node-lease", NS):
        assert eventually(
            functools.partial(core.read_namespaced_service_account, "default", namespace), f"default SA in {namespace}"
        )
    first = core.read_namespaced_service_account("default", NS).metadata.uid
    core.delete_namespaced_service_account("default", NS)
    again = eventually(lambda: core.read_namespaced_service_account("default", NS), "the default SA recreated")
    assert again.metadata.uid != first


def test_secret_string_data_is_stored_base64_in_data(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    created = core.create_namespaced_secret(
        NS, {"metadata": {"name": "creds"}, "data": {"user": "YWRh"}, "stringData": {"password": "s3cret"}}
    )
    assert created.data == {"user": "YWRh", "password": base64.b64encode(b"s3cret").decode()}
    assert created.string_data is None and created.type == "Opaque"
    patched = core.patch_namespaced_secret("creds", NS, {"stringData": {"user": "bob"}})
    assert base64.b64decode(patched.data["user"]) == b"bob"


def test_endpoints_and_slices_follow_the_ready_pods_and_resolve_named_ports(api: client.ApiClient) -> None:
    core, apps, discovery = client.CoreV1Api(api), client.AppsV1Api(api), client.DiscoveryV1Api(api)
    apps.create_namespaced_deployment(NS, web_deployment("web", 2, "sugarkube1"))
    core.create_namespaced_service(
        NS,
        {
            "metadata": {"name": "web", "labels": {"tier": "front"}},
            "spec": {"selector": {"app": "web"}, "ports": [{"name": "web", "port": 8080, "targetPort": "http"}]},
        },
    )

    def ready_endpoints() -> client.V1Endpoints | None:
        found = core.read_namespaced_endpoints("web", NS)
        return found if found.subsets and len(found.subsets[0].addresses or []) == 2 else None

    endpoints = eventually(ready_endpoints, "two ready addresses")
    pods = {p.status.pod_ip: p.metadata.name for p in core.list_namespaced_pod(NS, label_selector="app=web").items}
    subset = endpoints.subsets[0]
    assert {a.ip: a.target_ref.name for a in subset.addresses} == pods and len(pods) == 2
    assert [(p.name, p.port, p.protocol) for p in subset.ports] == [("web", 80, "TCP")]
    assert all(a.node_name == "sugarkube1" for a in subset.addresses)
    (eps,) = discovery.list_namespaced_endpoint_slice(NS, label_selector="kubernetes.io/service-name=web").items
    assert eps.metadata.labels["endpointslice.kubernetes.io/managed-by"] == "endpointslice-controller.k8s.io"
    assert eps.metadata.labels["tier"] == "front" and eps.metadata.owner_references[0].kind == "Service"
    assert eps.address_type == "IPv4" and [(p.name, p.port) for p in eps.ports] == [("web", 80)]
    assert sorted(a for e in eps.endpoints for a in e.addresses) == sorted(pods)
    assert all(e.conditions.ready and e.conditions.serving and not e.conditions.terminating for e in eps.endpoints)

    apps.patch_namespaced_deployment_scale("web", NS, {"spec": {"replicas": 1}})
    one = eventually(
        lambda: (
            (e := core.read_namespaced_endpoints("web", NS)).subsets and len(e.subsets[0].addresses or []) == 1 and e
        ),
        "one address after scaling down",
    )
    assert one.subsets[0].addresses[0].ip in pods


def test_a_silent_node_stops_renewing_its_lease_and_its_pods_become_not_ready_endpoints(api: client.ApiClient) -> None:
    core, coordination = client.CoreV1Api(api), client.CoordinationV1Api(api)
    lease = eventually(lambda: coordination.read_namespaced_lease("sugarkube2", "kube-node-lease"), "a node lease")
    assert lease.spec.holder_identity == "sugarkube2" and lease.spec.lease_duration_seconds == 40
    assert lease.metadata.owner_references[0].kind == "Node"
    renewed = eventually(
        lambda: (
            (later := coordination.read_namespaced_lease("sugarkube2", "kube-node-lease")).spec.renew_time
            > lease.spec.renew_time
            and later
        ),
        "a renewal",
    )
    # every 10 s of cluster time at most; at 240x the controllers' tick itself spans several such seconds
    assert (renewed.spec.renew_time - lease.spec.renew_time).total_seconds() >= 10

    client.AppsV1Api(api).create_namespaced_deployment(NS, web_deployment("cache", 1, "sugarkube2"))
    core.create_namespaced_service(
        NS,
        {
            "metadata": {"name": "cache"},
            "spec": {"selector": {"app": "cache"}, "ports": [{"port": 6379, "targetPort": 6379}]},
        },
    )
    eventually(
        lambda: (e := core.read_namespaced_endpoints("cache", NS)).subsets and e.subsets[0].addresses,
        "a ready cache endpoint",
    )
    power(api, "sugarkube2", False)
    try:
        moved = eventually(
            lambda: (
                (e := core.read_namespaced_endpoints("cache", NS)).subsets and e.subsets[0].not_ready_addresses and e
            ),
            "the endpoint moved to notReadyAddresses",
        )
        assert moved.subsets[0].addresses is None
        (eps,) = (
            client.DiscoveryV1Api(api)
            .list_namespaced_endpoint_slice(NS, label_selector="kubernetes.io/service-name=cache")
            .items
        )
        assert [e.conditions.ready for e in eps.endpoints] == [False]
        stale = coordination.read_namespaced_lease("sugarkube2", "kube-node-lease").spec.renew_time
        time.sleep(0.5)  # two minutes of cluster time
        assert coordination.read_namespaced_lease("sugarkube2", "kube-node-lease").spec.renew_time == stale
    finally:
        power(api, "sugarkube2", True)


def test_replication_controller_keeps_its_replicas(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    rc = core.create_namespaced_replication_controller(
        NS,
        {
            "metadata": {"name": "legacy"},
            "spec": {
                "replicas": 2,
                "template": {
                    "metadata": {"labels": {"app": "legacy"}},
                    "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]},
                },
            },
        },
    )
    assert rc.spec.selector == {"app": "legacy"} and rc.metadata.labels == {"app": "legacy"}
    ready = eventually(
        lambda: (r := core.read_namespaced_replication_controller("legacy", NS)).status.ready_replicas == 2 and r,
        "two ready replicas",
    )
    assert ready.status.replicas == 2
    pods = core.list_namespaced_pod(NS, label_selector="app=legacy").items
    assert {p.metadata.owner_references[0].kind for p in pods} == {"ReplicationController"}
    core.delete_namespaced_pod(pods[0].metadata.name, NS, grace_period_seconds=0)
    eventually(
        lambda: (
            len(
                [
                    p
                    for p in core.list_namespaced_pod(NS, label_selector="app=legacy").items
                    if p.metadata.name != pods[0].metadata.name
                ]
            )
            == 2
        ),
        "a replacement pod",
    )


def test_cronjob_creates_jobs_on_schedule_and_records_them(api: client.ApiClient) -> None:
    batch = client.BatchV1Api(api)
    template = {
        "spec": {
            "template": {
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [{"name": "c", "image": "busybox:1.36", "command": ["true"]}],
                }
            }
        }
    }
    with pytest.raises(ApiException) as refused:
        batch.create_namespaced_cron_job(
            NS, {"metadata": {"name": "bad"}, "spec": {"schedule": "61 * * * *", "jobTemplate": template}}
        )
    assert refused.value.status == 422 and "spec.schedule" in refused.value.body
    batch.create_namespaced_cron_job(
        NS,
        {
            "metadata": {"name": "tick"},
            "spec": {"schedule": "* * * * *", "concurrencyPolicy": "Forbid", "jobTemplate": template},
        },
    )
    job = eventually(
        lambda: [j for j in batch.list_namespaced_job(NS).items if j.metadata.name.startswith("tick-")], "a job"
    )[0]
    scheduled = job.metadata.annotations["batch.kubernetes.io/cronjob-scheduled-timestamp"]
    assert int(job.metadata.name.split("-")[1]) * 60 == calendar.timegm(time.strptime(scheduled, "%Y-%m-%dT%H:%M:%SZ"))
    assert job.metadata.owner_references[0].kind == "CronJob"
    cronjob = eventually(
        lambda: (c := batch.read_namespaced_cron_job("tick", NS)).status.last_schedule_time and c, "lastScheduleTime"
    )
    assert cronjob.spec.successful_jobs_history_limit == 3 and cronjob.spec.suspend is False


def test_statefulset_templates_are_recorded_as_controller_revisions(api: client.ApiClient) -> None:
    apps = client.AppsV1Api(api)
    apps.create_namespaced_stateful_set(
        NS,
        {
            "metadata": {"name": "db"},
            "spec": {
                "serviceName": "db",
                "replicas": 1,
                "selector": {"matchLabels": {"app": "db"}},
                "template": {
                    "metadata": {"labels": {"app": "db"}},
                    "spec": {"containers": [{"name": "c", "image": "redis:7"}]},
                },
            },
        },
    )
    first = eventually(
        lambda: apps.list_namespaced_controller_revision(NS, label_selector="app=db").items, "a revision"
    )
    assert [r.revision for r in first] == [1] and first[0].metadata.name.startswith("db-")
    assert first[0].metadata.owner_references[0].kind == "StatefulSet"
    apps.patch_namespaced_stateful_set(
        "db", NS, {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "redis:7.2"}]}}}}
    )
    both = eventually(
        lambda: len(r := apps.list_namespaced_controller_revision(NS, label_selector="app=db").items) == 2 and r,
        "a second revision",
    )
    assert sorted(r.revision for r in both) == [1, 2]


def test_resource_quota_reports_what_the_namespace_uses(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    core.create_namespace({"metadata": {"name": "lab-quota"}})
    core.create_namespaced_resource_quota(
        "lab-quota",
        {
            "metadata": {"name": "budget"},
            "spec": {
                "hard": {
                    "pods": "4",
                    "requests.cpu": "2",
                    "requests.memory": "1Gi",
                    "limits.memory": "2Gi",
                    "configmaps": "5",
                }
            },
        },
    )
    for name in ("a", "b"):
        core.create_namespaced_pod(
            "lab-quota",
            {
                "metadata": {"name": name},
                "spec": {
                    "containers": [
                        {
                            "name": "c",
                            "image": "nginx:1.27",
                            "resources": {
                                "requests": {"cpu": "250m", "memory": "128Mi"},
                                "limits": {"memory": "256Mi"},
                            },
                        }
                    ]
                },
            },
        )
    core.create_namespaced_config_map("lab-quota", {"metadata": {"name": "settings"}, "data": {"k": "v"}})
    quota = eventually(
        lambda: (
            (q := core.read_namespaced_resource_quota("budget", "lab-quota")).status
            and q.status.used
            and q.status.used.get("pods") == "2"
            and q.status.used.get("configmaps") == "2"  # settings, and the namespace's kube-root-ca.crt
            and q
        ),
        "the quota's usage",
    )
    assert quota.status.hard == {
        "pods": "4",
        "requests.cpu": "2",
        "requests.memory": "1Gi",
        "limits.memory": "2Gi",
        "configmaps": "5",
    }
    assert quota.status.used == {
        "pods": "2",
        "requests.cpu": "500m",
        "requests.memory": "256Mi",
        "limits.memory": "512Mi",
        "configmaps": "2",
    }


def test_added_kinds_are_watched_like_any_other(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    listed = core.list_namespaced_secret(NS)
    stream = watch.Watch().stream(
        core.list_namespaced_secret, NS, resource_version=listed.metadata.resource_version, timeout_seconds=10
    )
    core.create_namespaced_secret(NS, {"metadata": {"name": "watched"}, "stringData": {"k": "v"}})
    core.patch_namespaced_secret("watched", NS, {"metadata": {"labels": {"seen": "yes"}}})
    core.delete_namespaced_secret("watched", NS)
    seen = []
    for event in stream:
        if event["object"].metadata.name == "watched":
            seen.append(event["type"])
        if len(seen) == 3:
            break
    assert seen == ["ADDED", "MODIFIED", "DELETED"]


def test_rbac_names_take_colons_and_apiservice_names_their_group(api: client.ApiClient) -> None:
    rbac = client.RbacAuthorizationV1Api(api)
    role = rbac.create_cluster_role(
        {
            "metadata": {"name": "system:lab-reader"},
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}],
        }
    )
    assert role.metadata.name == "system:lab-reader"
    with pytest.raises(ApiException) as refused:
        rbac.create_cluster_role({"metadata": {"name": "a/b"}, "rules": []})
    assert refused.value.status == 422 and "may not contain '/'" in refused.value.body
    registration = client.ApiregistrationV1Api(api)
    assert registration.read_api_service("v1.").spec.group_priority_minimum == 18000
    with pytest.raises(ApiException) as bad:
        registration.create_api_service(
            {
                "metadata": {"name": "wardle"},
                "spec": {
                    "group": "wardle.example.com",
                    "version": "v1",
                    "groupPriorityMinimum": 1000,
                    "versionPriority": 15,
                },
            }
        )
    assert bad.value.status == 422 and "<version>.<group>" in json.loads(bad.value.body)["message"]


def test_stateful_pods_publish_their_hostnames_behind_a_headless_service(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    client.AppsV1Api(api).create_namespaced_stateful_set(
        NS,
        {
            "metadata": {"name": "kv"},
            "spec": {
                "serviceName": "kv",
                "replicas": 2,
                "selector": {"matchLabels": {"app": "kv"}},
                "template": {
                    "metadata": {"labels": {"app": "kv"}},
                    "spec": {"containers": [{"name": "c", "image": "redis:7"}]},
                },
            },
        },
    )
    core.create_namespaced_service(
        NS,
        {
            "metadata": {"name": "kv"},
            "spec": {"clusterIP": "None", "selector": {"app": "kv"}, "ports": [{"port": 6379}]},
        },
    )
    endpoints = eventually(
        lambda: (
            (e := core.read_namespaced_endpoints("kv", NS)).subsets and len(e.subsets[0].addresses or []) == 2 and e
        ),
        "two kv endpoints",
    )
    assert sorted((a.hostname, a.target_ref.name) for a in endpoints.subsets[0].addresses) == [
        ("kv-0", "kv-0"),
        ("kv-1", "kv-1"),
    ]


def test_tables_mark_finished_pods_completed(api: client.ApiClient) -> None:
    method, url, headers, body, _ = api.param_serialize(
        "GET",
        "/api/v1/namespaces/kube-system/pods",
        auth_settings=["BearerToken"],
        header_params={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"},
    )
    table = json.loads(api.call_api(method, url, headers, body).read())
    completed = [r for r in table["rows"] if r["cells"][2] == "Completed"]
    assert len(completed) == 2 and all(
        r["conditions"]
        == [
            {
                "type": "Completed",
                "status": "True",
                "reason": "Succeeded",
                "message": "The pod has completed successfully.",
            }
        ]
        for r in completed
    )
    assert all("conditions" not in r for r in table["rows"] if r["cells"][2] == "Running")


def test_scale_subresource_serves_autoscaling_v1_scale(api: client.ApiClient) -> None:
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    core.create_namespaced_replication_controller(
        NS,
        {
            "metadata": {"name": "scaled"},
            "spec": {
                "replicas": 1,
                "template": {
                    "metadata": {"labels": {"app": "scaled"}},
                    "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]},
                },
            },
        },
    )
    eventually(
        lambda: core.read_namespaced_replication_controller("scaled", NS).status.ready_replicas == 1, "a ready replica"
    )  # then the object stands still, and a read-modify-write goes through
    scale = core.read_namespaced_replication_controller_scale("scaled", NS)
    assert (scale.kind, scale.api_version, scale.spec.replicas) == ("Scale", "autoscaling/v1", 1)
    assert scale.status.selector == "app=scaled"
    scale.spec.replicas = 3
    assert core.replace_namespaced_replication_controller_scale("scaled", NS, scale).spec.replicas == 3
    eventually(
        lambda: core.read_namespaced_replication_controller_scale("scaled", NS).status.replicas == 3, "three replicas"
    )
    with pytest.raises(ApiException) as stale:
        core.replace_namespaced_replication_controller_scale("scaled", NS, scale)  # its resourceVersion is old now
    assert stale.value.status == 409
    with pytest.raises(ApiException) as negative:
        core.patch_namespaced_replication_controller_scale("scaled", NS, {"spec": {"replicas": -1}})
    assert negative.value.status == 422 and "must be greater than or equal to 0" in negative.value.body
    apps.create_namespaced_deployment(NS, web_deployment("scaled-web", 1, "sugarkube1"))
    patched = apps.patch_namespaced_deployment_scale("scaled-web", NS, {"spec": {"replicas": 0}})
    assert patched.kind == "Scale" and apps.read_namespaced_deployment("scaled-web", NS).spec.replicas == 0


def test_generation_counts_spec_changes_of_workloads_only_and_defaults_survive_a_patch(api: client.ApiClient) -> None:
    apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
    labels = {"app": "gen"}
    template = {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "c", "image": "busybox:1.36"}]}}
    created = apps.create_namespaced_deployment(
        NS, {"metadata": {"name": "gen"}, "spec": {"selector": {"matchLabels": labels}, "template": template}}
    )
    assert created.metadata.generation == 1 and created.spec.replicas == 1
    relabelled = apps.patch_namespaced_deployment("gen", NS, {"metadata": {"labels": {"tier": "lab"}}})
    assert relabelled.metadata.generation == 1
    scaled = apps.patch_namespaced_deployment("gen", NS, {"spec": {"replicas": 3}})
    assert scaled.metadata.generation == 2
    # A merge patch that nulls a defaulted field gets the default back, as the API server defaults every decode.
    unset = apps.patch_namespaced_deployment("gen", NS, {"spec": {"replicas": None}})
    assert unset.spec.replicas == 1 and unset.metadata.generation == 3
    config_map = core.create_namespaced_config_map(NS, {"metadata": {"name": "gen"}, "data": {"a": "1"}})
    changed = core.patch_namespaced_config_map("gen", NS, {"data": {"a": "2"}})
    assert config_map.metadata.generation is None and changed.metadata.generation is None
    lease = client.CoordinationV1Api(api).list_namespaced_lease("kube-node-lease").items[0]
    assert lease.metadata.generation is None
