"""Containers of the simulated cluster run what their image holds, confined, and fail as on k3s.

Driven with the real kubectl against a simulator started from the command line."""

from __future__ import annotations

import json
import re
import shutil
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.sim.simcluster import apply, kubectl, needs_kubectl, wait_for

pytestmark = [
    needs_kubectl,
    pytest.mark.skipif(
        shutil.which("bwrap") is None or shutil.which("busybox") is None,
        reason="bubblewrap and busybox are not installed (`make system-packages`)",
    ),
]


def pod(name: str, image: str, command: list[str], **spec: Any) -> dict[str, Any]:
    container = {"name": name, "image": image, "command": command, **spec.pop("container", {})}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": {"containers": [container], **spec}}


def status_of(kubeconfig: Path, name: str) -> dict[str, Any]:
    done = kubectl(kubeconfig, "get", "pod", name, "-o", "json")
    assert done.returncode == 0, done.stderr
    status: dict[str, Any] = json.loads(done.stdout)["status"]
    return status


@pytest.fixture(scope="module")
def busybox(kubeconfig: Path) -> str:
    apply(kubeconfig, pod("bb", "busybox:1.36", ["sh", "-c", "echo started; sleep 3600"]))
    done = kubectl(kubeconfig, "wait", "--for=condition=Ready", "pod/bb", "--timeout=60s")
    assert done.returncode == 0, done.stderr
    return "bb"


def test_exec_runs_a_shell_command_with_its_real_exit_code(kubeconfig: Path, busybox: str) -> None:
    done = kubectl(kubeconfig, "exec", busybox, "--", "sh", "-c", "echo hi; false")
    assert done.stdout == "hi\n"
    assert done.returncode == 1
    assert "command terminated with exit code 1" in done.stderr


def test_env_from_the_downward_api_holds_the_pods_own_fields(kubeconfig: Path) -> None:
    fields = {
        "POD_NAME": "metadata.name",
        "NODE_NAME": "spec.nodeName",
        "POD_IP": "status.podIP",
        "APP": "metadata.labels['app']",
    }
    env = [{"name": name, "valueFrom": {"fieldRef": {"fieldPath": path}}} for name, path in fields.items()]
    manifest = pod("downward", "busybox:1.36", ["sh", "-c", "sleep 3600"], container={"env": env})
    manifest["metadata"]["labels"] = {"app": "writer"}
    apply(kubeconfig, manifest)
    assert kubectl(kubeconfig, "wait", "--for=condition=Ready", "pod/downward", "--timeout=60s").returncode == 0
    shown = kubectl(kubeconfig, "exec", "downward", "--", "sh", "-c", "echo $POD_NAME $NODE_NAME $POD_IP $APP")
    placed = json.loads(kubectl(kubeconfig, "get", "pod", "downward", "-o", "json").stdout)
    assert shown.stdout.split() == ["downward", placed["spec"]["nodeName"], placed["status"]["podIP"], "writer"]


def test_exec_runs_the_images_programs_for_real(kubeconfig: Path, busybox: str) -> None:
    done = kubectl(kubeconfig, "exec", busybox, "--", "sh", "-c", "seq 3; hostname; echo $PATH")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "1",
        "2",
        "3",
        "bb",
        "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    ]


def test_a_program_the_image_lacks_is_not_found_by_its_shell(kubeconfig: Path, busybox: str) -> None:
    done = kubectl(kubeconfig, "exec", busybox, "--", "sh", "-c", "python3 -V || sqlite3 -version; apk add sqlite")
    assert done.returncode == 127
    assert done.stderr.splitlines()[:3] == ["sh: python3: not found", "sh: sqlite3: not found", "sh: apk: not found"]


def test_the_container_sees_nothing_of_this_machine(kubeconfig: Path, busybox: str) -> None:
    done = kubectl(kubeconfig, "exec", busybox, "--", "sh", "-c", f"ls /; ls {Path.cwd()} || echo gone")
    assert done.returncode == 0, done.stderr
    assert "gone" in done.stdout
    assert "home" not in done.stdout.split() and "work" not in done.stdout.split()


TUTORIAL_SCRIPT = """set -euo pipefail
apk add --no-cache sqlite
while true; do
  sqlite3 /data/measurements.db "CREATE TABLE IF NOT EXISTS metrics(ts TEXT, note TEXT);"
  sqlite3 /data/measurements.db "INSERT INTO metrics VALUES(datetime('now'), 'nfs smoke test');"
  sleep 30
done
"""


