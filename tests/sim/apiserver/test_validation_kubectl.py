"""Malformed manifests through kubectl 1.32, as a new user's typo makes them: kubectl prints what it
prints against kube-apiserver v1.33, and nothing refused is stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.sim.simcluster import kubectl, needs_kubectl

QUANTITY_RE = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"
pytestmark = needs_kubectl


@pytest.fixture(scope="module")
def kubeconfig(kubeconfig: Path) -> str:
    """The module's simulator (tests/sim/conftest.py), its kubeconfig as the string these tests pass around."""
    return str(kubeconfig)


def manifest(tmp_path: Path, text: str) -> str:
    path = tmp_path / "manifest.yaml"
    path.write_text(text)
    return str(path)


def pod_names(kubeconfig: str) -> list[str]:
    listed = kubectl(kubeconfig, "get", "pods", "-n", "default", "-o", "jsonpath={.items[*].metadata.name}")
    return listed.stdout.split()


CONTAINERS_AS_A_MAP = """apiVersion: v1
kind: Pod
metadata:
  name: bad-containers
spec:
  containers:
    name: app
    image: busybox:1.36
"""

CPU_LOTS = """apiVersion: v1
kind: Pod
metadata:
  name: greedy
spec:
  containers:
  - name: app
    image: busybox:1.36
    resources:
      requests:
        cpu: lots
"""

TYPOS = """apiVersion: v1
kind: Pod
metadata:
  name: typo
spec:
  containers:
  - name: app
    image: busybox:1.36
    imagePullPolice: Always
  restartPolcy: Never
"""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            CONTAINERS_AS_A_MAP,
            'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal object into Go '
            "struct field PodSpec.spec.containers of type []v1.Container",
        ),
        (
            CPU_LOTS,
            f'Pod in version "v1" cannot be handled as a Pod: quantities must match the regular expression '
            f"'{QUANTITY_RE}'",
        ),
        (
            TYPOS,
            'Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field '
            '"spec.containers[0].imagePullPolice", unknown field "spec.restartPolcy"',
        ),
    ],
)
def test_apply_of_a_malformed_pod_is_a_bad_request(kubeconfig: str, tmp_path: Path, text: str, message: str) -> None:
    path = manifest(tmp_path, text)
    applied = kubectl(kubeconfig, "apply", "-f", path)
    assert applied.returncode == 1
    assert applied.stderr == f'Error from server (BadRequest): error when creating "{path}": {message}\n'
    assert not set(pod_names(kubeconfig)) & {"bad-containers", "greedy", "typo"}


def test_validate_warn_creates_the_pod_without_the_unknown_fields(kubeconfig: str, tmp_path: Path) -> None:
    applied = kubectl(kubeconfig, "apply", "--validate=warn", "-f", manifest(tmp_path, TYPOS.replace("typo", "warned")))
    assert applied.returncode == 0
    assert applied.stdout == "pod/warned created\n"
    assert applied.stderr == (
        'Warning: unknown field "spec.containers[0].imagePullPolice"\nWarning: unknown field "spec.restartPolcy"\n'
    )
    stored = json.loads(kubectl(kubeconfig, "get", "pod", "warned", "-o", "json").stdout)
    assert "imagePullPolice" not in stored["spec"]["containers"][0] and "restartPolcy" not in stored["spec"]
    assert stored["spec"]["restartPolicy"] == "Always"


def test_validate_false_is_silent(kubeconfig: str, tmp_path: Path) -> None:
    applied = kubectl(
        kubeconfig, "apply", "--validate=false", "-f", manifest(tmp_path, TYPOS.replace("typo", "silent"))
    )
    assert (applied.returncode, applied.stdout, applied.stderr) == (0, "pod/silent created\n", "")


def test_create_of_an_invalid_pod_lists_each_field(kubeconfig: str, tmp_path: Path) -> None:
    text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: My_Pod\nspec:\n  containers:\n  - name: app\n"
    created = kubectl(kubeconfig, "create", "-f", manifest(tmp_path, text))
    assert created.returncode == 1
    assert created.stderr == (
        'The Pod "My_Pod" is invalid: \n'
        '* metadata.name: Invalid value: "My_Pod": a lowercase RFC 1123 subdomain must consist of lower case '
        "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. "
        "'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')\n"
        "* spec.containers[0].image: Required value\n"
    )


def test_a_configmap_over_one_mebibyte(kubeconfig: str, tmp_path: Path) -> None:
    data = tmp_path / "model.bin"
    data.write_text("x" * (1024 * 1024 + 1))
    rendered = kubectl(
        kubeconfig, "create", "configmap", "big", f"--from-file={data}", "--dry-run=client", "-o", "yaml"
    )
    path = manifest(tmp_path, rendered.stdout)
    created = kubectl(kubeconfig, "create", "-f", path)
    assert created.stderr == 'The ConfigMap "big" is invalid: []: Too long: may not be more than 1048576 bytes\n'
    # apply also copies the object into its last-applied annotation, which has a limit of its own
    applied = kubectl(kubeconfig, "apply", "-f", path)
    assert applied.stderr == (
        'The ConfigMap "big" is invalid: \n'
        "* metadata.annotations: Too long: may not be more than 262144 bytes\n"
        "* []: Too long: may not be more than 1048576 bytes\n"
    )
    assert kubectl(kubeconfig, "get", "configmap", "big").returncode == 1


