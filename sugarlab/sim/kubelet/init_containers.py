"""Init containers, as the kubelet runs them: one at a time, in order, each to a successful exit,
before any of the pod's containers starts (pkg/kubelet/kuberuntime's `computeInitContainerActions`).

While they run the pod is `Pending` with `Initialized` False ("containers with incomplete status"),
its containers wait in `PodInitializing`, and `kubectl get pods` prints `Init:N/M`. An init container
that fails is run again with the kubelet's back-off (`Init:CrashLoopBackOff`), unless the pod's
restartPolicy is Never, when the pod fails. Each runs for real, confined (`sugarlab.sim.kubelet.sandbox`).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sugarlab.common.kubectl import format_time, new_condition
from sugarlab.common.objects import Obj
from sugarlab.sim.apis.pods import waiting_status
from sugarlab.sim.kubelet.container_lifecycle import BACKOFF_S, MAX_BACKOFF_S
from sugarlab.sim.kubelet.containers import command_of
from sugarlab.sim.kubelet.processes import LocalProcesses
from sugarlab.sim.kubelet.sandbox import confine
from sugarlab.sim.storage import events
from sugarlab.sim.storage.store import Store


class InitContainers:
    def __init__(self, store: Store, processes: LocalProcesses, state_dir: Path) -> None:
        self.store, self.processes, self.state_dir = store, processes, state_dir
        self._backoff: dict[tuple[str, str], float] = {}
        self._restart_at: dict[tuple[str, str], float] = {}

    def done(self, pod: Obj, host: str, now: datetime) -> bool:
        """Whether every init container has exited 0; until then run them, keeping the pod's status."""
        inits = pod["spec"].get("initContainers") or []
        if not inits:
            return True
        uid, stamp = pod["metadata"]["uid"], format_time(now)
        statuses = {s["name"]: s for s in pod.get("status", {}).get("initContainerStatuses") or []}
        changed: dict[str, Obj] = {}
        for container in inits:
            name, key = container["name"], (uid, container["name"])
            status = statuses.get(name) or waiting_status(container, "PodInitializing")
            state = status["state"]
            if (state.get("terminated") or {}).get("exitCode") == 0:
                continue
            if "running" in state:
                ended = self.processes.confined.poll(uid, name) if self.processes.confined.runs(uid, name) else None
                if ended is None and self.processes.confined.runs(uid, name):
                    return False
                if ended is None:  # started before the simulator restarted: run it again
                    changed[name] = self._start(pod, container, status, host, stamp)
                    break
                terminated = {
                    "exitCode": ended.code,
                    "reason": ended.reason,
                    "startedAt": state["running"]["startedAt"],
                    "finishedAt": stamp,
                }
                if ended.code == 0:
                    changed[name] = {**status, "state": {"terminated": terminated}, "ready": True, "started": False}
                    continue
                if pod["spec"].get("restartPolicy", "Always") == "Never":
                    changed[name] = {**status, "state": {"terminated": terminated}, "started": False}
                    self._write(pod, statuses, changed, stamp, failed=True)
                    return False
                backoff = self._backoff.get(key, 0.0)
                self._backoff[key] = BACKOFF_S if not backoff else min(backoff * 2, MAX_BACKOFF_S)
                if not backoff:  # the first failure: run again at once
                    changed[name] = self._start(
                        pod,
                        container,
                        {**status, "lastState": {"terminated": terminated}, "restartCount": status["restartCount"] + 1},
                        host,
                        stamp,
                    )
                    break
                self._restart_at[key] = now.timestamp() + backoff
                changed[name] = {
                    **status,
                    "lastState": {"terminated": terminated},
                    "started": False,
                    "state": {
                        "waiting": {
                            "reason": "CrashLoopBackOff",
                            "message": f"back-off {backoff:.0f}s restarting failed container={name} pod="
                            f"{pod['metadata']['name']}_{pod['metadata']['namespace']}({uid})",
                        }
                    },
                }
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
                break
            if now.timestamp() >= self._restart_at.get(key, 0.0):
                crashed = (state.get("waiting") or {}).get("reason") == "CrashLoopBackOff"
                restarted = {**status, "restartCount": status["restartCount"] + crashed}
                changed[name] = self._start(pod, container, restarted, host, stamp)
            break
        else:
            self._write(pod, statuses, changed, stamp)
            return True
        self._write(pod, statuses, changed, stamp)
        return False

    def _start(self, pod: Obj, container: Obj, status: Obj, host: str, stamp: str) -> Obj:
        self.processes.confined.start(
            pod["metadata"]["uid"],
            container,
            confine(self.store, self.state_dir, pod, container, command_of(container)),
        )
        events.record(self.store, pod, "Created", f"Created container: {container['name']}", "kubelet", host=host)
        events.record(self.store, pod, "Started", f"Started container {container['name']}", "kubelet", host=host)
        return {**status, "state": {"running": {"startedAt": stamp}}, "started": True}

    def _write(
        self, pod: Obj, statuses: dict[str, Obj], changed: dict[str, Obj], stamp: str, failed: bool = False
    ) -> None:
        inits = pod["spec"]["initContainers"]
        merged = [
            changed.get(c["name"])
            or statuses.get(c["name"])
            or {
                "name": c["name"],
                "image": c["image"],
                "imageID": "",
                "ready": False,
                "started": False,
                "restartCount": 0,
                "lastState": {},
                "state": {"waiting": {"reason": "PodInitializing"}},
            }
            for c in inits
        ]
        if merged == pod.get("status", {}).get("initContainerStatuses") and not failed:
            return
        pending = [s["name"] for s in merged if (s["state"].get("terminated") or {}).get("exitCode") != 0]

        def write(obj: Obj) -> None:
            status = obj.setdefault("status", {})
            status["initContainerStatuses"] = merged
            status["phase"] = "Failed" if failed else "Pending"
            scheduled = next(
                (c for c in status.get("conditions", []) if c["type"] == "PodScheduled"),
                new_condition("PodScheduled", "True", stamp),
            )
            incomplete = f"containers with incomplete status: [{' '.join(pending)}]"
            unready = f"containers with unready status: [{' '.join(c['name'] for c in obj['spec']['containers'])}]"
            status["conditions"] = [
                new_condition("PodReadyToStartContainers", "True", stamp),
                new_condition(
                    "Initialized",
                    "False" if pending else "True",
                    stamp,
                    **({"reason": "ContainersNotInitialized", "message": incomplete} if pending else {}),
                ),
                new_condition("Ready", "False", stamp, reason="ContainersNotReady", message=unready),
                new_condition("ContainersReady", "False", stamp, reason="ContainersNotReady", message=unready),
                scheduled,
            ]

        self.store.update(self.store.kind("Pod"), pod["metadata"]["namespace"], pod["metadata"]["name"], write)

    def forget(self, uid: str) -> None:
        for key in [k for k in {*self._backoff, *self._restart_at} if k[0] == uid]:
            self._backoff.pop(key, None)
            self._restart_at.pop(key, None)
