"""The `nfs-sqlite` StatefulSet: a writer appending rows to SQLite on a shared claim, and how to read it.

The tutorial's manifest cannot run: busybox has no `apk` (nor `sqlite3`), and under `set -e` the first
missing command ends the script (`tutorial_as_written` shows it fail). The writer here is `sugarlab/payloads/sqlite_writer.py`, standard-library Python
run with `python3 -c` in the official python image, which ships SQLite. The same file, run through
`kubectl exec`, is the checker, so what the lab reads is read by the pod itself, on its mount.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException
from kubernetes.stream import stream

from sugarlab.kube.apply import server_side_apply
from sugarlab.kube.inventory import cluster_now
from sugarlab.kube.wait import Pending, Pods, wait_for
from sugarlab.lab.errors import ProbeFailed, StoragePending, WaitTimeout
from sugarlab.lab.params import LabParams
from sugarlab.lab.session import Lab
from sugarlab.payloads import sqlite_writer

NAMESPACE, NAME, CONTAINER = "lab-scale", "nfs-sqlite", "sqlite"
POD = f"{NAME}-0"
CLAIM = f"data-{NAME}-0"
DB_PATH = "/data/measurements.db"
MANIFEST = "storage/statefulset-sqlite.yaml"
WRITER_SOURCE = Path(sqlite_writer.__file__).read_text()
NFS_HINTS = """The tutorial's checks for an NFS claim stuck in Pending:
* the export allows the worker node IPs (`/etc/exports` on the NAS, then `sudo exportfs -ra`);
* the firewall between nodes and NAS lets TCP/2049 through;
* `showmount -e <server>` from each node lists the export (package `nfs-common`);
* the provisioner's own log: `kubectl -n kube-system logs deploy/csi-nfs-controller -c nfs`."""


@dataclass(frozen=True)
class Probe:
    """What the pod itself read from its database."""

    at: datetime  # cluster time of the read
    node: str
    rows: int
    last_id: int
    last_ts: str | None
    integrity: str
    upto: int
    rows_upto: int
    digest_upto: str


def manifests(p: LabParams) -> list[dict[str, Any]]:
    key, value_effect = p.worker_taint.split("=", 1)
    value, effect = value_effect.split(":")
    tolerations: list[dict[str, Any]] = (
        [{"key": key, "operator": "Equal", "value": value, "effect": effect}] if p.tolerate_worker_taint else []
    )
    # Leave an unreachable node sooner than the default 300 s, so a lost node costs seconds of writes.
    tolerations += [
        {
            "key": f"node.kubernetes.io/{t}",
            "operator": "Exists",
            "effect": "NoExecute",
            "tolerationSeconds": p.eviction_seconds,
        }
        for t in ("unreachable", "not-ready")
    ]
    # The shared class is mounted read-write by every node; other classes (local-path) only allow one node.
    access = "ReadWriteMany" if p.storage_class == "nfs-shared" else "ReadWriteOnce"
    labels = {"app": NAME}
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": NAME, "namespace": NAMESPACE, "labels": labels},
        "spec": {"clusterIP": "None", "selector": labels, "ports": [{"name": "none", "port": 80}]},
    }
    container = {
        "name": CONTAINER,
        "image": p.storage_image,
        "command": ["python3", "-c", WRITER_SOURCE],
        "env": [
            {"name": "DB_PATH", "value": DB_PATH},
            {"name": "INTERVAL_SECONDS", "value": f"{p.write_interval:g}"},
            {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
        ],
        "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}, "limits": {"memory": "96Mi"}},
        "volumeMounts": [{"name": "data", "mountPath": "/data"}],
    }
    statefulset = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": NAME, "namespace": NAMESPACE},
        "spec": {
            "serviceName": NAME,
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    # Off the controller: a failure experiment must never take the control plane with it.
                    "affinity": {
                        "nodeAffinity": {
                            "requiredDuringSchedulingIgnoredDuringExecution": {
                                "nodeSelectorTerms": [
                                    {
                                        "matchExpressions": [
                                            {"key": "node-role.kubernetes.io/control-plane", "operator": "DoesNotExist"}
                                        ]
                                    }
                                ]
                            }
                        }
                    },
                    "tolerations": tolerations,
                    "terminationGracePeriodSeconds": 10,
                    "containers": [container],
                },
            },
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "data"},
                    "spec": {
                        "accessModes": [access],
                        "storageClassName": p.storage_class,
                        "resources": {"requests": {"storage": p.storage_size}},
                    },
                }
            ],
        },
    }
    return [service, statefulset]