@pytest.fixture(scope="module")
def tutorial_statefulset(kubeconfig: Path) -> str:
    """Tutorial 13's StatefulSet as written, on an NFS class served by the cluster's csi-driver-nfs."""
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
    apply(kubeconfig, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "lab-scale"}})
    apply(
        kubeconfig,
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": "nfs-sqlite", "namespace": "lab-scale"},
            "spec": {
                "serviceName": "nfs-sqlite",
                "selector": {"matchLabels": {"app": "nfs-sqlite"}},
                "template": {
                    "metadata": {"labels": {"app": "nfs-sqlite"}},
                    "spec": {
                        "containers": [
                            {
                                "name": "sqlite",
                                "image": "docker.io/library/busybox:1.36",
                                "command": ["/bin/sh", "-c", TUTORIAL_SCRIPT],
                                "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                            }
                        ]
                    },
                },
                "volumeClaimTemplates": [
                    {
                        "metadata": {"name": "data"},
                        "spec": {
                            "accessModes": ["ReadWriteMany"],
                            "resources": {"requests": {"storage": "1Gi"}},
                            "storageClassName": "nfs-shared",
                        },
                    }
                ],
            },
        },
    )
    return "nfs-sqlite-0"


def _sqlite_status(kubeconfig: Path, name: str) -> dict[str, Any] | None:
    done = kubectl(kubeconfig, "get", "pod", name, "-n", "lab-scale", "-o", "json")
    if done.returncode:
        return None
    statuses: list[dict[str, Any]] = json.loads(done.stdout)["status"].get("containerStatuses") or [{}]
    return statuses[0]


def test_the_tutorials_statefulset_crash_loops_because_busybox_has_no_apk(
    kubeconfig: Path, tutorial_statefulset: str
) -> None:
    started = time.monotonic()
    status = wait_for(
        "CrashLoopBackOff",
        lambda: (
            (s := _sqlite_status(kubeconfig, tutorial_statefulset))
            and (s.get("state", {}).get("waiting") or {}).get("reason") == "CrashLoopBackOff"
            and s
        ),
    )
    assert time.monotonic() - started < 60
    assert status["lastState"]["terminated"]["exitCode"] == 127
    assert status["lastState"]["terminated"]["reason"] == "Error"
    assert status["restartCount"] >= 1
    backoff = min(10 * 2 ** (status["restartCount"] - 1), 300)  # 10 s after the second exit, doubling
    assert (
        f"back-off {backoff}s restarting failed container=sqlite pod=nfs-sqlite-0_lab-scale("
        in status["state"]["waiting"]["message"]
    )
    previous = kubectl(kubeconfig, "logs", "--previous", tutorial_statefulset, "-n", "lab-scale")
    assert previous.returncode == 0, previous.stderr
    assert previous.stdout == "/bin/sh: apk: not found\n"
    table = kubectl(kubeconfig, "get", "pod", tutorial_statefulset, "-n", "lab-scale", "--no-headers")
    # a restarted container is Running, not yet ready, until the kubelet's next relist sees it alive
    assert table.stdout.split()[1:3] in (["0/1", "CrashLoopBackOff"], ["0/1", "Error"], ["0/1", "Running"])


def test_the_back_off_doubles_between_restarts(kubeconfig: Path, tutorial_statefulset: str) -> None:
    status = wait_for(
        "a third restart",
        lambda: (
            (s := _sqlite_status(kubeconfig, tutorial_statefulset))
            and s.get("restartCount", 0) >= 3
            and "waiting" in s.get("state", {})
            and s
        ),
        timeout=90,
    )
    assert f"back-off {min(10 * 2 ** (status['restartCount'] - 1), 300)}s" in status["state"]["waiting"]["message"]
    events = kubectl(
        kubeconfig,
        "get",
        "events",
        "-n",
        "lab-scale",
        "--field-selector",
        f"involvedObject.name={tutorial_statefulset},reason=BackOff",
        "-o",
        "name",
    )
    assert events.stdout.strip()


def test_logs_previous_before_any_restart_is_refused(kubeconfig: Path, busybox: str) -> None:
    done = kubectl(kubeconfig, "logs", "--previous", busybox)
    assert done.returncode == 1
    assert 'previous terminated container "bb" in pod "bb" not found' in done.stderr
    assert kubectl(kubeconfig, "logs", busybox).stdout == "started\n"


