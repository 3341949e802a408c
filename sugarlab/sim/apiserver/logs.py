"""The `pods/log` subresource for containers the simulator models rather than runs: their scripted output,
as `kubectl logs` reads it (tailLines, timestamps, the kubelet's errors for a missing or waiting container)."""

from __future__ import annotations

from typing import Any

from sugarlab.common.kubectl import parse_time
from sugarlab.common.objects import Obj
from sugarlab.sim.machinery.errors import ApiError
from sugarlab.sim.world.workloads import behaviour


def pod_log(pod: Obj, query: Any) -> str:
    """A container's log, as `kubectl logs` reads it."""
    names = [c["name"] for c in pod["spec"]["containers"]]
    name = query.get("container") or (names[0] if len(names) == 1 else "")
    meta = pod["metadata"]
    if not name:
        raise ApiError.bad_request(
            f"a container name must be specified for pod {meta['name']}, choose one of: [{' '.join(names)}]"
        )
    if name not in names:
        raise ApiError.bad_request(f"container {name} is not valid for pod {meta['name']}")
    status = next((s for s in pod.get("status", {}).get("containerStatuses", []) if s["name"] == name), None)
    state = (status or {}).get("state", {})
    started = (state.get("running") or state.get("terminated") or {}).get("startedAt")
    if not started:
        raise ApiError.bad_request(f'container "{name}" in pod "{meta["name"]}" is waiting to start: ContainerCreating')
    acts = behaviour(next(c for c in pod["spec"]["containers"] if c["name"] == name))
    lines = [(started, line) for line in acts.start_log]
    if "terminated" in state:
        lines += [(state["terminated"]["finishedAt"], line) for line in acts.end_log]
    if query.get("tailLines"):
        lines = lines[-int(query["tailLines"]) :] if int(query["tailLines"]) else []
    if query.get("timestamps") in ("true", "1"):
        return "".join(f"{parse_time(at):%Y-%m-%dT%H:%M:%S.000000000Z} {line}\n" for at, line in lines)
    return "".join(line + "\n" for _, line in lines)