def deploy(lab: Lab, docs: list[dict[str, Any]]) -> None:
    lab.workspace.write_text(MANIFEST, yaml.safe_dump_all(docs, sort_keys=False))
    server_side_apply(lab.cluster, docs, NAMESPACE)


def ready_pod(lab: Lab) -> client.V1Pod | None:
    try:
        pod = lab.cluster.core.read_namespaced_pod(POD, NAMESPACE)
    except ApiException as error:
        if error.status == 404:
            return None
        raise
    ok = pod.metadata.deletion_timestamp is None and any(
        c.type == "Ready" and c.status == "True" for c in pod.status.conditions or []
    )
    return pod if ok else None


def writer_pods(lab: Lab) -> Pods:
    """The writer's pods, for waits that end at once when its image cannot be pulled."""
    return Pods(lab.cluster.core, NAMESPACE, f"app={NAME}", "storage_image")


def wait_ready(lab: Lab, timeout: float | None = None, progress: bool = True) -> client.V1Pod:
    """`kubectl rollout status statefulset/nfs-sqlite`; a claim or pod stuck Pending gets a diagnosis."""

    def ready() -> client.V1Pod | Pending:
        pod = ready_pod(lab)
        return Pending(0, 1) if pod is None else pod

    try:
        return wait_for(
            ready,
            f"{NAME} rollout",
            timeout or lab.params.storage_timeout,
            speed=lab.cluster.speed,
            progress=progress,
            pods=writer_pods(lab),
        )
    except WaitTimeout:
        raise StoragePending(diagnose(lab)) from None


def diagnose(lab: Lab) -> str:
    """Why the writer is not ready: its claim's and pod's state and events, with the tutorial's NFS hints."""
    core, lines = lab.cluster.core, []
    try:
        claim = core.read_namespaced_persistent_volume_claim(CLAIM, NAMESPACE)
        lines.append(
            f"claim {NAMESPACE}/{CLAIM}: {claim.status.phase} (class {claim.spec.storage_class_name}, "
            f"volume {claim.spec.volume_name or 'none'})"
        )
        pending = claim.status.phase == "Pending"
    except ApiException:
        lines.append(f"claim {NAMESPACE}/{CLAIM} does not exist yet")
        pending = False
    events = core.list_namespaced_event(NAMESPACE).items
    for kind, name in (("PersistentVolumeClaim", CLAIM), ("Pod", POD)):
        for event in sorted(
            (e for e in events if e.involved_object.kind == kind and e.involved_object.name == name),
            key=lambda e: e.last_timestamp or e.event_time or 0,
        ):
            lines.append(f"  {kind} {name}: {event.type} {event.reason}: {event.message}")
    if pending:
        lines.append(NFS_HINTS)
    return "\n".join(lines)


def _exec(lab: Lab, command: list[str], timeout: float) -> str:
    try:
        channel = stream(
            lab.cluster.core.connect_get_namespaced_pod_exec,
            POD,
            NAMESPACE,
            command=command,
            container=CONTAINER,
            stderr=True,
            stdin=False,
            stdout=True,
            tty=False,
            _preload_content=False,
        )
        channel.run_forever(timeout=timeout)
        out, err, code = channel.read_stdout(), channel.read_stderr(), channel.returncode
        channel.close()
    except ApiException as error:
        raise ProbeFailed(f"exec into {NAMESPACE}/{POD} failed: {error.reason or error}") from None
    if code != 0:
        raise ProbeFailed(f"the check in {NAMESPACE}/{POD} exited {code}: {err.strip() or out.strip()}")
    return str(out)


def probe(lab: Lab, upto: int = 2**62, timeout: float = 60.0) -> Probe:
    """Read the database through exec into the pod: rows, last row, integrity, and the rows up to `upto`."""
    node = lab.cluster.core.read_namespaced_pod(POD, NAMESPACE).spec.node_name
    found = json.loads(_exec(lab, ["python3", "-c", WRITER_SOURCE, "check", DB_PATH, str(upto)], timeout))
    return Probe(at=cluster_now(lab.cluster), node=node, **found)


def history(lab: Lab, timeout: float = 60.0) -> pd.DataFrame:
    """Every row the writers wrote: id, time and node, read through exec."""
    rows = json.loads(_exec(lab, ["python3", "-c", WRITER_SOURCE, "history", DB_PATH], timeout))
    frame = pd.DataFrame(rows, columns=["id", "ts", "node"])
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    return frame