def test_a_container_past_its_memory_limit_is_oom_killed(kubeconfig: Path) -> None:
    hog = "import time; held = bytearray(256 * 2**20); held[::4096] = b'x' * len(held[::4096]); time.sleep(600)"
    apply(
        kubeconfig,
        pod(
            "hog",
            "python:3.12-slim",
            ["python3", "-c", hog],
            restartPolicy="Never",
            container={"resources": {"limits": {"memory": "64Mi"}}},
        ),
    )
    status = wait_for(
        "the hog to end", lambda: (s := status_of(kubeconfig, "hog")) and s.get("phase") == "Failed" and s
    )
    terminated = status["containerStatuses"][0]["state"]["terminated"]
    assert (terminated["exitCode"], terminated["reason"]) == (137, "OOMKilled")
    assert status["containerStatuses"][0]["restartCount"] == 0


def test_a_pod_that_exits_zero_with_restart_policy_never_succeeds(kubeconfig: Path) -> None:
    apply(kubeconfig, pod("once", "alpine:3.20", ["sh", "-c", "echo done; exit 0"], restartPolicy="Never"))
    status = wait_for(
        "the pod to finish",
        lambda: (s := status_of(kubeconfig, "once")) and s.get("phase") in ("Succeeded", "Failed") and s,
    )
    assert status["phase"] == "Succeeded"
    assert status["containerStatuses"][0]["state"]["terminated"]["reason"] == "Completed"
    assert kubectl(kubeconfig, "logs", "once").stdout == "done\n"


def test_a_containers_clock_is_the_clusters(kubeconfig: Path, busybox: str) -> None:
    """A writer stamping rows with its own clock stamps them in cluster time, as the API server does."""
    apply(kubeconfig, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "now"}})
    created = json.loads(kubectl(kubeconfig, "get", "configmap", "now", "-o", "json").stdout)
    server = datetime.strptime(created["metadata"]["creationTimestamp"], "%Y-%m-%dT%H:%M:%SZ")
    done = kubectl(kubeconfig, "exec", busybox, "--", "date", "-u", "+%Y-%m-%dT%H:%M:%SZ")
    container = datetime.strptime(done.stdout.strip(), "%Y-%m-%dT%H:%M:%SZ")
    assert 0 <= (container - server).total_seconds() < 120  # a few real seconds at the cluster's speed


@pytest.mark.skipif(shutil.which("fio") is None, reason="fio is not installed (`make system-packages`)")
def test_fio_prints_what_fio_prints_for_the_tutorials_arguments(kubeconfig: Path) -> None:
    """Tutorial 13's fio command names no output format: fio prints its text report, with the
    container's paths and the size and runtime the run was cut to."""
    tutorial = [
        "fio",
        "--name=randread",
        "--filename=/data/benchmark/testfile",
        "--size=1G",
        "--rw=randread",
        "--bs=4k",
        "--iodepth=32",
        "--runtime=60",
        "--time_based",
        "--direct=1",
    ]
    apply(
        kubeconfig,
        pod(
            "fio",
            "ghcr.io/cloud-bulldozer/fio:3.36",
            tutorial,
            restartPolicy="Never",
            container={"volumeMounts": [{"name": "data", "mountPath": "/data"}]},
            volumes=[{"name": "data", "emptyDir": {}}],
        ),
    )
    wait_for("fio to finish", lambda: status_of(kubeconfig, "fio").get("phase") in ("Succeeded", "Failed"))
    log = kubectl(kubeconfig, "logs", "fio").stdout
    assert log.startswith("randread: (g=0): rw=randread, bs=(R) 4096B-4096B")
    assert "{" not in log.split("\n", 1)[0] and '"jobs"' not in log
    assert "Laying out IO file (1 file / 16MiB)" in log  # the size really used
    assert re.search(r"run=\d+-\d+msec", log)
    assert str(Path.home()) not in log and "/tmp/" not in log and "pytest" not in log


def test_a_command_the_image_does_not_hold_cannot_start(kubeconfig: Path) -> None:
    apply(kubeconfig, pod("noapk", "busybox:1.36", ["apk", "add", "sqlite"], restartPolicy="Never"))
    status = wait_for(
        "the start to fail", lambda: (s := status_of(kubeconfig, "noapk")) and s.get("phase") == "Failed" and s
    )
    terminated = status["containerStatuses"][0]["state"]["terminated"]
    assert (terminated["exitCode"], terminated["reason"]) == (128, "StartError")
    assert 'exec: "apk": executable file not found in $PATH' in terminated["message"]


