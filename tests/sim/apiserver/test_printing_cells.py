"""The server-side printers' cell formats on hand-made objects, against what kube-apiserver's printers
(pkg/printers/internalversion/printers.go) and apimachinery's helpers print for the same objects."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sugarlab.common.kubectl import human_duration
from sugarlab.sim.apiserver.printers.cells import format_selector, selector_string
from sugarlab.sim.apiserver.printers.print_cluster import apiservice_cells, ingress_cells, slice_cells
from sugarlab.sim.apiserver.printers.print_core import endpoints_cell, node_cells, pod_cells, quota_cells, service_cells
from sugarlab.sim.apiserver.printers.print_workloads import cronjob_cells, hpa_cells, job_cells, revision_cells
from sugarlab.sim.apiserver.printers.tables import table
from sugarlab.sim.controllers.quotas import format_amount
from sugarlab.sim.machinery.cron import Schedule, ScheduleError
from sugarlab.sim.machinery.resources import BY_KIND

NOW = datetime(2025, 8, 10, 12, 0, tzinfo=UTC)


def stamp(ago: timedelta) -> str:
    return (NOW - ago).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-5, "<invalid>"),
        (-1, "0s"),
        (0, "0s"),
        (119, "119s"),
        (120, "2m"),
        (125, "2m5s"),
        (600, "10m"),
        (179 * 60, "179m"),
        (3 * 3600, "3h"),
        (3 * 3600 + 60, "3h1m"),
        (8 * 3600, "8h"),
        (47 * 3600, "47h"),
        (48 * 3600, "2d"),
        (50 * 3600, "2d2h"),
        (8 * 86400, "8d"),
        (400 * 86400, "400d"),
        (731 * 86400, "2y1d"),
        (9 * 365 * 86400, "9y"),
    ],
)
def test_human_duration_is_apimachinerys(seconds: int, text: str) -> None:
    assert human_duration(timedelta(seconds=seconds)) == text


def test_label_selectors_sort_requirements_by_key() -> None:
    selector = {
        "matchLabels": {"tier": "web", "app": "shop"},
        "matchExpressions": [
            {"key": "env", "operator": "In", "values": ["prod", "dev"]},
            {"key": "canary", "operator": "DoesNotExist"},
        ],
    }
    assert selector_string(selector) == "app=shop,!canary,env in (dev,prod),tier=web"
    assert format_selector(None) == "<none>" and format_selector({}) == "<none>"


def pod(**status: object) -> dict[str, Any]:
    return {
        "metadata": {"name": "p", "creationTimestamp": stamp(timedelta(minutes=5))},
        "spec": {"containers": [{"name": "a"}, {"name": "b"}], "nodeName": "sugarkube1"},
        "status": {"phase": "Running", "podIPs": [{"ip": "10.42.1.7"}], **status},
    }


def test_pod_cells_show_the_waiting_reason_and_the_last_restart() -> None:
    crashing = pod(
        containerStatuses=[
            {"name": "a", "ready": True, "restartCount": 0, "state": {"running": {}}},
            {
                "name": "b",
                "ready": False,
                "restartCount": 4,
                "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                "lastState": {"terminated": {"exitCode": 1, "finishedAt": stamp(timedelta(seconds=40))}},
            },
        ]
    )
    assert pod_cells(crashing, NOW) == [
        "p",
        "1/2",
        "CrashLoopBackOff",
        "4 (40s ago)",
        "5m",
        "10.42.1.7",
        "sugarkube1",
        "<none>",
        "<none>",
    ]


def test_pod_cells_for_init_containers_exit_codes_and_deletion() -> None:
    initializing = pod(
        phase="Pending", initContainerStatuses=[{"name": "setup", "restartCount": 0, "state": {"running": {}}}]
    )
    initializing["spec"]["initContainers"] = [{"name": "setup"}]
    assert pod_cells(initializing, NOW)[2] == "Init:0/1"
    killed = pod(containerStatuses=[{"name": "a", "restartCount": 0, "state": {"terminated": {"exitCode": 137}}}])
    assert pod_cells(killed, NOW)[2] == "ExitCode:137"
    deleting = pod()
    deleting["metadata"]["deletionTimestamp"] = stamp(timedelta(0))
    assert pod_cells(deleting, NOW)[2] == "Terminating"
    gated = pod()
    gated["spec"]["readinessGates"] = [{"conditionType": "www.example.com/lb"}]
    gated["status"]["conditions"] = [{"type": "www.example.com/lb", "status": "False"}]
    assert pod_cells(gated, NOW)[-1] == "0/1"


def test_node_status_adds_scheduling_disabled() -> None:
    node = {
        "metadata": {
            "name": "sugarkube1",
            "creationTimestamp": stamp(timedelta(days=3)),
            "labels": {"kubernetes.io/role": "worker"},
        },
        "spec": {"unschedulable": True},
        "status": {
            "conditions": [{"type": "Ready", "status": "Unknown"}],
            "nodeInfo": {"kubeletVersion": "v1.33.4+k3s1"},
            "addresses": [{"type": "InternalIP", "address": "192.168.0.42"}],
        },
    }
    assert node_cells(node, NOW) == [
        "sugarkube1",
        "NotReady,SchedulingDisabled",
        "worker",
        "3d",
        "v1.33.4+k3s1",
        "192.168.0.42",
        "<none>",
        "<unknown>",
        "<unknown>",
        "<unknown>",
    ]


def test_load_balancer_services_list_their_ingress_or_pending() -> None:
    service = {
        "metadata": {"name": "traefik", "creationTimestamp": stamp(timedelta(days=34))},
        "spec": {
            "type": "LoadBalancer",
            "clusterIPs": ["10.43.60.49"],
            "selector": {"app": "traefik"},
            "ports": [
                {"port": 80, "nodePort": 32178, "protocol": "TCP"},
                {"port": 443, "nodePort": 32558, "protocol": "TCP"},
            ],
        },
        "status": {"loadBalancer": {"ingress": [{"ip": "192.168.0.42"}, {"ip": "192.168.0.38"}]}},
    }
    assert service_cells(service, NOW) == [
        "traefik",
        "LoadBalancer",
        "10.43.60.49",
        "192.168.0.38,192.168.0.42",
        "80:32178/TCP,443:32558/TCP",
        "34d",
        "app=traefik",
    ]
    service["status"] = {"loadBalancer": {}}
    assert service_cells(service, NOW)[3] == "<pending>"


def test_endpoints_show_three_then_count_the_rest() -> None:
    subsets = [{"addresses": [{"ip": f"10.42.0.{i}"} for i in range(2, 5)], "ports": [{"port": 53}, {"port": 9153}]}]
    assert endpoints_cell({"subsets": subsets}) == "10.42.0.2:53,10.42.0.3:53,10.42.0.4:53 + 3 more..."
    assert endpoints_cell({"subsets": [{"addresses": [{"ip": "10.42.0.9"}]}]}) == "10.42.0.9"
    assert endpoints_cell({}) == "<none>"
    empty = {"metadata": {"name": "web-abcde", "creationTimestamp": stamp(timedelta(0))}, "addressType": "IPv4"}
    assert slice_cells(empty, NOW)[2:4] == ["<unset>", "<unset>"]


def test_job_and_cronjob_cells() -> None:
    job = {
        "metadata": {"name": "fio", "creationTimestamp": stamp(timedelta(minutes=3))},
        "spec": {
            "parallelism": 4,
            "template": {"spec": {"containers": [{"name": "fio", "image": "fio:3.33"}]}},
            "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "u"}},
        },
        "status": {
            "succeeded": 1,
            "startTime": stamp(timedelta(minutes=3)),
            "conditions": [{"type": "Failed", "status": "True"}],
        },
    }
    assert job_cells(job, NOW) == [
        "fio",
        "Failed",
        "1/1 of 4",
        "3m",
        "3m",
        "fio",
        "fio:3.33",
        "batch.kubernetes.io/controller-uid=u",
    ]
    cronjob = {
        "metadata": {"name": "backup", "creationTimestamp": stamp(timedelta(days=2))},
        "spec": {
            "schedule": "0 3 * * *",
            "timeZone": "Europe/Paris",
            "jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "r", "image": "restic"}]}}}},
        },
        "status": {"active": [{"name": "backup-1"}], "lastScheduleTime": stamp(timedelta(hours=9))},
    }
    assert cronjob_cells(cronjob, NOW) == [
        "backup",
        "0 3 * * *",
        "Europe/Paris",
        "<unset>",
        1,
        "9h",
        "2d",
        "r",
        "restic",
        "<none>",
    ]


def test_revisions_quotas_hpas_ingresses_and_apiservices() -> None:
    revision = {
        "metadata": {
            "name": "db-7d9f",
            "creationTimestamp": stamp(timedelta(hours=1)),
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "db", "controller": True}],
        },
        "revision": 3,
    }
    assert revision_cells(revision, NOW) == ["db-7d9f", "statefulset.apps/db", 3, "60m"]
    quota = {
        "metadata": {"name": "q", "creationTimestamp": stamp(timedelta(0))},
        "status": {
            "hard": {"pods": "10", "limits.cpu": "4", "requests.memory": "1Gi"},
            "used": {"pods": "3", "limits.cpu": "1500m"},
        },
    }
    assert quota_cells(quota, NOW) == ["q", "pods: 3/10, requests.memory: 0/1Gi", "limits.cpu: 1500m/4", "0s"]
    hpa = {
        "metadata": {"name": "web", "creationTimestamp": stamp(timedelta(0))},
        "spec": {
            "scaleTargetRef": {"kind": "Deployment", "name": "web"},
            "maxReplicas": 5,
            "metrics": [
                {"type": "Resource", "resource": {"name": "cpu", "target": {"averageUtilization": 60}}},
                {"type": "Resource", "resource": {"name": "memory", "target": {"averageValue": "200Mi"}}},
                {"type": "Pods", "pods": {"target": {"averageValue": "10"}}},
            ],
        },
        "status": {
            "currentReplicas": 2,
            "currentMetrics": [
                {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 12}}}
            ],
        },
    }
    assert hpa_cells(hpa, NOW) == [
        "web",
        "Deployment/web",
        "cpu: 12%/60%, memory: <unknown>/200Mi + 1 more...",
        "<unset>",
        5,
        2,
        "0s",
    ]
    ingress = {
        "metadata": {"name": "i", "creationTimestamp": stamp(timedelta(0))},
        "spec": {"tls": [{"hosts": ["a"]}], "rules": [{"host": h} for h in ("a", "b", "c", "d")]},
        "status": {"loadBalancer": {"ingress": [{"ip": "192.168.0.38"}]}},
    }
    assert ingress_cells(ingress, NOW) == ["i", "<none>", "a,b,c + 1 more...", "192.168.0.38", "80, 443", "0s"]
    metrics = {
        "metadata": {"name": "v1beta1.metrics.k8s.io", "creationTimestamp": stamp(timedelta(0))},
        "spec": {"service": {"namespace": "kube-system", "name": "metrics-server"}},
        "status": {"conditions": [{"type": "Available", "status": "False", "reason": "MissingEndpoints"}]},
    }
    assert apiservice_cells(metrics, NOW)[1:3] == ["kube-system/metrics-server", "False (MissingEndpoints)"]


def test_kinds_without_a_printer_get_name_and_created_at() -> None:
    role = {"metadata": {"name": "reader", "creationTimestamp": "2025-08-01T10:00:00Z"}}
    served = table(BY_KIND["Role"], [role], NOW, "42")
    assert [c["name"] for c in served["columnDefinitions"]] == ["Name", "Created At"]
    assert served["columnDefinitions"][1]["type"] == "date"
    assert served["rows"][0]["cells"] == ["reader", "2025-08-01T10:00:00Z"]
    assert served["rows"][0]["object"]["kind"] == "PartialObjectMetadata"


@pytest.mark.parametrize(
    ("spec", "moment", "runs"),
    [
        ("*/15 * * * *", datetime(2025, 8, 10, 12, 45, tzinfo=UTC), True),
        ("*/15 * * * *", datetime(2025, 8, 10, 12, 46, tzinfo=UTC), False),
        ("0 3 * * 1-5", datetime(2025, 8, 11, 3, 0, tzinfo=UTC), True),  # a Monday
        ("0 3 * * mon-fri", datetime(2025, 8, 10, 3, 0, tzinfo=UTC), False),  # a Sunday
        ("0 0 1 * 0", datetime(2025, 8, 3, 0, 0, tzinfo=UTC), True),  # both days restricted: either matches
        ("@hourly", datetime(2025, 8, 10, 7, 0, tzinfo=UTC), True),
        ("30 4 1 jan *", datetime(2026, 1, 1, 4, 30, tzinfo=UTC), True),
    ],
)
def test_cron_schedules_match_as_robfig_cron_does(spec: str, moment: datetime, runs: bool) -> None:
    assert Schedule.parse(spec).matches(moment) is runs


def test_cron_finds_the_latest_missed_minute_and_refuses_bad_fields() -> None:
    schedule = Schedule.parse("*/10 * * * *")
    assert schedule.latest(NOW - timedelta(minutes=25), NOW + timedelta(minutes=3, seconds=20)) == NOW
    assert schedule.latest(NOW, NOW + timedelta(minutes=9)) is None
    for bad in ("61 * * * *", "* * *", "x * * * *"):
        with pytest.raises(ScheduleError):
            Schedule.parse(bad)


@pytest.mark.parametrize(
    ("amount", "binary", "text"),
    [
        ("0", False, "0"),
        ("0.5", False, "500m"),
        ("2", False, "2"),
        ("268435456", True, "256Mi"),
        ("1073741824", True, "1Gi"),
        ("1000", True, "1000"),
        ("1500", False, "1500"),
    ],
)
def test_quota_amounts_print_as_quantities(amount: str, binary: bool, text: str) -> None:
    assert format_amount(Decimal(amount), binary) == text


DATA = Path(__file__).parents[2] / "data"


def test_a_real_completed_k3s_pod_prints_as_kubectl_printed_it() -> None:
    """tests/data/k3s-pod-helm-install-completed.json, whose row kubectl printed as below (at NOW)."""
    pod = json.loads((DATA / "k3s-pod-helm-install-completed.json").read_text())
    assert pod_cells(pod, NOW) == [
        "helm-install-traefik-crd-g8s55",
        "0/1",
        "Completed",
        "0",
        "452d",
        "10.42.0.4",
        "kmaster",
        "<none>",
        "<none>",
    ]


def test_real_k3s_nodes_print_the_rows_of_kubectl_get_nodes_wide() -> None:
    """The real `noder` Node re-dressed with the values of each row of tests/data/kubectl-get-nodes-wide.txt."""
    template = json.loads((DATA / "k3s-nodes.json").read_text())["items"][0]
    _header, *lines = (DATA / "kubectl-get-nodes-wide.txt").read_text().splitlines()
    ages = {
        "raspi64-0": timedelta(days=6, minutes=30),
        "raspi64-1": timedelta(days=5, hours=23, minutes=10),
        "raspi64-2": timedelta(days=4, hours=19, minutes=40),
    }
    for line in lines:
        expected = re.split(r"\s{2,}", line.strip())
        name, _, roles, _, version, ip, _, os_image, kernel, runtime = expected
        node = copy.deepcopy(template)
        labels = {
            k: v for k, v in node["metadata"]["labels"].items() if roles != "<none>" or not k.startswith("node-role")
        }
        node["metadata"].update(name=name, labels=labels, creationTimestamp=stamp(ages[name]))
        node["status"]["addresses"] = [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name}]
        node["status"]["nodeInfo"].update(
            kubeletVersion=version, osImage=os_image, kernelVersion=kernel, containerRuntimeVersion=runtime
        )
        assert node_cells(node, NOW) == expected
