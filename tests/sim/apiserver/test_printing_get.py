"""`kubectl get` of every kind the simulator serves prints kube-apiserver's columns: the header lines
below are what kubectl v1.32 prints against a k3s v1.33 server (pkg/printers/internalversion in
kubernetes/kubernetes), with and without `-o wide`, and the cells in kube-apiserver's formats."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from tests.sim.simcluster import kubectl_out as kubectl
from tests.sim.simcluster import needs_kubectl, start

NS = "lab-print"
pytestmark = needs_kubectl

MANIFESTS: list[dict[str, Any]] = [
    {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "settings"},
        "data": {"a": "1"},
        "binaryData": {"b": "AA=="},
    },
    {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds"}, "stringData": {"password": "x"}},
    {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "robot"}},
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
                        {"name": "nginx", "image": "nginx:1.27", "ports": [{"name": "http", "containerPort": 80}]},
                        {"name": "sidecar", "image": "busybox:1.36"},
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
    {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "edge"},
        "spec": {"type": "NodePort", "selector": {"app": "web"}, "ports": [{"port": 9000, "nodePort": 30900}]},
    },
    {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "db"},
        "spec": {
            "serviceName": "db",
            "replicas": 1,
            "selector": {"matchLabels": {"app": "db"}},
            "template": {
                "metadata": {"labels": {"app": "db"}},
                "spec": {"containers": [{"name": "redis", "image": "redis:7"}]},
            },
        },
    },
    {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "nightly"},
        "spec": {
            "schedule": "0 3 * * *",
            "suspend": True,
            "jobTemplate": {
                "spec": {
                    "template": {
                        "spec": {
                            "restartPolicy": "OnFailure",
                            "containers": [{"name": "backup", "image": "restic/restic:0.17"}],
                        }
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
    {
        "apiVersion": "v1",
        "kind": "PodTemplate",
        "metadata": {"name": "tmpl"},
        "template": {
            "metadata": {"labels": {"app": "tmpl"}},
            "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]},
        },
    },
    {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": "limits"},
        "spec": {"limits": [{"type": "Container", "default": {"cpu": "500m"}}]},
    },
    {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": "budget"},
        "spec": {"hard": {"pods": "10", "requests.cpu": "4", "limits.memory": "8Gi"}},
    },
    {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "web"},
        "spec": {
            "ingressClassName": "traefik",
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
            ],
        },
    },
    {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "web-only"},
        "spec": {"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Ingress"]},
    },
    {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": "reader"},
        "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}],
    },
    {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "read-pods"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
        "subjects": [
            {"kind": "User", "name": "alice", "apiGroup": "rbac.authorization.k8s.io"},
            {"kind": "ServiceAccount", "name": "robot", "namespace": NS},
        ],
    },
    {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "web"},
        "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}},
    },
    {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "web"},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "minReplicas": 1,
            "maxReplicas": 3,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}},
                }
            ],
        },
    },
]
CLUSTER_MANIFESTS: list[dict[str, Any]] = [
    {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": "lab-high"}, "value": 1000},
    {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "IngressClass",
        "metadata": {"name": "traefik"},
        "spec": {"controller": "traefik.io/ingress-controller"},
    },
    {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.lab.example.com"},
        "spec": {
            "group": "lab.example.com",
            "scope": "Namespaced",
            "names": {"plural": "widgets", "kind": "Widget"},
            "versions": [
                {"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {"type": "object"}}}
            ],
        },
    },
]


@pytest.fixture(scope="module")
def kubeconfig(sim_workspace: Path) -> str:
    """A simulator of its own, at speed 120, with the manifests above in it."""
    path = str(start(sim_workspace, "-p", "speed", "120"))
    kubectl(
        path,
        "create",
        "--validate=false",
        "-f",
        "-",
        stdin=json.dumps({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}),
    )
    items = [{**m, "metadata": {**m["metadata"], "namespace": NS}} for m in MANIFESTS] + CLUSTER_MANIFESTS
    kubectl(
        path,
        "create",
        "--validate=false",
        "-f",
        "-",
        stdin=json.dumps({"apiVersion": "v1", "kind": "List", "items": items}),
    )
    deadline = time.monotonic() + 20
    while "2/2" not in kubectl(path, "get", "deploy", "web", "-n", NS, "--no-headers"):
        assert time.monotonic() < deadline, "the web deployment never became ready"
        time.sleep(0.2)
    return path


def rows(text: str) -> list[dict[str, str]]:
    """kubectl's table as dicts, cut at the header's column starts (cells may be blank or hold spaces)."""
    header, *lines = text.rstrip("\n").splitlines()
    names = re.split(r"\s{2,}", header.strip())
    starts, at = [], 0
    for name in names:
        at = header.index(name, at)
        starts.append(at)
        at += len(name)
    bounds = list(zip(starts, [*starts[1:], None], strict=True))
    return [{name: line[a:b].strip() for name, (a, b) in zip(names, bounds, strict=True)} for line in lines]


def header(text: str) -> list[str]:
    return re.split(r"\s{2,}", text.splitlines()[0].strip())


# resource, namespace flag, kubectl's header, the columns -o wide adds
HEADERS = [
    ("pods", ["NAME", "READY", "STATUS", "RESTARTS", "AGE"], ["IP", "NODE", "NOMINATED NODE", "READINESS GATES"]),
    ("services", ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"], ["SELECTOR"]),
    ("endpoints", ["NAME", "ENDPOINTS", "AGE"], []),
    ("endpointslices", ["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"], []),
    ("configmaps", ["NAME", "DATA", "AGE"], []),
    ("secrets", ["NAME", "TYPE", "DATA", "AGE"], []),
    ("serviceaccounts", ["NAME", "SECRETS", "AGE"], []),
    ("deployments", ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"], ["CONTAINERS", "IMAGES", "SELECTOR"]),
    ("replicasets", ["NAME", "DESIRED", "CURRENT", "READY", "AGE"], ["CONTAINERS", "IMAGES", "SELECTOR"]),
    ("statefulsets", ["NAME", "READY", "AGE"], ["CONTAINERS", "IMAGES"]),
    ("controllerrevisions", ["NAME", "CONTROLLER", "REVISION", "AGE"], []),
    (
        "cronjobs",
        ["NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST SCHEDULE", "AGE"],
        ["CONTAINERS", "IMAGES", "SELECTOR"],
    ),
    ("replicationcontrollers", ["NAME", "DESIRED", "CURRENT", "READY", "AGE"], ["CONTAINERS", "IMAGES", "SELECTOR"]),
    ("podtemplates", ["NAME", "CONTAINERS", "IMAGES", "POD LABELS"], []),
    ("limitranges", ["NAME", "CREATED AT"], []),
    ("resourcequotas", ["NAME", "REQUEST", "LIMIT", "AGE"], []),
    ("ingresses", ["NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"], []),
    ("networkpolicies", ["NAME", "POD-SELECTOR", "AGE"], []),
    ("roles", ["NAME", "CREATED AT"], []),
    ("rolebindings", ["NAME", "ROLE", "AGE"], ["USERS", "GROUPS", "SERVICEACCOUNTS"]),
    ("poddisruptionbudgets", ["NAME", "MIN AVAILABLE", "MAX UNAVAILABLE", "ALLOWED DISRUPTIONS", "AGE"], []),
    ("horizontalpodautoscalers", ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"], []),
]
CLUSTER_HEADERS = [
    (
        "nodes",
        ["NAME", "STATUS", "ROLES", "AGE", "VERSION"],
        ["INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"],
    ),
    ("namespaces", ["NAME", "STATUS", "AGE"], []),
    (
        "storageclasses",
        ["NAME", "PROVISIONER", "RECLAIMPOLICY", "VOLUMEBINDINGMODE", "ALLOWVOLUMEEXPANSION", "AGE"],
        [],
    ),
    (
        "csidrivers",
        [
            "NAME",
            "ATTACHREQUIRED",
            "PODINFOONMOUNT",
            "STORAGECAPACITY",
            "TOKENREQUESTS",
            "REQUIRESREPUBLISH",
            "MODES",
            "AGE",
        ],
        [],
    ),
    ("priorityclasses", ["NAME", "VALUE", "GLOBAL-DEFAULT", "AGE", "PREEMPTIONPOLICY"], []),
    ("ingressclasses", ["NAME", "CONTROLLER", "PARAMETERS", "AGE"], []),
    ("clusterroles", ["NAME", "CREATED AT"], []),
    ("clusterrolebindings", ["NAME", "ROLE", "AGE"], ["USERS", "GROUPS", "SERVICEACCOUNTS"]),
    ("customresourcedefinitions", ["NAME", "CREATED AT"], []),
    ("apiservices", ["NAME", "SERVICE", "AVAILABLE", "AGE"], []),
    ("servicecidrs", ["NAME", "CIDRS", "AGE"], []),
    ("ipaddresses", ["NAME", "PARENTREF"], []),
]


@pytest.mark.parametrize(("resource", "columns", "wide"), HEADERS, ids=[h[0] for h in HEADERS])
def test_namespaced_kinds_print_their_columns(
    kubeconfig: str, resource: str, columns: list[str], wide: list[str]
) -> None:
    assert header(kubectl(kubeconfig, "get", resource, "-n", NS)) == columns
    assert header(kubectl(kubeconfig, "get", resource, "-n", NS, "-o", "wide")) == columns + wide
    assert header(kubectl(kubeconfig, "get", resource, "-A")) == ["NAMESPACE", *columns]


@pytest.mark.parametrize(("resource", "columns", "wide"), CLUSTER_HEADERS, ids=[h[0] for h in CLUSTER_HEADERS])
def test_cluster_kinds_print_their_columns(kubeconfig: str, resource: str, columns: list[str], wide: list[str]) -> None:
    assert header(kubectl(kubeconfig, "get", resource)) == columns
    assert header(kubectl(kubeconfig, "get", resource, "-o", "wide")) == columns + wide


def test_events_wide_columns_sit_between_and_after(kubeconfig: str) -> None:
    # Events live an hour (kube-apiserver's --event-ttl), 30 real seconds at speed 120: the fixture's are
    # gone when this test runs late, so a Deployment of its own (in a namespace of its own, leaving the
    # other tests' objects as they are) makes a fresh ScalingReplicaSet event.
    kubectl(kubeconfig, "create", "namespace", "events-demo")
    kubectl(kubeconfig, "create", "deployment", "web", "--image=nginx:1.27", "-n", "events-demo")
    deadline = time.monotonic() + 20
    while "deployment/web" not in kubectl(kubeconfig, "get", "events", "-n", "events-demo"):
        assert time.monotonic() < deadline, "the deployment controller never reported scaling events-demo/web"
        time.sleep(0.2)
    assert header(kubectl(kubeconfig, "get", "events", "-A")) == [
        "NAMESPACE",
        "LAST SEEN",
        "TYPE",
        "REASON",
        "OBJECT",
        "MESSAGE",
    ]
    assert header(kubectl(kubeconfig, "get", "events", "-n", "events-demo", "-o", "wide")) == [
        "LAST SEEN",
        "TYPE",
        "REASON",
        "OBJECT",
        "SUBOBJECT",
        "SOURCE",
        "MESSAGE",
        "FIRST SEEN",
        "COUNT",
        "NAME",
    ]
    scaled = [
        r
        for r in rows(kubectl(kubeconfig, "get", "events", "-n", "events-demo", "-o", "wide"))
        if r["REASON"] == "ScalingReplicaSet"
    ]
    assert scaled and scaled[0]["OBJECT"] == "deployment/web" and scaled[0]["SOURCE"] == "deployment-controller"
    assert scaled[0]["COUNT"] == "1" and scaled[0]["TYPE"] == "Normal"


def test_leases_show_their_holders(kubeconfig: str) -> None:
    assert header(kubectl(kubeconfig, "get", "leases", "-A")) == ["NAMESPACE", "NAME", "HOLDER", "AGE"]
    leases = rows(kubectl(kubeconfig, "get", "leases", "-n", "kube-node-lease"))
    assert [(r["NAME"], r["HOLDER"]) for r in leases] == [(n, n) for n in ("sugarkube0", "sugarkube1", "sugarkube2")]


def test_workload_cells(kubeconfig: str) -> None:
    (deploy,) = rows(kubectl(kubeconfig, "get", "deploy", "-n", NS, "-o", "wide"))
    assert deploy | {"AGE": ""} == {
        "NAME": "web",
        "READY": "2/2",
        "UP-TO-DATE": "2",
        "AVAILABLE": "2",
        "AGE": "",
        "CONTAINERS": "nginx,sidecar",
        "IMAGES": "nginx:1.27,busybox:1.36",
        "SELECTOR": "app=web",
    }
    (rs,) = rows(kubectl(kubeconfig, "get", "rs", "-n", NS, "-o", "wide"))
    assert rs["SELECTOR"] == f"app=web,pod-template-hash={rs['NAME'].removeprefix('web-')}"
    (cj,) = rows(kubectl(kubeconfig, "get", "cj", "-n", NS, "-o", "wide"))
    assert cj | {"AGE": ""} == {
        "NAME": "nightly",
        "SCHEDULE": "0 3 * * *",
        "TIMEZONE": "<none>",
        "SUSPEND": "True",
        "ACTIVE": "0",
        "LAST SCHEDULE": "<none>",
        "AGE": "",
        "CONTAINERS": "backup",
        "IMAGES": "restic/restic:0.17",
        "SELECTOR": "<none>",
    }
    (rc,) = rows(kubectl(kubeconfig, "get", "rc", "-n", NS, "-o", "wide"))
    assert (rc["DESIRED"], rc["CONTAINERS"], rc["SELECTOR"]) == ("1", "c", "app=legacy")
    (revision,) = rows(kubectl(kubeconfig, "get", "controllerrevisions", "-n", NS))
    assert (revision["CONTROLLER"], revision["REVISION"]) == ("statefulset.apps/db", "1")
    jobs = rows(kubectl(kubeconfig, "get", "jobs", "-n", "kube-system"))
    assert {(j["STATUS"], j["COMPLETIONS"]) for j in jobs} == {("Complete", "1/1")}
    daemonsets = {d["NAME"].rsplit("-", 1)[0]: d for d in rows(kubectl(kubeconfig, "get", "ds", "-n", "kube-system"))}
    assert (
        daemonsets["csi-nfs"]["NODE SELECTOR"] == "kubernetes.io/os=linux"
        and daemonsets["svclb-traefik"]["DESIRED"] == "1"
    )
    assert all(d["DESIRED"] == d["READY"] for d in daemonsets.values())
    # the node plugin tolerates every taint, so it runs on the tainted workers too
    assert daemonsets["csi-nfs"]["DESIRED"] == str(len(rows(kubectl(kubeconfig, "get", "nodes"))))
    (template,) = rows(kubectl(kubeconfig, "get", "podtemplates", "-n", NS))
    assert template == {"NAME": "tmpl", "CONTAINERS": "c", "IMAGES": "nginx:1.27", "POD LABELS": "app=tmpl"}


def test_service_and_endpoint_cells(kubeconfig: str) -> None:
    services = {r["NAME"]: r for r in rows(kubectl(kubeconfig, "get", "svc", "-n", NS, "-o", "wide"))}
    assert services["web"]["TYPE"] == "ClusterIP" and services["web"]["EXTERNAL-IP"] == "<none>"
    assert services["web"]["PORT(S)"] == "80/TCP" and services["web"]["SELECTOR"] == "app=web"
    assert services["edge"]["PORT(S)"] == "9000:30900/TCP"
    assert re.fullmatch(r"10\.43\.\d+\.\d+", services["web"]["CLUSTER-IP"])
    pods = rows(kubectl(kubeconfig, "get", "pods", "-n", NS, "-l", "app=web", "-o", "wide"))
    ips = sorted(p["IP"] for p in pods)
    endpoints = {r["NAME"]: r["ENDPOINTS"] for r in rows(kubectl(kubeconfig, "get", "ep", "-n", NS))}
    assert sorted(endpoints["web"].split(",")) == [f"{ip}:80" for ip in ips]
    assert sorted(endpoints["edge"].split(",")) == [f"{ip}:9000" for ip in ips]
    (web_slice,) = [
        r for r in rows(kubectl(kubeconfig, "get", "endpointslices", "-n", NS)) if r["NAME"].startswith("web-")
    ]
    assert web_slice["ADDRESSTYPE"] == "IPv4" and web_slice["PORTS"] == "80"
    assert sorted(web_slice["ENDPOINTS"].split(",")) == ips
    (kubernetes,) = rows(kubectl(kubeconfig, "get", "ep", "kubernetes", "-n", "default"))
    assert kubernetes["ENDPOINTS"].endswith(":6443")
    addresses = {r["NAME"]: r["PARENTREF"] for r in rows(kubectl(kubeconfig, "get", "ipaddresses"))}
    assert addresses[services["web"]["CLUSTER-IP"]] == f"services/{NS}/web"


def test_config_rbac_and_policy_cells(kubeconfig: str) -> None:
    assert rows(kubectl(kubeconfig, "get", "cm", "settings", "-n", NS))[0]["DATA"] == "2"
    (secret,) = rows(kubectl(kubeconfig, "get", "secret", "creds", "-n", NS))
    assert (secret["TYPE"], secret["DATA"]) == ("Opaque", "1")
    accounts = {r["NAME"]: r["SECRETS"] for r in rows(kubectl(kubeconfig, "get", "sa", "-n", NS))}
    assert accounts == {"default": "0", "robot": "0"}
    (binding,) = rows(kubectl(kubeconfig, "get", "rolebinding", "-n", NS, "-o", "wide"))
    assert binding | {"AGE": ""} == {
        "NAME": "read-pods",
        "ROLE": "Role/reader",
        "AGE": "",
        "USERS": "alice",
        "GROUPS": "",
        "SERVICEACCOUNTS": f"{NS}/robot",
    }
    (role,) = rows(kubectl(kubeconfig, "get", "roles", "-n", NS))
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", role["CREATED AT"])
    (quota,) = rows(kubectl(kubeconfig, "get", "quota", "-n", NS))
    assert (quota["REQUEST"], quota["LIMIT"]) == ("pods: 4/10, requests.cpu: 0/4", "limits.memory: 0/8Gi")
    (pdb,) = rows(kubectl(kubeconfig, "get", "pdb", "-n", NS))
    assert (pdb["MIN AVAILABLE"], pdb["MAX UNAVAILABLE"]) == ("1", "N/A")
    (hpa,) = rows(kubectl(kubeconfig, "get", "hpa", "-n", NS))
    assert hpa | {"AGE": ""} == {
        "NAME": "web",
        "REFERENCE": "Deployment/web",
        "TARGETS": "cpu: <unknown>/50%",
        "MINPODS": "1",
        "MAXPODS": "3",
        "REPLICAS": "0",
        "AGE": "",
    }
    (ingress,) = rows(kubectl(kubeconfig, "get", "ing", "-n", NS))
    assert (ingress["CLASS"], ingress["HOSTS"], ingress["ADDRESS"], ingress["PORTS"]) == (
        "traefik",
        "web.lab.local",
        "",
        "80",
    )
    (policy,) = rows(kubectl(kubeconfig, "get", "netpol", "-n", NS))
    assert policy["POD-SELECTOR"] == "app=web"


def test_cluster_scoped_cells(kubeconfig: str) -> None:
    (sc,) = rows(kubectl(kubeconfig, "get", "sc"))
    assert sc | {"AGE": ""} == {
        "NAME": "local-path (default)",
        "PROVISIONER": "rancher.io/local-path",
        "RECLAIMPOLICY": "Delete",
        "VOLUMEBINDINGMODE": "WaitForFirstConsumer",
        "ALLOWVOLUMEEXPANSION": "false",
        "AGE": "",
    }
    classes = {r["NAME"]: r for r in rows(kubectl(kubeconfig, "get", "pc"))}
    assert (classes["lab-high"]["VALUE"], classes["lab-high"]["GLOBAL-DEFAULT"]) == ("1000", "false")
    assert classes["lab-high"]["PREEMPTIONPOLICY"] == "PreemptLowerPriority"
    assert classes["system-node-critical"]["VALUE"] == "2000001000"
    services = {r["NAME"]: r for r in rows(kubectl(kubeconfig, "get", "apiservices"))}
    assert services["v1."]["SERVICE"] == "Local" and services["v1.apps"]["AVAILABLE"] == "True"
    assert services["v1beta1.metrics.k8s.io"]["SERVICE"] == "kube-system/metrics-server"
    (ingress_class,) = rows(kubectl(kubeconfig, "get", "ingressclass"))
    assert (ingress_class["CONTROLLER"], ingress_class["PARAMETERS"]) == ("traefik.io/ingress-controller", "<none>")
    (cidr,) = rows(kubectl(kubeconfig, "get", "servicecidrs"))
    assert cidr["CIDRS"] == "10.43.0.0/16"
    nodes = rows(kubectl(kubeconfig, "get", "nodes", "-o", "wide"))
    assert [(n["STATUS"], n["ROLES"]) for n in nodes] == [
        ("Ready", "control-plane,master"),
        ("Ready", "<none>"),
        ("Ready", "<none>"),
    ]
    assert all(n["EXTERNAL-IP"] == "<none>" and n["CONTAINER-RUNTIME"].startswith("containerd://") for n in nodes)


def test_rollout_history_reads_the_controller_revisions(kubeconfig: str) -> None:
    history = kubectl(kubeconfig, "rollout", "history", "statefulset/db", "-n", NS).split("\n")
    assert history[0].strip() == "statefulset.apps/db"
    assert history[1].split() == ["REVISION", "CHANGE-CAUSE"] and history[2].split() == ["1", "<none>"]
    revisions = kubectl(kubeconfig, "rollout", "history", "daemonset/csi-nfs-node", "-n", "kube-system")
    assert revisions.split("\n")[2].split() == ["1", "<none>"]
