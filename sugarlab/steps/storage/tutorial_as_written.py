"""The tutorial's SQLite StatefulSet exactly as written, run to show how it fails, then removed.

Its container is `busybox:1.36` running `apk add --no-cache sqlite` under `set -euo pipefail`.
busybox has no `apk` (nor `sqlite3`), so the shell exits 127 (`apk: not found`, POSIX's status for
a command not found) and the kubelet restarts it with back-off until the pod reads CrashLoopBackOff.
On the simulator its image holds busybox's programs only, so it fails there as on k3s.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from kubernetes import client

from sugarlab.kube.apply import server_side_apply
from sugarlab.kube.errors import ApiError
from sugarlab.kube.wait import Pending, Pods, wait_for
from sugarlab.lab.errors import StoragePending, WaitTimeout
from sugarlab.lab.params import LabParams
from sugarlab.lab.session import Lab
from sugarlab.steps.storage.writer import CLAIM, CONTAINER, NAME, NAMESPACE, POD, diagnose

LOG = "storage/tutorial-statefulset-as-written.log"
CRASH_TIMEOUT_S = 300.0  # cluster seconds: three restarts on the kubelet's back-off (10 s doubling) fit easily
# cluster seconds: a pod's default terminationGracePeriodSeconds is 30 (core/v1 PodSpec), doubled for the claim's finalizer
REMOVE_TIMEOUT_S = 60.0
# Tutorial 13, step 4 (shared/reference/tutorial-13-advanced-operations.md, lines 241-284), verbatim.
MANIFEST = """\
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: nfs-sqlite
  namespace: lab-scale
spec:
  serviceName: nfs-sqlite
  selector:
    matchLabels:
      app: nfs-sqlite
  template:
    metadata:
      labels:
        app: nfs-sqlite
    spec:
      containers:
        - name: sqlite
          image: docker.io/library/busybox:1.36
          command:
            - "/bin/sh"
            - "-c"
            - |
              set -euo pipefail
              apk add --no-cache sqlite
              while true; do
                sqlite3 /data/measurements.db "CREATE TABLE IF NOT EXISTS metrics(ts TEXT, note TEXT);"
                sqlite3 /data/measurements.db "INSERT INTO metrics VALUES(datetime('now'), 'nfs smoke test');"
                sleep 30
              done
          volumeMounts:
            - name: data
              mountPath: /data
  volumeClaimTemplates:
    - metadata:
        name: data
      spec:
        accessModes:
          - ReadWriteMany
        resources:
          requests:
            storage: 1Gi
        storageClassName: nfs-shared
"""


@dataclass(frozen=True)
class Crash:
    """What the cluster showed of the tutorial's pod: its waiting reason, restarts and last exit."""

    node: str
    reason: str  # CrashLoopBackOff
    restarts: int
    exit_code: int
    previous_log: str  # `kubectl logs --previous`

    def text(self) -> str:
        return (
            f"pod {NAMESPACE}/{POD} on {self.node}: {self.reason}, restarts {self.restarts}, "
            f"last exit code {self.exit_code}\n--- kubectl logs {POD} -n {NAMESPACE} --previous ---\n"
            f"{self.previous_log.rstrip()}\n"
        )


def wanted(params: LabParams) -> bool:
    """Whether to run it: asked for, or on the simulator by default (on a live cluster it would crash-loop
    on the user's NAS claim, so it runs there only when `tutorial_statefulset` is "on")."""
    return params.tutorial_statefulset == "on" or (params.tutorial_statefulset == "auto" and params.backend == "sim")


def manifest() -> dict[str, Any]:
    return dict(yaml.safe_load(MANIFEST))


def _crashing(lab: Lab) -> client.V1Pod | Pending:
    """The pod once in CrashLoopBackOff; before, how far along: created, crashed once, backing off."""
    try:
        pod = lab.cluster.core.read_namespaced_pod(POD, NAMESPACE)
    except ApiError as error:
        if error.status != 404:
            raise
        return Pending(0, 3, f"{POD} not created yet")
    for status in pod.status.container_statuses or []:
        waiting = status.state.waiting.reason if status.state and status.state.waiting else ""
        crashed = status.last_state is not None and status.last_state.terminated is not None
        if waiting == "CrashLoopBackOff" and crashed:
            return pod
        return Pending(1 + crashed, 3, f"{POD} {waiting or 'running'}, restarts {status.restart_count}")
    return Pending(1, 3, f"{POD} {pod.status.phase}")


def run(lab: Lab, progress: bool = True) -> Crash:
    """Apply the tutorial's StatefulSet, wait for CrashLoopBackOff, and keep its evidence in `LOG`."""
    server_side_apply(lab.cluster, [manifest()], NAMESPACE)
    try:
        pod = wait_for(
            lambda: _crashing(lab),
            f"{NAME} (as written) to crash",
            CRASH_TIMEOUT_S,
            speed=lab.cluster.speed,
            progress=progress,
            pods=Pods(lab.cluster.core, NAMESPACE, f"app={NAME}", ""),  # the tutorial's own image
        )
    except WaitTimeout as late:
        raise StoragePending(
            f"the tutorial's {NAME} did not reach CrashLoopBackOff in {CRASH_TIMEOUT_S:.0f} s "
            f"({late.last.seen})\n{diagnose(lab)}"
        ) from None
    status = next(s for s in pod.status.container_statuses if s.name == CONTAINER)
    log = lab.cluster.core.read_namespaced_pod_log(POD, NAMESPACE, container=CONTAINER, previous=True)
    crash = Crash(
        pod.spec.node_name,
        status.state.waiting.reason,
        status.restart_count,
        status.last_state.terminated.exit_code,
        log,
    )
    lab.workspace.write_text(LOG, crash.text())
    return crash


def remove(lab: Lab, progress: bool = True) -> None:
    """Delete the StatefulSet and its claim (a StatefulSet leaves its claims behind), and wait until both are gone."""
    core, apps = lab.cluster.core, client.AppsV1Api(lab.cluster.api)
    for delete, name in (
        (apps.delete_namespaced_stateful_set, NAME),
        (core.delete_namespaced_persistent_volume_claim, CLAIM),
    ):
        try:
            delete(name, NAMESPACE, propagation_policy="Foreground")
        except ApiError as error:
            if error.status != 404:
                raise

    objects = (
        (apps.read_namespaced_stateful_set, NAME),
        (core.read_namespaced_pod, POD),
        (core.read_namespaced_persistent_volume_claim, CLAIM),
    )

    def gone() -> bool | Pending:
        left = []
        for read, name in objects:
            try:
                read(name, NAMESPACE)
                left.append(name)
            except ApiError as error:
                if error.status != 404:
                    raise
        return True if not left else Pending(len(objects) - len(left), len(objects), ", ".join(left))

    wait_for(
        gone,
        f"{NAME} (as written) removed",
        REMOVE_TIMEOUT_S,
        speed=lab.cluster.speed,
        progress=progress,
        counts=lambda _: (len(objects), len(objects)),  # all gone, also when the first look found none
    )
