"""A NAS that stops answering, through the simulator's fault switch: pods that mount it hang in
ContainerCreating with the kubelet's FailedMount events, its writers stall, and all recovers."""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
import urllib.request
from pathlib import Path
from typing import Any, cast

import pytest

from sugarlab.sim.kubeconfig import access
from tests.sim.simcluster import apply, kubectl, needs_kubectl, wait_for

pytestmark = [
    needs_kubectl,
    pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed (`make system-packages`)"),
]
# Appends a row every 5 cluster seconds, as the storage lab's writer does.
WRITER = """import sqlite3, time, datetime
db = sqlite3.connect('/data/rows.db', isolation_level=None)
db.execute('CREATE TABLE IF NOT EXISTS rows (ts TEXT)')
while True:
    db.execute('INSERT INTO rows VALUES (?)', (datetime.datetime.now(datetime.timezone.utc).isoformat(),))
    time.sleep(5)
"""


def nas_power(kubeconfig: Path, on: bool) -> dict[str, Any]:
    server, trust, auth = access(kubeconfig)
    request = urllib.request.Request(
        f"{server}/sugarlab/v1/nas/power",
        data=json.dumps({"on": on}).encode(),
        method="POST",
        headers={"Content-Type": "application/json", **auth},
    )
    with urllib.request.urlopen(request, timeout=10, context=trust) as answer:
        return cast(dict[str, Any], json.loads(answer.read()))


def writer_pod(name: str, claim: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {
            "containers": [
                {
                    "name": "writer",
                    "image": "python:3.12-slim",
                    "command": ["python3", "-c", WRITER],
                    "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                }
            ],
            "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": claim}}],
        },
    }


def pod_json(kubeconfig: Path, name: str) -> dict[str, Any]:
    return cast(dict[str, Any], json.loads(kubectl(kubeconfig, "get", "pod", name, "-o", "json").stdout))


@pytest.fixture(scope="module")
def claim(kubeconfig: Path) -> str:
    apply(
        kubeconfig,
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {"name": "nfs-shared"},
            "provisioner": "nfs.csi.k8s.io",
            "parameters": {"server": "192.168.42.50", "share": "/export/sugarkube"},
        },
    )
    apply(
        kubeconfig,
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "rows"},
            "spec": {
                "accessModes": ["ReadWriteMany"],
                "storageClassName": "nfs-shared",
                "resources": {"requests": {"storage": "1Gi"}},
            },
        },
    )
    wait_for(
        "the claim to bind",
        lambda: (
            json.loads(kubectl(kubeconfig, "get", "pvc", "rows", "-o", "json").stdout)["status"].get("phase") == "Bound"
        ),
    )
    return "rows"


def rows(workspace: Path) -> int:
    found = list(workspace.rglob("rows.db"))
    if not found:  # the writer has yet to create it
        return 0
    assert len(found) == 1, found
    try:
        with sqlite3.connect(f"file:{found[0]}?mode=ro", uri=True, timeout=1) as db:
            return int(db.execute("SELECT count(*) FROM rows").fetchone()[0])
    except sqlite3.OperationalError:  # the outage froze the writer holding its lock: read the file as it stands
        with sqlite3.connect(f"file:{found[0]}?mode=ro&immutable=1", uri=True) as db:
            return int(db.execute("SELECT count(*) FROM rows").fetchone()[0])


def test_a_nas_that_stops_answering_stalls_writers_and_holds_new_pods_until_it_answers(
    kubeconfig: Path, sim_workspace: Path, claim: str
) -> None:
    apply(kubeconfig, writer_pod("writer", claim))
    assert kubectl(kubeconfig, "wait", "--for=condition=Ready", "pod/writer", "--timeout=60s").returncode == 0
    wait_for("rows", lambda: rows(sim_workspace) >= 3)

    assert nas_power(kubeconfig, False)["powered"] is False
    time.sleep(1)  # the kubelet notices within a tick
    stalled = rows(sim_workspace)
    apply(kubeconfig, writer_pod("latecomer", claim))
    events = wait_for(
        "FailedMount",
        lambda: [
            e
            for e in json.loads(
                kubectl(
                    kubeconfig, "get", "events", "--field-selector", "involvedObject.name=latecomer", "-o", "json"
                ).stdout
            )["items"]
            if e["reason"] == "FailedMount"
        ],
    )
    assert events[0]["type"] == "Warning" and events[0]["source"]["component"] == "kubelet"
    assert "mount.nfs: Connection timed out" in events[0]["message"]
    assert events[0]["message"].startswith('MountVolume.SetUp failed for volume "pvc-')
    time.sleep(2)
    assert rows(sim_workspace) == stalled  # the writer is blocked on its mount: no rows
    status = pod_json(kubeconfig, "latecomer")["status"]
    assert status["containerStatuses"][0]["state"]["waiting"]["reason"] == "ContainerCreating"
    table = kubectl(kubeconfig, "get", "pod", "latecomer", "--no-headers").stdout.split()
    assert table[2] == "ContainerCreating"

    assert nas_power(kubeconfig, True)["powered"] is True
    wait_for("rows again", lambda: rows(sim_workspace) > stalled + 2)
    assert kubectl(kubeconfig, "wait", "--for=condition=Ready", "pod/latecomer", "--timeout=60s").returncode == 0
    assert pod_json(kubeconfig, "writer")["status"]["containerStatuses"][0]["restartCount"] == 0
