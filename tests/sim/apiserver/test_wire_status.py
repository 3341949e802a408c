"""Error bodies byte for byte as kube-apiserver writes them, and requests refused as it refuses them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import httpx
import pytest
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from sugarlab.sim.apiserver.wire.bodies import go_syntax_error
from tests.sim.simcluster import KUBECTL, needs_kubectl

SUBDOMAIN = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and "
    "must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)


def status(message: str, reason: str, code: int, details: str = "") -> bytes:
    """A Status as kube-apiserver's JSON serializer writes it (its field order, compact, one newline)."""
    middle = f',"details":{details}' if details else ""
    return (
        f'{{"kind":"Status","apiVersion":"v1","metadata":{{}},"status":"Failure","message":{message},'
        f'"reason":"{reason}"{middle},"code":{code}}}\n'
    ).encode()


def test_not_found_in_the_core_group_has_no_empty_group(http: httpx.Client) -> None:
    answer = http.get("/api/v1/namespaces/default/pods/ghost")
    assert (answer.status_code, answer.content) == (
        404,
        status('"pods \\"ghost\\" not found"', "NotFound", 404, '{"name":"ghost","kind":"pods"}'),
    )


def test_not_found_in_a_named_group(http: httpx.Client) -> None:
    answer = http.get("/apis/apps/v1/namespaces/default/deployments/ghost")
    assert (answer.status_code, answer.content) == (
        404,
        status(
            '"deployments.apps \\"ghost\\" not found"',
            "NotFound",
            404,
            '{"name":"ghost","group":"apps","kind":"deployments"}',
        ),
    )


def test_already_exists(http: httpx.Client) -> None:
    answer = http.post(
        "/api/v1/namespaces", json={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}}
    )
    assert (answer.status_code, answer.content) == (
        409,
        status(
            '"namespaces \\"default\\" already exists"', "AlreadyExists", 409, '{"name":"default","kind":"namespaces"}'
        ),
    )


def test_conflict_on_a_stale_resource_version(http: httpx.Client) -> None:
    created = http.post("/api/v1/namespaces/default/configmaps", json={"metadata": {"name": "settings"}})
    assert created.status_code == 201
    stale = {"metadata": {"name": "settings", "resourceVersion": "1"}, "data": {"a": "b"}}
    answer = http.put("/api/v1/namespaces/default/configmaps/settings", json=stale)
    assert (answer.status_code, answer.content) == (
        409,
        status(
            '"Operation cannot be fulfilled on configmaps \\"settings\\": the object has been modified; please apply '
            'your changes to the latest version and try again"',
            "Conflict",
            409,
            '{"name":"settings","kind":"configmaps"}',
        ),
    )


def test_invalid_name(http: httpx.Client) -> None:
    answer = http.post("/api/v1/namespaces/default/configmaps", json={"metadata": {"name": "Bad_Name"}})
    cause = f'Invalid value: \\"Bad_Name\\": {SUBDOMAIN}'
    assert (answer.status_code, answer.content) == (
        422,
        status(
            f'"ConfigMap \\"Bad_Name\\" is invalid: metadata.name: {cause}"',
            "Invalid",
            422,
            f'{{"name":"Bad_Name","kind":"ConfigMap","causes":[{{"reason":"FieldValueInvalid","message":"{cause}",'
            f'"field":"metadata.name"}}]}}',
        ),
    )


def test_invalid_in_a_named_group_is_qualified(http: httpx.Client) -> None:
    job = {
        "metadata": {},
        "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}}},
    }
    answer = http.post("/apis/batch/v1/namespaces/default/jobs", json=job)
    assert (answer.status_code, answer.content) == (
        422,
        status(
            '"Job.batch \\"\\" is invalid: metadata.name: Required value: name or generateName is required"',
            "Invalid",
            422,
            '{"group":"batch","kind":"Job","causes":[{"reason":"FieldValueRequired",'
            '"message":"Required value: name or generateName is required","field":"metadata.name"}]}',
        ),
    )


