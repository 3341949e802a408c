"""The kubelet's side of containers that run for real: exits, restarts and CrashLoopBackOff.

What the kubelet does (pkg/kubelet/kuberuntime/kuberuntime_manager.go, `doBackOff`, and
pkg/kubelet/kubelet.go's `backOffPeriod` 10 s and `MaxContainerBackOff` 300 s): a container that
exits is restarted when the pod's restartPolicy says so (`Always`; `OnFailure` after a non-zero
exit). The first restart is at once; each later one waits a back-off that starts at 10 s and doubles
up to 5 minutes, measured from the last exit, while the container waits in `CrashLoopBackOff`. The
exit is kept in `lastState.terminated` with its exit code and reason, and `restartCount` counts the
restarts. A pod none of whose containers will run again ends `Succeeded` (every exit 0) or `Failed`.

A container the kubelet has just started counts as running only once its next relist of the runtime
(PLEG, pkg/kubelet/pleg/generic.go, every second: `genericPlegRelistPeriod` in pkg/kubelet/kubelet.go) finds
it running; only then is a probe-less one ready and are its probes run. One whose process exits before
that is reported terminated and is never ready, so a container that fails at once never makes its
pod Ready, nor a rollout complete.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

from sugarlab.common.kubectl import format_time, parse_time
from sugarlab.common.objects import Obj
from sugarlab.sim.kubelet.containers import Exit, SandboxMissing, command_of
from sugarlab.sim.kubelet.exec import runnable
from sugarlab.sim.kubelet.probes import Prober
from sugarlab.sim.kubelet.processes import LocalProcesses
from sugarlab.sim.kubelet.sandbox import confine
from sugarlab.sim.storage import events
from sugarlab.sim.storage.store import Store
from sugarlab.sim.world.images import lookup, stand_in
from sugarlab.sim.world.workloads import behaviour

BACKOFF_S, MAX_BACKOFF_S = 10.0, 300.0
RELIST_S = 1.0  # pkg/kubelet/pleg/generic.go: the runtime is relisted every second (of the cluster's clock)
# the processes run in real time, whatever the cluster's speed: a relist never comes sooner than this after a
# start, so a process that dies at once (a program not found, a bad option) is never seen running
SEEN_AFTER_S = 0.3
UNSEEN = {"ready": False, "started": False}  # a container started since the last relist


def runs_for_real(container: Obj) -> bool:
    """A container whose spec gives its command (or whose image's own command the catalogue runs: nginx's), and
    that no modelled behaviour covers (stress, fio, the inference service). One that runs its image's own
    entrypoint otherwise (a k3s add-on's server) is modelled."""
    acts = behaviour(container)
    return bool(command_of(container)) and acts.duration is None and not (acts.busy or acts.local)


class ContainerLifecycle:
    def __init__(self, store: Store, processes: LocalProcesses, state_dir: Path) -> None:
        self.store, self.processes, self.state_dir = store, processes, state_dir
        self._backoff: dict[tuple[str, str], float] = {}  # (pod uid, container) -> current back-off, seconds
        self._restart_at: dict[tuple[str, str], float] = {}  # (pod uid, container) -> when it starts again
        self._refused: dict[tuple[str, str], str] = {}  # (pod uid, container) -> why its program could not start
        self._relist_at: dict[tuple[str, str], float] = {}  # (pod uid, container) -> when a relist first sees it
        self.prober = Prober(store, state_dir, processes.confined)

    def start(self, pod: Obj, container: Obj, host: str) -> None:
        command, key = command_of(container), (pod["metadata"]["uid"], container["name"])
        if not runnable(container, command[0]):
            # runc's error when the program is not in the image, as containerd reports it (exit 128)
            message = (
                "failed to create containerd task: failed to create shim task: OCI runtime create failed: "
                "runc create failed: unable to start container process: error during container init: "
                f'exec: "{command[0]}": executable file not found in $PATH: unknown'
            )
            self._refused[key] = message
            events.record(self.store, pod, "Failed", f"Error: {message}", "kubelet", host=host, warning=True)
            return
        try:
            confined = confine(self.store, self.state_dir, pod, container, command)
        except SandboxMissing as missing:
            self._refused[key] = str(missing)
            events.record(self.store, pod, "Failed", f"Error: {missing}", "kubelet", host=host, warning=True)
            return
        self._refused.pop(key, None)
        self.prober.restarted(*key)
        self.processes.confined.start(key[0], container, confined)
        self._relist_at[key] = time.monotonic() + max(RELIST_S / self.store.clock.rate(), SEEN_AFTER_S)
        image = lookup(container["image"])
        if (stand_in_message := stand_in(image)) is not None:
            events.record(
                self.store, pod, "Pulled", f'Image "{container["image"]}": {stand_in_message}', "kubelet", host=host
            )
        if not image.catalogued:
            events.record(
                self.store,
                pod,
                "Pulled",
                f'Image "{container["image"]}" is not in the simulator\'s '
                f"catalogue: modelled generically, holding only the program named like it",
                "kubelet",
                host=host,
            )

    def tend(self, pod: Obj, host: str, now: datetime) -> None:
        """Notice exits, restart what is due, and write what changed into the pod's status."""
        uid, stamp = pod["metadata"]["uid"], format_time(now)
        changes: dict[str, Obj] = {}
        for container in (c for c in pod["spec"]["containers"] if runs_for_real(c)):
            key, name = (uid, container["name"]), container["name"]
            status = next(s for s in pod["status"]["containerStatuses"] if s["name"] == name)
            waiting = status["state"].get("waiting")
            if waiting is not None and waiting.get("reason") == "CrashLoopBackOff":
                if now.timestamp() >= self._restart_at.get(key, 0.0):
                    self.start(pod, container, host)
                    changes[name] = {
                        "state": {"running": {"startedAt": stamp}},
                        "restartCount": status["restartCount"] + 1,
                        **UNSEEN,
                    }
                    self._started_events(pod, name, host)
                continue
            if "running" not in status["state"]:
                continue
            if key in self._refused:
                ended: Exit | None = Exit(128, "StartError", self._refused[key])
            elif not self.processes.confined.runs(uid, name):  # its node or the simulator restarted, and so did it
                ended = Exit(255, "Unknown")
                self._backoff.pop(key, None)
            else:
                ended = self.processes.confined.poll(uid, name)
            if ended is not None:
                changes[name] = self._exited(pod, container, status, ended, now, host)
            else:
                self._probe(pod, container, status, now, host, changes)
        if changes:
            self.store.update(
                self.store.kind("Pod"),
                pod["metadata"]["namespace"],
                pod["metadata"]["name"],
                lambda obj: _apply(obj, changes, stamp),
            )

    def _exited(self, pod: Obj, container: Obj, status: Obj, ended: Exit, now: datetime, host: str) -> Obj:
        uid, name = pod["metadata"]["uid"], container["name"]
        key, stamp = (uid, name), format_time(now)
        terminated = {
            "exitCode": ended.code,
            "reason": ended.reason,
            **({"message": ended.message} if ended.message else {}),
            "startedAt": status["state"]["running"]["startedAt"],
            "finishedAt": stamp,
            "containerID": status.get("containerID", ""),
        }
        policy = pod["spec"].get("restartPolicy", "Always")
        if policy == "Never" or (policy == "OnFailure" and ended.code == 0):
            return {"state": {"terminated": terminated}, "ready": False, "started": False}
        backoff = self._backoff.get(key)
        self._backoff[key] = BACKOFF_S if backoff is None else min(backoff * 2, MAX_BACKOFF_S)
        if backoff is None:  # the first exit: restarted at once
            self.start(pod, container, host)
            self._started_events(pod, name, host)
            return {
                "state": {"running": {"startedAt": stamp}},
                "lastState": {"terminated": terminated},
                "restartCount": status["restartCount"] + 1,
                **UNSEEN,
            }
        self._restart_at[key] = now.timestamp() + backoff
        message = (
            f"back-off {backoff:.0f}s restarting failed container={name} pod={pod['metadata']['name']}_"
            f"{pod['metadata']['namespace']}({uid})"
        )
        events.record(
            self.store,
            pod,
            "BackOff",
            f"Back-off restarting failed container {name} in pod "
            f"{pod['metadata']['name']}_{pod['metadata']['namespace']}({uid})",
            "kubelet",
            host=host,
            warning=True,
        )
        return {
            "state": {"waiting": {"reason": "CrashLoopBackOff", "message": message}},
            "lastState": {"terminated": terminated},
            "ready": False,
            "started": False,
        }

    def _probe(self, pod: Obj, container: Obj, status: Obj, now: datetime, host: str, changes: dict[str, Obj]) -> None:
        """Run the container's probes once a relist has seen it running; kill it when its liveness or startup
        probe fails for good."""
        name = container["name"]
        if time.monotonic() < self._relist_at.get((pod["metadata"]["uid"], name), 0.0):
            return
        started_at = parse_time(status["state"]["running"]["startedAt"]).timestamp()
        verdict = self.prober.verdict(pod, container, started_at, now.timestamp(), host)
        if verdict.kill:
            events.record(self.store, pod, "Killing", verdict.kill, "kubelet", host=host)
            self.processes.confined.kill(pod["metadata"]["uid"], name)  # its exit is seen on the next tend
        if (status.get("started"), status.get("ready")) != (verdict.started, verdict.ready):
            changes[name] = {"started": verdict.started, "ready": verdict.ready}

    def initial_status(self, pod: Obj, stamp: str) -> None:
        """A pod whose real containers just started: not ready (or started) until a relist sees them running
        and their probes say so."""
        _apply(pod, {c["name"]: dict(UNSEEN) for c in pod["spec"]["containers"] if runs_for_real(c)}, stamp)

    def _started_events(self, pod: Obj, name: str, host: str) -> None:
        image = next(c["image"] for c in pod["spec"]["containers"] if c["name"] == name)
        events.record(
            self.store, pod, "Pulled", f'Container image "{image}" already present on machine', "kubelet", host=host
        )
        events.record(self.store, pod, "Created", f"Created container: {name}", "kubelet", host=host)
        events.record(self.store, pod, "Started", f"Started container {name}", "kubelet", host=host)

    def forget(self, uid: str) -> None:
        self.prober.forget(uid)
        for key in [k for k in {*self._backoff, *self._restart_at, *self._refused, *self._relist_at} if k[0] == uid]:
            self._relist_at.pop(key, None)
            self._backoff.pop(key, None)
            self._restart_at.pop(key, None)
            self._refused.pop(key, None)


def _apply(pod: Obj, changes: dict[str, Obj], stamp: str) -> None:
    """Write container changes into the pod's status, with the pod's phase and readiness that follow."""
    statuses = pod["status"]["containerStatuses"]
    for status in statuses:
        status.update(changes.get(status["name"], {}))
        status["ready"] = "running" in status["state"] and status.get("ready", True)
    ready = all(s["ready"] for s in statuses)
    for condition in pod["status"]["conditions"]:
        if condition["type"] in ("Ready", "ContainersReady") and (condition["status"] == "True") != ready:
            condition["status"], condition["lastTransitionTime"] = ("True" if ready else "False"), stamp
            if ready:
                condition.pop("reason", None)
            else:
                condition["reason"] = "ContainersNotReady"
    ended = [s["state"].get("terminated") for s in statuses]
    if all(ended):
        pod["status"]["phase"] = "Succeeded" if all(t["exitCode"] == 0 for t in ended if t) else "Failed"
