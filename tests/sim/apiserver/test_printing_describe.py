"""`kubectl describe` shows what it shows against k3s: a node's Lease, a Service's Endpoints from its
ready pods, a StorageClass's provisioner, a pod's service account and events; and every kind served
can be described."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from tests.sim.simcluster import kubectl_out as kubectl
from tests.sim.simcluster import needs_kubectl

NS = "lab-describe"
pytestmark = needs_kubectl

OBJECTS: list[dict[str, Any]] = [
    {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {"name": "nginx", "image": "nginx:1.27", "ports": [{"name": "http", "containerPort": 80}]}
                    ]
                },
            },
        },
    },
    {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
    },
    {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds"}, "stringData": {"password": "s3cret"}},
    {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "nas"},
        "spec": {"ports": [{"name": "nfs", "port": 2049}]},
    },
    {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": "nas"},
        "subsets": [{"addresses": [{"ip": "192.168.42.50"}], "ports": [{"name": "nfs", "port": 2049}]}],
    },
    {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "nightly"},
        "spec": {
            "schedule": "0 3 * * *",
            "jobTemplate": {
                "spec": {
                    "template": {
                        "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox:1.36"}]}
                    }
                }
            },
        },
    },
    {
        "apiVersion": "v1",
        "kind": "ReplicationController",
        "metadata": {"name": "legacy"},
        "spec": {
            "replicas": 1,
            "template": {
                "metadata": {"labels": {"app": "legacy"}},
                "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]},
            },
        },
    },
    {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "quota"}, "spec": {"hard": {"pods": "10"}}},
    {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": "limits"},
        "spec": {"limits": [{"type": "Container", "default": {"cpu": "500m"}}]},
    },
    {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "web"},
        "spec": {
            "rules": [
                {
                    "host": "web.lab.local",
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": "web", "port": {"number": 80}}},
                            }
                        ]
                    },
                }
            ]
        },
    },
    {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "web-only"},
        "spec": {"podSelector": {"matchLabels": {"app": "web"}}},
    },
    {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": "reader"},
        "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}],
    },
    {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "read-pods"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
        "subjects": [{"kind": "ServiceAccount", "name": "default", "namespace": NS}],
    },
    {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "web"},
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "web"}}},
    },
]


@pytest.fixture(scope="module")
def kubeconfig(kubeconfig: Path) -> str:
    """The module's simulator (tests/sim/conftest.py) with the objects above in it."""
    path = str(kubeconfig)
    kubectl(
        path,
        "create",
        "--validate=false",
        "-f",
        "-",
        stdin=json.dumps({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}),
    )
    kubectl(
        path,
        "create",
        "--validate=false",
        "-f",
        "-",
        stdin=json.dumps(
            {
                "apiVersion": "v1",
                "kind": "List",
                "items": [{**o, "metadata": {**o["metadata"], "namespace": NS}} for o in OBJECTS],
            }
        ),
    )
    deadline = time.monotonic() + 20
    while "2/2" not in kubectl(path, "get", "deploy", "web", "-n", NS, "--no-headers"):
        assert time.monotonic() < deadline, "the web deployment never became ready"
        time.sleep(0.2)
    return path


def field(text: str, name: str) -> str:
    match = re.search(rf"^{re.escape(name)}:\s+(.*)$", text, re.MULTILINE)
    assert match, f"no {name!r} in:\n{text}"
    return match.group(1).strip()


