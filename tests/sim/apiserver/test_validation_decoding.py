"""Decoding and validation without a server: quantities, Go's decoding errors, the unstructured
converter's, and every object a fresh simulated cluster holds passing both."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from sugarlab.sim.apiserver.admission.admission import go_print
from sugarlab.sim.apiserver.admission.validation import validate
from sugarlab.sim.apiserver.openapi import openapi
from sugarlab.sim.apiserver.wire.decoding import decode, parse_json
from sugarlab.sim.machinery.quantity import BAD_SUFFIX, FORMAT_WRONG, quantity_error
from sugarlab.sim.machinery.resources import BY_KIND
from sugarlab.sim.world.seed import seed_cluster
from sugarlab.sim.world.spec import ClusterSpec

POD = "io.k8s.api.core.v1.Pod"


@pytest.mark.parametrize(
    "text", ["0", "1", "250m", "1.5", ".5", "2Gi", "512Mi", "1e3", "1E-3", "+4", "-1", "100k", "1.Gi", "7Ei", "3n"]
)
def test_quantities_kube_apiserver_accepts(text: str) -> None:
    assert quantity_error(text) is None


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("lots", FORMAT_WRONG),
        ("", FORMAT_WRONG),
        ("1gb", FORMAT_WRONG),
        ("2 Gi", FORMAT_WRONG),
        ("1.2.3", FORMAT_WRONG),
        ("1Gi1", BAD_SUFFIX),
        ("1e", BAD_SUFFIX),
        ("1Gb", FORMAT_WRONG),
        ("5KiB", FORMAT_WRONG),
        ("1iM", BAD_SUFFIX),
    ],
)
def test_quantities_it_refuses_and_why(text: str, error: str) -> None:
    assert quantity_error(text) == error


def _pod(**spec: object) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}


@pytest.mark.parametrize(
    ("spec", "error"),
    [
        (
            {"containers": [{"name": "a", "image": "i", "ports": [{"containerPort": 80.5}]}]},
            "json: cannot unmarshal number 80.5 into Go struct field ContainerPort.spec.containers.ports.containerPort "
            "of type int32",
        ),
        (
            {"containers": [{"name": "a", "image": "i", "ports": [{"containerPort": 2**31}]}]},
            "json: cannot unmarshal number 2147483648 into Go struct field ContainerPort.spec.containers.ports."
            "containerPort of type int32",
        ),
        (
            {"containers": [], "nodeSelector": {"disk": True}},
            "json: cannot unmarshal bool into Go struct field PodSpec.spec.nodeSelector of type string",
        ),
        (
            {"containers": [{"name": "a", "image": "i", "args": "--cpu 2"}]},
            "json: cannot unmarshal string into Go struct field Container.spec.containers.args of type []string",
        ),
        (
            {"containers": [{"name": "a", "image": "i", "livenessProbe": {"httpGet": {"port": True}}}]},
            "json: cannot unmarshal bool into Go value of type int32",
        ),
        (
            {"containers": [{"name": "a", "image": "i"}], "hostNetwork": "true"},
            "json: cannot unmarshal string into Go struct field PodSpec.spec.hostNetwork of type bool",
        ),
    ],
)
def test_go_decoding_errors_name_the_struct_path_and_type(spec: dict[str, object], error: str) -> None:
    assert decode(POD, _pod(**spec)).error == error


def test_unknown_fields_are_named_with_list_indices_and_dropped() -> None:
    decoded = decode(
        POD, _pod(containers=[{"name": "a", "image": "i"}, {"name": "b", "image": "i", "imge": "x"}], nodeSelectr={})
    )
    assert decoded.error == ""
    assert decoded.strict == ['unknown field "spec.containers[1].imge"', 'unknown field "spec.nodeSelectr"']
    assert decoded.obj["spec"] == {"containers": [{"name": "a", "image": "i"}, {"name": "b", "image": "i"}]}


def test_duplicate_keys_are_found_and_the_last_wins() -> None:
    body = parse_json(b'{"metadata": {"name": "a", "labels": {}, "name": "b"}, "kind": "Pod", "kind": "Pod"}')
    decoded = decode(POD, body)
    assert decoded.strict == ['duplicate field "kind"', 'duplicate field "metadata.name"']
    assert decoded.obj["metadata"]["name"] == "b"


@pytest.mark.parametrize(
    ("spec", "error"),
    [
        ({"unschedulable": "yes"}, "unrecognized type: bool"),
        ({"podCIDRs": "10.42.0.0/24"}, "cannot restore slice from string"),
        ({"taints": [{"key": "k", "effect": 1}]}, "cannot convert int64 to string"),
        ({"taints": ["k=v:NoSchedule"]}, "cannot restore struct from: string"),
    ],
)
def test_strategic_merge_results_fail_as_the_unstructured_converter_does(spec: dict[str, object], error: str) -> None:
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n"}, "spec": spec}
    assert decode("io.k8s.api.core.v1.Node", node, unstructured=True).error == error


def test_go_print_renders_a_patch_as_fmt_does() -> None:
    patch = {"spec": {"unschedulable": "yes", "taints": [{"key": "k", "value": None}], "n": 2.0, "b": True}}
    assert go_print(patch) == "map[spec:map[b:true n:2 taints:[map[key:k value:<nil>]] unschedulable:yes]]"


def test_every_object_of_a_fresh_cluster_decodes_and_validates_cleanly() -> None:
    seeded = seed_cluster(ClusterSpec(workers=2), datetime(2026, 1, 1, tzinfo=UTC))
    kinds = set()
    for obj in seeded.objects:
        rt = BY_KIND.get(obj["kind"])
        if rt is None:  # a custom resource (the traefik HelmCharts): its CRD's schema is not checked here
            continue
        definition = next(
            name
            for name, schema in openapi.swagger()["definitions"].items()
            if {"group": rt.group, "version": rt.version, "kind": rt.kind}
            in schema.get("x-kubernetes-group-version-kind", [])
        )
        decoded = decode(definition, json.loads(json.dumps(obj)))
        assert (decoded.error, decoded.strict) == ("", []), obj["metadata"]["name"]
        assert decoded.obj == obj
        validate(rt, obj)
        kinds.add(obj["kind"])
    assert {"Node", "Pod", "Deployment", "Namespace", "StorageClass"} <= kinds


def test_v3_documents_write_references_and_one_of_types_as_kube_openapi_does() -> None:
    doc = json.loads(openapi.v3_bytes("policy", "v1"))
    schemas = doc["components"]["schemas"]
    assert schemas["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["oneOf"] == [
        {"type": "integer"},
        {"type": "string"},
    ]
    min_available = schemas["io.k8s.api.policy.v1.PodDisruptionBudgetSpec"]["properties"]["minAvailable"]
    assert min_available["allOf"] == [{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString"}]
    assert "#/definitions/" not in json.dumps(doc)
    assert all(path.startswith("/apis/policy/v1/") for path in doc["paths"])


def test_nulls_leave_zero_values_as_go_writes_them() -> None:
    decoded = decode(
        POD,
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": None,
            "status": {"conditions": [{"type": "Ready", "status": "True", "lastProbeTime": None}]},
            "spec": {
                "containers": [
                    None,
                    {"name": "a", "image": "i", "ports": None, "resources": {"requests": {"cpu": None}}},
                ],
                "nodeSelector": {"disk": None},
            },
        },
    )
    assert decoded.error == "" and decoded.strict == []
    assert decoded.obj["metadata"] == {}
    assert decoded.obj["status"]["conditions"][0]["lastProbeTime"] is None  # a zero metav1.Time is written null
    assert decoded.obj["spec"]["containers"] == [
        {},
        {"name": "a", "image": "i", "resources": {"requests": {"cpu": "0"}}},
    ]
    assert decoded.obj["spec"]["nodeSelector"] == {"disk": ""}
    assert decode(POD, {"apiVersion": "v1", "kind": "Pod"}).obj["spec"] == {}