def test_init_containers_run_in_order_before_the_pods_containers(kubeconfig: Path) -> None:
    spec = {
        "initContainers": [
            {
                "name": "prepare",
                "image": "busybox:1.36",
                "command": ["sh", "-c", "echo prepared > /work/ready"],
                "volumeMounts": [{"name": "work", "mountPath": "/work"}],
            },
            {
                "name": "check",
                "image": "busybox:1.36",
                "command": ["sh", "-c", "cat /work/ready"],
                "volumeMounts": [{"name": "work", "mountPath": "/work"}],
            },
        ],
        "volumes": [{"name": "work", "emptyDir": {}}],
    }
    apply(
        kubeconfig,
        pod(
            "inited",
            "busybox:1.36",
            ["sh", "-c", "cat /work/ready; sleep 3600"],
            container={"volumeMounts": [{"name": "work", "mountPath": "/work"}]},
            **spec,
        ),
    )
    done = kubectl(kubeconfig, "wait", "--for=condition=Ready", "pod/inited", "--timeout=60s")
    assert done.returncode == 0, done.stderr
    status = status_of(kubeconfig, "inited")
    assert [(s["name"], s["state"]["terminated"]["exitCode"]) for s in status["initContainerStatuses"]] == [
        ("prepare", 0),
        ("check", 0),
    ]
    assert kubectl(kubeconfig, "logs", "inited", "-c", "check").stdout == "prepared\n"
    assert kubectl(kubeconfig, "logs", "inited", "-c", "inited").stdout == "prepared\n"


def test_a_failing_init_container_holds_the_pod_in_init_crash_loop(kubeconfig: Path) -> None:
    apply(
        kubeconfig,
        pod(
            "initfail",
            "busybox:1.36",
            ["sleep", "3600"],
            initContainers=[{"name": "wait-db", "image": "busybox:1.36", "command": ["sh", "-c", "exit 3"]}],
        ),
    )
    status = wait_for(
        "Init:CrashLoopBackOff",
        lambda: (
            (s := status_of(kubeconfig, "initfail"))
            and ((s.get("initContainerStatuses") or [{}])[0].get("state", {}).get("waiting") or {}).get("reason")
            == "CrashLoopBackOff"
            and s
        ),
    )
    assert status["phase"] == "Pending"
    assert status["initContainerStatuses"][0]["lastState"]["terminated"]["exitCode"] == 3
    initialized = next(c for c in status["conditions"] if c["type"] == "Initialized")
    assert initialized["status"] == "False" and initialized["message"] == "containers with incomplete status: [wait-db]"
    row = kubectl(kubeconfig, "get", "pod", "initfail", "--no-headers").stdout.split()
    assert row[2] in ("Init:CrashLoopBackOff", "Init:Error", "Init:0/1")


def _events(kubeconfig: Path, name: str) -> list[tuple[str, str]]:
    done = kubectl(kubeconfig, "get", "events", "--field-selector", f"involvedObject.name={name}", "-o", "json")
    assert done.returncode == 0, done.stderr
    return [(e["reason"], e["message"]) for e in json.loads(done.stdout)["items"]]


def test_a_failing_liveness_probe_restarts_the_container(kubeconfig: Path) -> None:
    # The Kubernetes documentation's liveness example: healthy for 30 s, then the probe's file is gone.
    probe = {"exec": {"command": ["cat", "/tmp/healthy"]}, "initialDelaySeconds": 5, "periodSeconds": 5}
    command = ["sh", "-c", "touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600"]
    apply(kubeconfig, pod("liveness", "busybox:1.36", command, container={"livenessProbe": probe}))
    restarted = wait_for(
        "a restart after failed liveness probes",
        lambda: (s := status_of(kubeconfig, "liveness")["containerStatuses"][0])["restartCount"] >= 1 and s,
    )
    assert restarted["lastState"]["terminated"]["exitCode"] == 137
    events = _events(kubeconfig, "liveness")
    unhealthy = [m for r, m in events if r == "Unhealthy"]
    assert unhealthy and unhealthy[0].startswith("Liveness probe failed: cat: can't open '/tmp/healthy'")
    assert ("Killing", "Container liveness failed liveness probe, will be restarted") in events


