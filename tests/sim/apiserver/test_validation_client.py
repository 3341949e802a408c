"""Malformed objects sent through the official Python client, as a new user's typo makes them: the
simulator answers with kube-apiserver's status code and message (v1.33), and stores nothing."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config

from tests.sim.simcluster import start

QUANTITY_RE = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"
DNS1123_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS1123_SUBDOMAIN = DNS1123_LABEL + "(\\." + DNS1123_LABEL + ")*"


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, stop_later: Callable[[Path], None]) -> Iterator[client.ApiClient]:
    workspace = tmp_path_factory.mktemp("validation")
    try:
        yield config.new_client_from_config(str(start(workspace, workers=0)))
    finally:
        stop_later(workspace)


def pod(name: str = "web", **spec: Any) -> dict[str, Any]:
    spec.setdefault("containers", [{"name": "app", "image": "nginx:1.27"}])
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


def send(
    api: client.ApiClient, method: str, path: str, body: Any, query: list[tuple[str, str]] | None = None
) -> tuple[int, dict[str, str], dict[str, Any]]:
    """A request with a body exactly as a user typed it, sent through the client's connection pool
    with its server, TLS and credentials (its typed methods check bodies against their models
    before sending, and its JSON calls re-encode the body)."""
    text = body if isinstance(body, str) else json.dumps(body)
    method, url, headers, _, _ = api.param_serialize(
        method,
        path,
        query_params=query or [],
        header_params={"Content-Type": "application/json", "Accept": "application/json"},
        auth_settings=["BearerToken"],
    )
    answer = api.rest_client.pool_manager.request(method, url, body=text.encode(), headers=headers)
    return answer.status, dict(answer.headers), json.loads(answer.data)


PODS = "/api/v1/namespaces/default/pods"
CONFIGMAPS = "/api/v1/namespaces/default/configmaps"


def refused(
    api: client.ApiClient, path: str, body: Any, query: list[tuple[str, str]] | None = None
) -> tuple[int, dict[str, Any]]:
    status, _, answer = send(api, "POST", path, body, query)
    assert answer["kind"] == "Status" and answer["status"] == "Failure"
    return status, answer


def test_containers_that_are_not_a_list_are_a_400_decoding_error(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    status, body = refused(api, PODS, pod(containers={"name": "app", "image": "nginx:1.27"}))
    assert status == 400 and body["reason"] == "BadRequest"
    assert body["message"] == (
        'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal object into '
        "Go struct field PodSpec.spec.containers of type []v1.Container"
    )
    assert not [p for p in core.list_namespaced_pod("default").items if p.metadata.name == "web"]


def test_a_cpu_request_of_lots_is_the_quantity_format_error(api: client.ApiClient) -> None:
    status, body = refused(
        api, PODS, pod(containers=[{"name": "app", "image": "nginx:1.27", "resources": {"requests": {"cpu": "lots"}}}])
    )
    assert status == 400
    assert body["message"] == (
        'Pod in version "v1" cannot be handled as a Pod: quantities must match the regular '
        f"expression '{QUANTITY_RE}'"
    )


def test_a_memory_limit_with_an_unknown_suffix_is_the_suffix_error(api: client.ApiClient) -> None:
    status, body = refused(
        api, PODS, pod(containers=[{"name": "app", "image": "nginx:1.27", "resources": {"limits": {"memory": "1e"}}}])
    )
    assert (status, body["message"]) == (
        400,
        'Pod in version "v1" cannot be handled as a Pod: unable to parse quantity\'s suffix',
    )


def test_unschedulable_yes_on_a_node_is_a_type_error(api: client.ApiClient) -> None:
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "pi-typo"}, "spec": {"unschedulable": "yes"}}
    status, body = refused(api, "/api/v1/nodes", node)
    assert status == 400
    assert body["message"] == (
        'Node in version "v1" cannot be handled as a Node: json: cannot unmarshal string into '
        "Go struct field NodeSpec.spec.unschedulable of type bool"
    )


def test_a_port_given_as_text_names_the_nested_struct(api: client.ApiClient) -> None:
    status, body = refused(
        api, PODS, pod(containers=[{"name": "app", "image": "nginx:1.27", "ports": [{"containerPort": "80"}]}])
    )
    assert status == 400
    assert body["message"] == (
        'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal string into '
        "Go struct field ContainerPort.spec.containers.ports.containerPort of type int32"
    )


def test_a_configmap_over_one_mebibyte_is_too_long(api: client.ApiClient) -> None:
    big: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "big"},
        "data": {"a.bin": "x" * (1024 * 1024), "b": "y"},
    }
    core = client.CoreV1Api(api)
    status, body = refused(api, CONFIGMAPS, big)
    assert status == 422 and body["reason"] == "Invalid"
    assert body["message"] == 'ConfigMap "big" is invalid: []: Too long: may not be more than 1048576 bytes'
    assert body["details"]["causes"] == [
        {"reason": "FieldValueTooLong", "field": "[]", "message": "Too long: may not be more than 1048576 bytes"}
    ]
    del big["data"]["b"]
    assert core.create_namespaced_config_map("default", big).metadata.name == "big"  # exactly 1 MiB is allowed


def test_a_pod_without_containers_and_with_a_bad_name_lists_every_cause(api: client.ApiClient) -> None:
    status, body = refused(api, PODS, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "My_Pod"}, "spec": {}})
    subdomain = (
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
        "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
        f"validation is '{DNS1123_SUBDOMAIN}')"
    )
    assert status == 422
    assert body["message"] == (
        f'Pod "My_Pod" is invalid: [metadata.name: Invalid value: "My_Pod": {subdomain}, '
        "spec.containers: Required value]"
    )
    assert [(c["reason"], c["field"]) for c in body["details"]["causes"]] == [
        ("FieldValueInvalid", "metadata.name"),
        ("FieldValueRequired", "spec.containers"),
    ]
    assert list(body["details"]) == ["name", "kind", "causes"]  # StatusDetails' order; no empty group
    assert body["details"]["kind"] == "Pod" and body["details"]["name"] == "My_Pod"


def test_a_container_without_an_image_or_with_a_bad_port(api: client.ApiClient) -> None:
    status, body = refused(api, PODS, pod(containers=[{"name": "app", "ports": [{"containerPort": 70000}]}]))
    assert (status, body["message"]) == (
        422,
        'Pod "web" is invalid: [spec.containers[0].image: Required value, '
        "spec.containers[0].ports[0].containerPort: Invalid value: 70000: "
        "must be between 1 and 65535, inclusive]",
    )


def test_a_namespace_name_with_a_dot(api: client.ApiClient) -> None:
    status, body = refused(
        api, "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "lab.scale"}}
    )
    assert (status, body["message"]) == (
        422,
        'Namespace "lab.scale" is invalid: metadata.name: Invalid value: "lab.scale": must not contain dots',
    )


def test_a_service_name_and_type_as_typed(api: client.ApiClient) -> None:
    status, body = refused(
        api,
        "/api/v1/namespaces/default/services",
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "9000-detector"},
            "spec": {"type": "Loadbalancer", "selector": {"app": "x"}, "ports": [{"port": 9000}]},
        },
    )
    dns1035 = (
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
        "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', "
        "regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
    )
    assert status == 422
    assert body["message"] == (
        f'Service "9000-detector" is invalid: [metadata.name: Invalid value: "9000-detector": '
        f'{dns1035}, spec.type: Unsupported value: "Loadbalancer": supported values: '
        '"ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]'
    )


def test_a_label_value_with_a_space_and_a_configmap_key_with_a_slash(api: client.ApiClient) -> None:
    status, body = refused(
        api,
        CONFIGMAPS,
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "cfg", "labels": {"app": "edge ai"}},
            "data": {"conf/app.ini": "x"},
        },
    )
    assert status == 422
    assert body["message"] == (
        'ConfigMap "cfg" is invalid: [metadata.labels: Invalid value: "edge ai": a valid label must be an empty '
        "string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
        "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is "
        "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?'), data[conf/app.ini]: Invalid value: \"conf/app.ini\": "
        "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or "
        "'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')]"
    )


def test_a_claim_without_access_modes_or_size(api: client.ApiClient) -> None:
    status, body = refused(
        api,
        "/api/v1/namespaces/default/persistentvolumeclaims",
        {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"}, "spec": {}},
    )
    assert (status, body["message"]) == (
        422,
        'PersistentVolumeClaim "data" is invalid: [spec.accessModes: Required '
        "value: at least 1 access mode is required, spec.resources[storage]: "
        "Required value]",
    )


def test_secret_data_that_is_not_base64(api: client.ApiClient) -> None:
    if "secrets" not in {r.name for r in client.CoreV1Api(api).get_api_resources().resources}:
        pytest.skip("this simulator does not serve secrets")
    status, body = refused(
        api,
        "/api/v1/namespaces/default/secrets",
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "token"}, "data": {"token": "s3cr3t!"}},
    )
    assert (status, body["message"]) == (
        400,
        'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 6',
    )


def test_a_pod_template_in_a_deployment_is_validated_too(api: client.ApiClient) -> None:
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "vehicle-detector"},
        "spec": {
            "selector": {"matchLabels": {"app": "v"}},
            "template": {
                "metadata": {"labels": {"app": "v"}},
                "spec": {"containers": [{"name": "Inference", "image": "python:3.11"}]},
            },
        },
    }
    status, body = refused(api, "/apis/apps/v1/namespaces/default/deployments", deployment)
    assert status == 422
    assert body["message"].startswith(
        'Deployment.apps "vehicle-detector" is invalid: '
        'spec.template.spec.containers[0].name: Invalid value: "Inference": '
        "a lowercase RFC 1123 label must consist of"
    )
    assert body["details"]["group"] == "apps"


def test_a_budget_of_some_pods_and_a_negative_replica_count(api: client.ApiClient) -> None:
    status, body = refused(
        api,
        "/apis/policy/v1/namespaces/default/poddisruptionbudgets",
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": "core"},
            "spec": {"minAvailable": "half", "selector": {"matchLabels": {"app": "x"}}},
        },
    )
    assert (status, body["message"]) == (
        422,
        'PodDisruptionBudget.policy "core" is invalid: spec.minAvailable: Invalid value: '
        'intstr.IntOrString{Type:1, IntVal:0, StrVal:"half"}: a valid percent string must be a numeric string '
        "followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
    )
    status, body = refused(
        api,
        "/apis/apps/v1/namespaces/default/statefulsets",
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": "nfs-sqlite"},
            "spec": {
                "replicas": -1,
                "serviceName": "s",
                "selector": {"matchLabels": {"app": "s"}},
                "template": {
                    "metadata": {"labels": {"app": "s"}},
                    "spec": {"containers": [{"name": "c", "image": "busybox:1.36"}]},
                },
            },
        },
    )
    assert (status, body["message"]) == (
        422,
        'StatefulSet.apps "nfs-sqlite" is invalid: spec.replicas: Invalid '
        "value: -1: must be greater than or equal to 0",
    )


def test_an_unknown_fieldvalidation_value_is_refused(api: client.ApiClient) -> None:
    status, body = refused(api, CONFIGMAPS, {"metadata": {"name": "fv"}}, [("fieldValidation", "strict")])
    assert (status, body["message"]) == (
        422,
        'CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported '
        'value: "strict": supported values: "", "Ignore", "Strict", "Warn"',
    )


@pytest.mark.parametrize(("directive", "warned"), [("", True), ("Warn", True), ("Ignore", False)])
def test_unknown_and_duplicate_fields_are_warned_about_or_ignored_and_dropped(
    api: client.ApiClient, directive: str, warned: bool
) -> None:
    name = f"fv-{directive.lower() or 'default'}"
    raw = (
        '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup","name":"' + name + '"},"data":{"a":"1"},'
        '"dta":{"b":"2"}}'
    )
    status, headers, stored = send(api, "POST", CONFIGMAPS, raw, [("fieldValidation", directive)] if directive else [])
    assert status == 201
    assert stored["metadata"]["name"] == name and "dta" not in stored  # the last duplicate wins; unknown is dropped
    expected = '299 - "duplicate field \\"metadata.name\\"", 299 - "unknown field \\"dta\\""'
    assert headers.get("Warning", headers.get("warning")) == (expected if warned else None)


def test_strict_field_validation_is_a_400_naming_every_field(api: client.ApiClient) -> None:
    raw = '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"fv-strict","name":"x"},"dta":{},"datta":{}}'
    status, _, answer = send(api, "POST", CONFIGMAPS, raw, [("fieldValidation", "Strict")])
    assert status == 400
    assert answer["message"] == (
        'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: duplicate field '
        '"metadata.name", unknown field "dta", unknown field "datta"'
    )


def _paths(value: Any, prefix: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    if prefix:
        yield prefix
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, item in items:
        if prefix or key not in ("apiVersion", "kind"):
            yield from _paths(item, (*prefix, key))


def _with(obj: dict[str, Any], path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    changed: dict[str, Any] = json.loads(json.dumps(obj))
    target: Any = changed
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return changed


VALID = {
    PODS: pod(
        "fuzz",
        containers=[
            {
                "name": "app",
                "image": "nginx:1.27",
                "ports": [{"containerPort": 80}],
                "resources": {"requests": {"cpu": "100m"}},
            }
        ],
    ),
    "/apis/apps/v1/namespaces/default/deployments": {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "fuzz", "labels": {"app": "f"}},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "f"}},
            "template": {
                "metadata": {"labels": {"app": "f"}},
                "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]},
            },
        },
    },
    "/api/v1/nodes": {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": "fuzz"},
        "spec": {"unschedulable": False, "taints": [{"key": "k", "effect": "NoSchedule"}]},
    },
}
WRONG_TYPES: tuple[object, ...] = (None, "x", 7, 1.5, True, [], {})  # null, text, a number, a bool, a list, a map


@pytest.mark.parametrize("path", list(VALID))
def test_no_value_of_the_wrong_type_anywhere_reaches_a_500(api: client.ApiClient, path: str) -> None:
    """Every field of a valid object replaced in turn by null, text, a number, a bool, a list and a map:
    each request is created or refused with a 400 or 422, and what is created is well formed."""
    answers: list[int] = []
    for where in _paths(VALID[path]):
        for value in WRONG_TYPES:
            status, _, body = send(api, "POST", path, _with(VALID[path], where, value))
            answers.append(status)
            assert status in (201, 400, 422), (where, value, body)
            if status == 201:
                name = body["metadata"]["name"]
                deleted, _, _ = send(api, "DELETE", f"{path}/{name}", {"gracePeriodSeconds": 0})
                assert deleted == 200
            else:
                assert body["kind"] == "Status" and body["code"] == status
    assert {201, 400, 422} <= set(answers)