@pytest.mark.parametrize(
    "body, message",
    [
        (b"{bad", "invalid character 'b' looking for beginning of object key string ({bad)"),
        (
            b'{"metadata": {"name": "lab-scale"},}',  # the summary keeps the first 30 bytes
            'invalid character \'}\' looking for beginning of object key string ({\\"metadata\\": {\\"name\\": \\"lab-sca ...)',
        ),
        (b"[1 2]", "invalid character '2' after array element (5b3120325d)"),
        (b"", "unexpected end of JSON input (\\u003cempty\\u003e)"),
    ],
)
def test_a_body_that_is_not_json_gets_the_decoding_message(http: httpx.Client, body: bytes, message: str) -> None:
    answer = http.post("/api/v1/namespaces", content=body, headers={"Content-Type": "application/json"})
    assert (answer.status_code, answer.content) == (
        400,
        status(
            f"\"the object provided is unrecognized (must be of type Namespace): couldn't get version/kind; json parse "
            f'error: {message}"',
            "BadRequest",
            400,
        ),
    )


@pytest.mark.parametrize(
    "text, message",
    [
        ('{"a" 1}', "invalid character '1' after object key"),
        ('{"a": 1 "b": 2}', "invalid character '\"' after object key:value pair"),
        ('{"a": [1, 2 3]}', "invalid character '3' after array element"),
        ('{"a": 1} x', "invalid character 'x' after top-level value"),
        ('{"a": "\\q"}', "invalid character 'q' in string escape code"),
        ('{"a": "x\ny"}', "invalid character '\\n' in string literal"),
        ('{"a": ', "unexpected end of JSON input"),
        ('{"a": "open', "unexpected end of JSON input"),
    ],
)
def test_json_syntax_errors_read_as_go_words_them(text: str, message: str) -> None:
    with pytest.raises(json.JSONDecodeError) as error:
        json.loads(text)
    assert go_syntax_error(error.value) == message


def test_a_body_over_3_mib_gets_413(http: httpx.Client) -> None:
    big = {"metadata": {"name": "big"}, "data": {"blob": "x" * (3 * 1024 * 1024)}}
    answer = http.post("/api/v1/namespaces/default/configmaps", json=big)
    assert (answer.status_code, answer.content) == (
        413,
        status('"Request entity too large: limit is 3145728"', "RequestEntityTooLarge", 413),
    )
    assert http.get("/api/v1/namespaces/default/configmaps/big").status_code == 404


@pytest.mark.parametrize("namespace", ["default", "kube-system", "kube-public"])
def test_namespace_lifecycle_protects_the_immortal_namespaces(http: httpx.Client, namespace: str) -> None:
    answer = http.delete(f"/api/v1/namespaces/{namespace}")
    assert (answer.status_code, answer.content) == (
        403,
        status(
            f'"namespaces \\"{namespace}\\" is forbidden: this namespace may not be deleted"',
            "Forbidden",
            403,
            f'{{"name":"{namespace}","kind":"namespaces"}}',
        ),
    )
    assert http.get(f"/api/v1/namespaces/{namespace}").json()["status"] == {"phase": "Active"}