def test_describe_node_shows_its_lease(kubeconfig: str) -> None:
    text = kubectl(kubeconfig, "describe", "node", "sugarkube1")
    assert "Failed to get lease" not in text
    lease = text[text.index("\nLease:") + 1 :].splitlines()[1:4]
    assert [line.split(":")[0].strip() for line in lease] == ["HolderIdentity", "AcquireTime", "RenewTime"]
    assert lease[0].split()[-1] == "sugarkube1" and lease[1].split()[-1] == "<unset>"
    assert re.search(r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d \+0000$", lease[2])


def test_describe_service_shows_the_ready_pods_as_endpoints(kubeconfig: str) -> None:
    text = kubectl(kubeconfig, "describe", "service", "web", "-n", NS)
    ips = kubectl(
        kubeconfig, "get", "pods", "-n", NS, "-l", "app=web", "-o", "jsonpath={.items[*].status.podIP}"
    ).split()
    assert len(set(ips)) == 2
    assert sorted(field(text, "Endpoints").split(",")) == sorted(f"{ip}:80" for ip in ips)
    assert field(text, "TargetPort") == "http/TCP" and field(text, "Port") == "http  80/TCP"
    kubernetes = kubectl(kubeconfig, "describe", "service", "kubernetes", "-n", "default")
    assert re.fullmatch(r"192\.168\.\d+\.\d+:6443", field(kubernetes, "Endpoints"))


def test_a_service_without_selector_shows_its_hand_written_endpoints(kubeconfig: str) -> None:
    """kubectl describe reads EndpointSlices, which the mirroring controller makes from the Endpoints."""
    assert field(kubectl(kubeconfig, "describe", "service", "nas", "-n", NS), "Endpoints") == "192.168.42.50:2049"
    slices = kubectl(
        kubeconfig,
        "get",
        "endpointslices",
        "-n",
        NS,
        "-l",
        "kubernetes.io/service-name=nas",
        "-o",
        "jsonpath={.items[*].metadata.labels.endpointslice\\.kubernetes\\.io/managed-by}",
    )
    assert slices == "endpointslicemirroring-controller.k8s.io"


def test_describe_storageclass_reads_like_k3s(kubeconfig: str) -> None:
    text = kubectl(kubeconfig, "describe", "storageclass", "local-path")
    assert field(text, "IsDefaultClass") == "Yes"
    assert field(text, "Provisioner") == "rancher.io/local-path"
    assert field(text, "VolumeBindingMode") == "WaitForFirstConsumer"
    assert field(text, "ReclaimPolicy") == "Delete"


def test_describe_pod_names_its_service_account_and_events(kubeconfig: str) -> None:
    pod = kubectl(kubeconfig, "get", "pods", "-n", NS, "-l", "app=web", "-o", "jsonpath={.items[0].metadata.name}")
    text = kubectl(kubeconfig, "describe", "pod", pod, "-n", NS)
    assert field(text, "Status") == "Running"
    assert field(text, "Controlled By").startswith("ReplicaSet/web-")
    assert "Scheduled" in text[text.index("Events:") :]


@pytest.mark.parametrize(
    "resource",
    [
        "secret/creds",
        "cronjob/nightly",
        "replicationcontroller/legacy",
        "resourcequota/quota",
        "limitrange/limits",
        "ingress/web",
        "networkpolicy/web-only",
        "role/reader",
        "rolebinding/read-pods",
        "poddisruptionbudget/web",
        "endpoints/web",
        "serviceaccount/default",
        "deployment/web",
    ],
)
def test_every_namespaced_kind_describes(kubeconfig: str, resource: str) -> None:
    text = kubectl(kubeconfig, "describe", resource, "-n", NS)
    assert field(text, "Name") == resource.split("/")[1]


def test_describe_of_the_added_kinds_shows_their_content(kubeconfig: str) -> None:
    secret = kubectl(kubeconfig, "describe", "secret", "creds", "-n", NS)
    assert re.search(r"^password:\s+6 bytes$", secret, re.MULTILINE) and field(secret, "Type") == "Opaque"
    binding = kubectl(kubeconfig, "describe", "rolebinding", "read-pods", "-n", NS)
    assert re.search(rf"ServiceAccount\s+default\s+{NS}", binding)
    endpoints = kubectl(kubeconfig, "describe", "endpoints", "web", "-n", NS)
    assert re.search(r"Ports:\n\s+Name\s+Port\s+Protocol\n\s+----\s+----\s+--------\n\s+http\s+80\s+TCP", endpoints)
    cron = kubectl(kubeconfig, "describe", "cronjob", "nightly", "-n", NS)
    assert field(cron, "Schedule") == "0 3 * * *" and field(cron, "Concurrency Policy") == "Allow"


@pytest.mark.parametrize(
    "resource",
    [
        "priorityclass/system-node-critical",
        "clusterrole/cluster-admin",
        "clusterrolebinding/cluster-admin",
        "apiservice/v1.apps",
        "servicecidr/kubernetes",
        "namespace/" + NS,
        "lease/sugarkube0",
    ],
)
def test_cluster_kinds_describe(kubeconfig: str, resource: str) -> None:
    scope = ["-n", "kube-node-lease"] if resource.startswith("lease/") else []
    text = kubectl(kubeconfig, "describe", resource, *scope)
    assert field(text, "Name") == resource.split("/")[1]