def test_a_readiness_probe_holds_the_pod_not_ready_until_it_passes(kubeconfig: Path) -> None:
    probe = {"exec": {"command": ["test", "-e", "/tmp/ready"]}, "periodSeconds": 2}
    command = ["sh", "-c", "sleep 300; touch /tmp/ready; sleep 600"]
    apply(kubeconfig, pod("readiness", "busybox:1.36", command, container={"readinessProbe": probe}))
    running = wait_for(
        "the pod to run", lambda: (s := status_of(kubeconfig, "readiness")).get("phase") == "Running" and s
    )
    assert running["containerStatuses"][0]["ready"] is False
    assert {c["type"]: c["status"] for c in running["conditions"]}["Ready"] == "False"
    done = kubectl(kubeconfig, "wait", "--for=condition=Ready", "pod/readiness", "--timeout=60s")
    assert done.returncode == 0, done.stderr
    assert status_of(kubeconfig, "readiness")["containerStatuses"][0]["restartCount"] == 0


def test_a_container_that_exits_at_once_never_makes_its_pod_ready(kubeconfig: Path) -> None:
    """The tutorial's busybox StatefulSet runs `apk`, which busybox lacks: its container exits 127 before the
    kubelet's next relist sees it running, so on k3s its pod is never Ready and its rollout never completes."""
    script = "set -euo pipefail\napk add --no-cache sqlite\nsleep 3600\n"
    labels = {"app": "apk-less"}
    container = {"name": "sqlite", "image": "docker.io/library/busybox:1.36", "command": ["/bin/sh", "-c", script]}
    apply(
        kubeconfig,
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": "apk-less"},
            "spec": {
                "serviceName": "apk-less",
                "selector": {"matchLabels": labels},
                "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
            },
        },
    )
    rollout = kubectl(kubeconfig, "rollout", "status", "statefulset/apk-less", "--timeout=15s")
    assert rollout.returncode != 0 and "roll out complete" not in rollout.stdout, rollout.stdout
    pod = wait_for(
        "the container's exit",
        lambda: (s := status_of(kubeconfig, "apk-less-0"))["containerStatuses"][0]["restartCount"] >= 1 and s,
    )
    assert pod["containerStatuses"][0]["lastState"]["terminated"]["exitCode"] == 127
    ready = next(c for c in pod["conditions"] if c["type"] == "Ready")
    # never Ready: the condition has been False since the pod started
    assert ready["status"] == "False" and ready["lastTransitionTime"] == pod["startTime"], pod["conditions"]
    sts = json.loads(kubectl(kubeconfig, "get", "statefulset", "apk-less", "-o", "json").stdout)
    assert not sts["status"].get("readyReplicas")


def test_a_host_path_is_the_nodes_own_directory_and_outlives_its_pods(kubeconfig: Path) -> None:
    cache = {"name": "cache", "hostPath": {"path": "/var/lib/sugarlab/test-cache", "type": "DirectoryOrCreate"}}
    mounted = {"volumeMounts": [{"name": "cache", "mountPath": "/cache"}]}

    def run(name: str, node: str, script: str) -> str:
        spec = {"nodeName": node, "restartPolicy": "Never", "volumes": [cache], "container": mounted}
        apply(kubeconfig, pod(name, "busybox:1.36", ["sh", "-c", script], **spec))
        wait_for(f"{name} to end", lambda: status_of(kubeconfig, name).get("phase") in ("Succeeded", "Failed"))
        return kubectl(kubeconfig, "logs", name).stdout

    run("hp-write", "sugarkube1", "echo kept > /cache/model")
    assert run("hp-read", "sugarkube1", "cat /cache/model") == "kept\n"  # another pod of the node finds it
    assert "No such file" in run("hp-elsewhere", "sugarkube2", "cat /cache/model 2>&1")  # no other node sees it
    missing = {"name": "cache", "hostPath": {"path": "/var/lib/sugarlab/absent", "type": "Directory"}}
    apply(kubeconfig, pod("hp-missing", "busybox:1.36", ["true"], volumes=[missing], container=mounted))
    wait_for(
        "the mount to fail",
        lambda: any(
            "hostPath type check failed: /var/lib/sugarlab/absent is not a directory" in m
            for _, m in _events(kubeconfig, "hp-missing")
        ),
    )