def _first_node(kubeconfig: str) -> str:
    return kubectl(kubeconfig, "get", "nodes", "-o", "jsonpath={.items[0].metadata.name}").stdout


def test_patching_unschedulable_yes_onto_a_node(kubeconfig: str) -> None:
    node = _first_node(kubeconfig)
    strategic = kubectl(kubeconfig, "patch", "node", node, "-p", '{"spec":{"unschedulable":"yes"}}')
    assert strategic.returncode == 1
    assert strategic.stderr == (
        'The request is invalid: patch: Invalid value: "map[spec:map[unschedulable:yes]]": unrecognized type: bool\n'
    )
    merge = kubectl(kubeconfig, "patch", "node", node, "--type=merge", "-p", '{"spec":{"unschedulable":"yes"}}')
    assert merge.returncode == 1
    assert merge.stderr.startswith('The request is invalid: patch: Invalid value: "{\\"apiVersion\\":\\"v1\\"')
    assert merge.stderr.endswith(
        ": json: cannot unmarshal string into Go struct field NodeSpec.spec.unschedulable of type bool\n"
    )
    shown = kubectl(kubeconfig, "get", "node", node, "-o", "jsonpath={.spec.unschedulable}")
    assert shown.stdout == ""


def test_cordon_and_uncordon_pass_validation_quietly(kubeconfig: str) -> None:
    node = _first_node(kubeconfig)
    cordoned = kubectl(kubeconfig, "cordon", node)
    assert (cordoned.stdout, cordoned.stderr) == (f"node/{node} cordoned\n", "")
    uncordoned = kubectl(kubeconfig, "uncordon", node)
    assert (uncordoned.stdout, uncordoned.stderr) == (f"node/{node} uncordoned\n", "")


def test_a_deployment_with_an_uppercase_container_name(kubeconfig: str, tmp_path: Path) -> None:
    text = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: vehicle-detector
spec:
  selector:
    matchLabels: {app: vehicle-detector}
  template:
    metadata:
      labels: {app: vehicle-detector}
    spec:
      containers:
      - name: Inference
        image: python:3.11-slim
"""
    applied = kubectl(kubeconfig, "apply", "-f", manifest(tmp_path, text))
    assert applied.stderr == (
        'The Deployment "vehicle-detector" is invalid: spec.template.spec.containers[0].name: Invalid value: '
        "\"Inference\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
        "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
        "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')\n"
    )


TUTORIAL = Path(__file__).resolve().parents[2] / "data" / "tutorial"


def test_reapplying_tutorial_manifests_with_immutable_changes_is_refused(kubeconfig: str, tmp_path: Path) -> None:
    namespace = manifest(tmp_path, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: lab-scale\n")
    assert kubectl(kubeconfig, "apply", "-f", namespace).returncode == 0
    for name in ("nfs-storageclass.yaml", "stress-load-job.yaml", "statefulset-sqlite.yaml"):
        assert kubectl(kubeconfig, "apply", "-f", str(TUTORIAL / name)).returncode == 0
    edits = [
        (
            "nfs-storageclass.yaml",
            [("192.168.42.50", "192.168.42.51"), ("Retain", "Delete")],
            'The StorageClass "nfs-shared" is invalid: \n* parameters: Forbidden: updates to parameters are forbidden.\n'
            "* reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden.\n",
        ),
        (
            "stress-load-job.yaml",
            [("completions: 4", "completions: 8")],
            'The Job "stress-load" is invalid: spec.completions: Invalid value: 8: field is immutable\n',
        ),
        (
            "statefulset-sqlite.yaml",
            [("storage: 1Gi", "storage: 2Gi")],
            'The StatefulSet "nfs-sqlite" is invalid: spec: Forbidden: updates to statefulset spec for fields other than '
            "'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and "
            "'minReadySeconds' are forbidden\n",
        ),
    ]
    for name, changes, message in edits:
        text = (TUTORIAL / name).read_text()
        for old, new in changes:
            text = text.replace(old, new)
        refused = kubectl(kubeconfig, "apply", "-f", manifest(tmp_path, text))
        assert (refused.returncode, refused.stderr) == (1, message)
    stored = json.loads(kubectl(kubeconfig, "get", "storageclass", "nfs-shared", "-o", "json").stdout)
    assert stored["parameters"]["server"] == "192.168.42.50"
    parallel = (TUTORIAL / "stress-load-job.yaml").read_text().replace("parallelism: 4", "parallelism: 2")
    assert (
        kubectl(kubeconfig, "apply", "-f", manifest(tmp_path, parallel)).stdout == "job.batch/stress-load configured\n"
    )


def test_a_deployment_selector_cannot_change(kubeconfig: str, tmp_path: Path) -> None:
    rendered = kubectl(
        kubeconfig, "create", "deployment", "web", "--image=nginx:1.27", "--dry-run=client", "-o", "yaml"
    )
    assert kubectl(kubeconfig, "apply", "-f", manifest(tmp_path, rendered.stdout)).returncode == 0
    changed = kubectl(kubeconfig, "apply", "-f", manifest(tmp_path, rendered.stdout.replace("app: web", "app: web2")))
    assert changed.stderr == (
        'The Deployment "web" is invalid: spec.selector: Invalid value: v1.LabelSelector{'
        'MatchLabels:map[string]string{"app":"web2"}, MatchExpressions:[]v1.LabelSelectorRequirement'
        "(nil)}: field is immutable\n"
    )