@needs_kubectl
def test_kubectl_reports_the_refusal(kubeconfig: Path) -> None:
    shown = subprocess.run(
        [str(KUBECTL), "--kubeconfig", str(kubeconfig), "delete", "namespace", "kube-system"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert shown.returncode == 1
    assert shown.stderr.strip() == (
        'Error from server (Forbidden): namespaces "kube-system" is forbidden: this namespace may not be deleted'
    )


def test_official_client_reads_the_status(kubeconfig: Path) -> None:
    core = client.CoreV1Api(config.new_client_from_config(config_file=str(kubeconfig)))
    with pytest.raises(ApiException) as refused:
        core.delete_namespace("kube-public")
    assert refused.value.status == 403
    assert json.loads(refused.value.body)["details"] == {"name": "kube-public", "kind": "namespaces"}


def test_go_escapes_html_characters_in_messages(http: httpx.Client) -> None:
    answer = http.get("/api/v1/namespaces/default/configmaps/a&b")
    assert b'configmaps \\"a\\u0026b\\" not found' in answer.content


@pytest.mark.parametrize(
    "path, body, message",
    [
        (
            "/api/v1/namespaces/default/pods",
            {"metadata": {"name": "p"}, "spec": {"containers": "busybox"}},
            (
                'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal string into Go struct field '
                "PodSpec.spec.containers of type []v1.Container"
            ),
        ),
        (
            "/api/v1/namespaces/default/pods",
            {"metadata": {"name": "p"}, "spec": {"hostNetwork": "yes", "containers": []}},
            (
                'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal string into Go struct field '
                "PodSpec.spec.hostNetwork of type bool"
            ),
        ),
        (
            "/api/v1/namespaces/default/pods",
            {
                "metadata": {"name": "p"},
                "spec": {"containers": [{"name": "c", "image": "busybox", "ports": [{"containerPort": 80.5}]}]},
            },
            (
                'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal number 80.5 into Go struct field '
                "ContainerPort.spec.containers.ports.containerPort of type int32"
            ),
        ),
        (
            "/api/v1/namespaces/default/configmaps",
            {"metadata": {"name": "c", "labels": {"tier": 1}}},
            (
                'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct '
                "field ObjectMeta.metadata.labels of type string"
            ),
        ),
        (
            "/api/v1/namespaces/default/configmaps",
            ["not", "an", "object"],
            (
                "the object provided is unrecognized (must be of type ConfigMap): couldn't get version/kind; json parse "
                'error: json: cannot unmarshal array into Go value of type struct { APIVersion string "json:\\"apiVersion,'
                'omitempty\\""; Kind string "json:\\"kind,omitempty\\"" } (5b226e6f74222c22616e222c226f626a656374225d)'
            ),
        ),
    ],
)
def test_a_value_of_the_wrong_type_gets_the_go_decoding_message(
    http: httpx.Client, path: str, body: object, message: str
) -> None:
    answer = http.post(path, json=body)
    assert (answer.status_code, answer.json()["reason"], answer.json()["message"]) == (400, "BadRequest", message)


def test_a_patch_that_breaks_the_type_gets_422(http: httpx.Client) -> None:
    answer = http.patch(
        "/api/v1/nodes/sugarkube1",
        json={"spec": {"unschedulable": "yes"}},
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert (answer.status_code, answer.json()["reason"]) == (422, "Invalid")
    assert answer.json()["message"].startswith(' "" is invalid: patch: Invalid value: "{')
    assert answer.json()["message"].endswith(
        ": json: cannot unmarshal string into Go struct field NodeSpec.spec.unschedulable of type bool"
    )
    assert "unschedulable" not in http.get("/api/v1/nodes/sugarkube1").json()["spec"]


@pytest.mark.parametrize(
    "query, message",
    [
        ("watch=yes", 'strconv.ParseBool: parsing "yes": invalid syntax'),
        ("timeoutSeconds=soon", 'strconv.ParseInt: parsing "soon": invalid syntax'),
        (
            "resourceVersion=latest",
            (
                'invalid resource version: resourceVersion: Invalid value: "latest": '
                'strconv.ParseUint: parsing "latest": invalid syntax'
            ),
        ),
    ],
)
def test_query_parameters_that_do_not_convert_get_400(http: httpx.Client, query: str, message: str) -> None:
    answer = http.get(f"/api/v1/namespaces/default/pods?{query}")
    assert (answer.status_code, answer.json()["message"]) == (400, message)


def test_delete_options_of_the_wrong_type_get_400(http: httpx.Client) -> None:
    assert http.post("/api/v1/namespaces/default/configmaps", json={"metadata": {"name": "doomed"}}).status_code == 201
    answer = http.request(
        "DELETE",
        "/api/v1/namespaces/default/configmaps/doomed",
        content=b'{"gracePeriodSeconds": "now"}',
        headers={"Content-Type": "application/json"},
    )
    assert (answer.status_code, answer.json()["message"]) == (
        400,
        (
            'DeleteOptions in version "v1" cannot be handled as a DeleteOptions: json: cannot unmarshal string into Go '
            "struct field DeleteOptions.gracePeriodSeconds of type int64"
        ),
    )
    assert http.get("/api/v1/namespaces/default/configmaps/doomed").status_code == 200


def test_malformed_machine_requests_get_400_not_500(http: httpx.Client) -> None:
    answer = http.post("/sugarlab/v1/machines/sugarkube1/exec", json={})
    assert (answer.status_code, answer.json()["reason"]) == (400, "BadRequest")


def test_no_new_content_in_a_terminating_namespace(http: httpx.Client) -> None:
    assert http.post("/api/v1/namespaces", json={"metadata": {"name": "closing"}}).status_code == 201
    held = {"metadata": {"name": "held", "finalizers": ["sugarlab.io/hold"]}}
    assert http.post("/api/v1/namespaces/closing/configmaps", json=held).status_code == 201
    assert http.delete("/api/v1/namespaces/closing").status_code == 200
    answer = http.post("/api/v1/namespaces/closing/configmaps", json={"metadata": {"name": "late"}})
    assert (answer.status_code, answer.content) == (
        403,
        status(
            '"configmaps \\"late\\" is forbidden: unable to create new content in namespace closing because it is being '
            'terminated"',
            "Forbidden",
            403,
            '{"name":"late","kind":"configmaps","causes":[{"reason":"NamespaceTerminating","message":"namespace closing '
            'is being terminated","field":"metadata.namespace"}]}',
        ),
    )
    missing = http.post("/api/v1/namespaces/nowhere/configmaps", json={"metadata": {"name": "x"}})
    assert (missing.status_code, missing.content) == (
        404,
        status('"namespaces \\"nowhere\\" not found"', "NotFound", 404, '{"name":"nowhere","kind":"namespaces"}'),
    )


def test_null_is_the_zero_value_as_when_decoding_into_go_structs(http: httpx.Client) -> None:
    answer = http.post("/api/v1/namespaces", json={"metadata": {"name": "nulls", "labels": None}, "spec": None})
    assert answer.status_code == 201, answer.text
    assert answer.json()["metadata"]["labels"] == {"kubernetes.io/metadata.name": "nulls"}
    missing = http.post("/apis/batch/v1/namespaces/default/jobs", json={"metadata": {"name": "j"}, "spec": None})
    assert (missing.status_code, missing.json()["reason"]) == (422, "Invalid")


def test_a_service_port_out_of_range_gets_422_not_500(http: httpx.Client) -> None:
    answer = http.post(
        "/api/v1/namespaces/default/services", json={"metadata": {"name": "web"}, "spec": {"ports": [{}]}}
    )
    assert (answer.status_code, answer.json()["message"]) == (
        422,
        (
            'Service "web" is invalid: [spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive, '
            "spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive]"
        ),
    )


def test_owner_references_need_what_the_garbage_collector_follows(http: httpx.Client) -> None:
    body = {"metadata": {"name": "orphan", "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet"}]}}
    answer = http.post("/api/v1/namespaces/default/configmaps", json=body)
    assert (answer.status_code, answer.json()["message"]) == (
        422,
        (
            'ConfigMap "orphan" is invalid: [metadata.ownerReferences[0].name: Required value: must not be empty, '
            "metadata.ownerReferences[0].uid: Required value: must not be empty]"
        ),
    )
    assert [c["reason"] for c in answer.json()["details"]["causes"]] == ["FieldValueRequired"] * 2


def test_paths_without_a_route_answer_as_go_restful_does(http: httpx.Client) -> None:
    unknown = http.get("/api/v1/widgets")
    assert (unknown.status_code, unknown.content) == (
        404,
        status('"the server could not find the requested resource"', "NotFound", 404, "{}"),
    )
    wrong_method = http.post("/api/v1/namespaces/default/configmaps/settings")
    assert (wrong_method.status_code, wrong_method.content) == (
        405,
        status('"the server does not allow this method on the requested resource"', "MethodNotAllowed", 405, "{}"),
    )


def test_a_body_in_an_unknown_format_gets_415(http: httpx.Client) -> None:
    answer = http.post("/api/v1/namespaces", content=b"name: x", headers={"Content-Type": "text/plain"})
    assert (answer.status_code, answer.content) == (
        415,
        status(
            '"the body of the request was in an unknown format - accepted media types include: application/json, '
            'application/yaml, application/vnd.kubernetes.protobuf"',
            "UnsupportedMediaType",
            415,
        ),
    )
    yaml_body = http.post(
        "/api/v1/namespaces", content=b"metadata:\n  name: from-yaml\n", headers={"Content-Type": "application/yaml"}
    )
    assert yaml_body.status_code == 201, yaml_body.text


def test_server_side_apply_of_the_wrong_type_is_refused(http: httpx.Client) -> None:
    intent = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "applied"}, "data": {"threads": 4}}
    answer = http.patch(
        "/api/v1/namespaces/default/configmaps/applied?fieldManager=lab",
        json=intent,
        headers={"Content-Type": "application/apply-patch+yaml"},
    )
    assert (answer.status_code, answer.json()["reason"]) == (400, "BadRequest")
    assert http.get("/api/v1/namespaces/default/configmaps/applied").status_code == 404
    intent["data"] = {"threads": "4"}
    applied = http.patch(
        "/api/v1/namespaces/default/configmaps/applied?fieldManager=lab",
        json=intent,
        headers={"Content-Type": "application/apply-patch+yaml"},
    )
    assert applied.status_code == 201, applied.text
