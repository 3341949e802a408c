"""The kubelets of all simulated nodes: they start bound pods and finish deleted ones.

A container starts once its volumes are mounted, its image is on the node (`image_manager`: pulled, or
waiting in ErrImagePull and ImagePullBackOff) and its init containers are done, and then runs the
behaviour `workloads` gives its image, or, when no behaviour models its command, the command itself,
confined (`container_lifecycle`). Before any of a pod's containers runs, init containers included, its
network is set up (`sugarlab.sim.network.cni`: its namespace and address, which `status.podIP` reports)
and its `/etc/resolv.conf` and `/etc/hosts` written (`dns_config`), as the kubelet runs the sandbox
first; the network goes with the pod.
"""

from __future__ import annotations

import ipaddress
import random
import time
from datetime import datetime, timedelta
from pathlib import Path

from sugarlab.common.files import atomic_write_bytes
from sugarlab.common.kubectl import format_time, parse_time
from sugarlab.common.objects import Obj
from sugarlab.sim.apis.pods import running_status, succeeded_status
from sugarlab.sim.kubelet import fio_runs
from sugarlab.sim.kubelet.container_lifecycle import ContainerLifecycle, runs_for_real
from sugarlab.sim.kubelet.dns_config import etc_hosts, resolv_conf
from sugarlab.sim.kubelet.file_volumes import PendingMounts
from sugarlab.sim.kubelet.image_manager import ImageManager
from sugarlab.sim.kubelet.init_containers import InitContainers
from sugarlab.sim.kubelet.nas_outage import NasOutage
from sugarlab.sim.kubelet.processes import TERM_WAIT_S, LocalProcesses
from sugarlab.sim.kubelet.sandbox import confine, etc_dir, remove_pod
from sugarlab.sim.network.cni import PodNetwork
from sugarlab.sim.storage import events
from sugarlab.sim.storage.store import Store
from sugarlab.sim.world.k3s_addons import DNS_IP
from sugarlab.sim.world.machines import powered_off
from sugarlab.sim.world.workloads import behaviour

STOP_SECONDS = 1.0  # most containers exit promptly on SIGTERM


class Kubelets:
    def __init__(
        self, store: Store, seed: int, processes: LocalProcesses, state_dir: Path, network: PodNetwork
    ) -> None:
        self.store, self.seed, self.processes, self.state_dir = store, seed, processes, state_dir
        self._starting: set[str] = set()  # uids of pods being started: their images pulled, volumes mounted ...
        # uids of deleted pods whose containers were told to stop, and when (monotonic seconds)
        self._stopping: dict[str, float] = {}
        self.images = ImageManager(store)  # each node's images and the pulls
        self.network = network
        self._ips: dict[str, str] = {}  # pod uid -> its address, from when its sandbox is set up
        self.lifecycle = ContainerLifecycle(store, processes, state_dir)  # containers that run for real
        self.outage = NasOutage(store, processes, state_dir)  # volumes on a NAS that does not answer
        self.inits = InitContainers(store, processes, state_dir)
        self.mounts = PendingMounts(store)  # configMap, secret ... volumes whose source is missing

    def reconcile(self) -> None:
        now = self.store.clock.now()
        nodes = {n["metadata"]["name"]: n for n in self.store.view(self.store.kind("Node"))}
        pods = self.store.view(self.store.kind("Pod"))
        self.images.tend_nodes(list(nodes.values()), pods)
        off = powered_off(self.store)
        for each in nodes.values():
            self.network.add_node(each)
        for gone in self.network.attached() - {p["metadata"]["uid"] for p in pods}:  # deleted without a kubelet
            self.network.detach(gone)
            self._ips.pop(gone, None)
        for pod in pods:
            node = nodes.get(pod["spec"].get("nodeName", ""))
            if node is None:
                continue
            if node["metadata"]["name"] in off:  # a machine without power runs nothing
                self.processes.confined.stop(pod["metadata"]["uid"])
                continue
            meta, phase = pod["metadata"], pod.get("status", {}).get("phase")
            if "deletionTimestamp" in meta:
                self._finish_deletion(pod, node, now.timestamp())
            elif phase in (None, "Pending"):
                self._start(pod, node, now.timestamp())
            elif phase == "Running" and any(runs_for_real(c) for c in pod["spec"]["containers"]):
                self._sandbox(pod, node, pods)  # again after the simulator restarted
                if not self.outage.stalled(pod):
                    self.lifecycle.tend(pod, node["metadata"]["name"], now)
            elif phase == "Running" and any(behaviour(c).local for c in pod["spec"]["containers"]):
                self._tend_local(pod)
            elif phase == "Running":
                self._finish_run(pod, node, now)

    def _start(self, pod: Obj, node: Obj, now: float) -> None:
        uid = pod["metadata"]["uid"]
        rng = random.Random(f"{self.seed}:{uid}")
        host = node["metadata"]["name"]
        if uid not in self._starting:
            self._starting.add(uid)

            def creating(obj: Obj) -> None:
                obj["status"]["containerStatuses"] = [
                    {
                        "name": c["name"],
                        "image": c["image"],
                        "imageID": "",
                        "ready": False,
                        "started": False,
                        "restartCount": 0,
                        "state": {"waiting": {"reason": "ContainerCreating"}},
                        "lastState": {},
                    }
                    for c in obj["spec"]["containers"]
                ]

            self.store.update(self.store.kind("Pod"), pod["metadata"]["namespace"], pod["metadata"]["name"], creating)
            return
        if self.outage.holds(pod, host, self.store.clock.now()) or self.mounts.holds(pod, host, self.store.clock.now()):
            return
        if not self.images.ready(pod, node, now):
            return
        pod_ip = self._sandbox(pod, node, self.store.view(self.store.kind("Pod")))  # pods set up this tick too
        if not self.inits.done(pod, host, self.store.clock.now()):
            return
        self._starting.discard(uid)
        host_ip = node["status"]["addresses"][0]["address"]
        started = self.store.clock.stamp()

        local = [c for c in pod["spec"]["containers"] if behaviour(c).local]
        for container in local:
            self.processes.start(pod, container)
        for container in (c for c in pod["spec"]["containers"] if runs_for_real(c)):
            self.lifecycle.start(pod, container, host)
        self.processes.fio.start(
            pod,
            node,
            self.store.clock.now(),
            lambda container, argv: confine(self.store, self.state_dir, pod, container, argv),
        )

        def run(obj: Obj) -> None:
            scheduled = next((c for c in obj["status"].get("conditions", []) if c["type"] == "PodScheduled"), None)
            initialized = obj["status"].get("initContainerStatuses")
            obj["status"] = running_status(obj, host_ip, pod_ip, started, rng)
            if initialized:
                obj["status"]["initContainerStatuses"] = initialized
            if scheduled:  # the scheduler's own time, not the start's
                obj["status"]["conditions"] = [
                    scheduled if c["type"] == "PodScheduled" else c for c in obj["status"]["conditions"]
                ]
            for status in obj["status"]["containerStatuses"]:
                status["imageID"] = self.images.image_id(host, status["image"]) or status["imageID"]
            if local:
                _set_ready(obj, False)
            self.lifecycle.initial_status(obj, started)

        running = self.store.update(self.store.kind("Pod"), pod["metadata"]["namespace"], pod["metadata"]["name"], run)
        for container in pod["spec"]["containers"]:
            events.record(
                self.store, running, "Created", f"Created container: {container['name']}", "kubelet", host=host
            )
            events.record(
                self.store, running, "Started", f"Started container {container['name']}", "kubelet", host=host
            )

    def _finish_run(self, pod: Obj, node: Obj, now: datetime) -> None:
        """A pod whose containers all run for a set time ends when the longest is done."""
        durations = [behaviour(c).duration for c in pod["spec"]["containers"]]
        if any(d is None for d in durations):
            return
        started = pod["status"]["containerStatuses"][0]["state"]["running"]["startedAt"]
        finished = parse_time(started) + timedelta(seconds=max(d for d in durations if d is not None))
        exit_code = self.processes.fio.poll(pod["metadata"]["uid"], now)  # 0 for a pod without fio
        if now < finished or exit_code is None:
            return
        rng = random.Random(f"{self.seed}:{pod['metadata']['uid']}:done")
        host_ip = node["status"]["addresses"][0]["address"]
        if pod["spec"].get("restartPolicy", "Always") == "Always":
            restarted = format_time(now)

            def restart(obj: Obj) -> None:
                restarts = obj["status"]["containerStatuses"][0]["restartCount"] + 1
                obj["status"] = running_status(obj, host_ip, obj["status"]["podIP"], restarted, rng)
                for status in obj["status"]["containerStatuses"]:
                    status["restartCount"] = restarts
                obj["status"]["startTime"] = pod["status"]["startTime"]

            self.store.update(self.store.kind("Pod"), pod["metadata"]["namespace"], pod["metadata"]["name"], restart)
            return

        def complete(obj: Obj) -> None:
            obj["status"] = succeeded_status(obj, host_ip, started, format_time(finished), rng)
            if exit_code:
                fio_runs.failed(obj["status"], exit_code)

        self.store.update(self.store.kind("Pod"), pod["metadata"]["namespace"], pod["metadata"]["name"], complete)

    def _tend_local(self, pod: Obj) -> None:
        """Probe a real process for readiness; restart it, counting the restart, when it has exited."""
        uid, meta = pod["metadata"]["uid"], pod["metadata"]
        pods = self.store.kind("Pod")
        if self.processes.exited(uid):
            for container in (c for c in pod["spec"]["containers"] if behaviour(c).local):
                self.processes.start(pod, container)

            def restarted(obj: Obj) -> None:
                _set_ready(obj, False)
                for status in obj["status"]["containerStatuses"]:
                    status["restartCount"] += 1

            self.store.update(pods, meta["namespace"], meta["name"], restarted)
        elif not _is_ready(pod) and self.processes.ready(uid):
            self.store.update(pods, meta["namespace"], meta["name"], lambda obj: _set_ready(obj, True))

    def _sandbox(self, pod: Obj, node: Obj, pods: list[Obj]) -> str:
        """The pod's address, its network set up and its resolv.conf and hosts written, the first time."""
        uid = pod["metadata"]["uid"]
        if uid in self._ips:
            return self._ips[uid]
        host_network = bool(pod["spec"].get("hostNetwork"))
        ip = node["status"]["addresses"][0]["address"] if host_network else None
        ip = ip or pod.get("status", {}).get("podIP") or self._free_ip(node, pods)
        self._ips[uid] = ip
        if not host_network:
            self.network.attach(uid, node, ip)
        etc = etc_dir(self.state_dir, uid)
        etc.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(etc / "resolv.conf", resolv_conf(pod, DNS_IP).encode(), 0o644)
        atomic_write_bytes(etc / "hosts", etc_hosts(pod, ip).encode(), 0o644)
        return ip

    def _free_ip(self, node: Obj, pods: list[Obj]) -> str:
        """host-local IPAM: the first free address of the node's pod CIDR (pods set up this tick hold theirs)."""
        network = ipaddress.ip_network(node["spec"]["podCIDR"])
        used = {p.get("status", {}).get("podIP") for p in pods if p["spec"].get("nodeName") == node["metadata"]["name"]}
        used |= set(self._ips.values())
        for host in list(network.hosts())[1:]:  # .1 is the cni0 bridge
            if str(host) not in used:
                return str(host)
        raise RuntimeError(f"pod CIDR {network} of node {node['metadata']['name']} is exhausted")

    def _finish_deletion(self, pod: Obj, node: Obj, now: float) -> None:
        """A deleted pod's containers are stopped, then the pod is removed. As the kubelet's pod worker
        (pkg/kubelet/kuberuntime/kuberuntime_container.go, killContainer): the `Killing` event and SIGTERM
        first, and the pod goes once its containers have exited. The controllers do not wait on it: a
        service that takes a while to shut down holds only its own pod. One still running `TERM_WAIT_S`
        real seconds after SIGTERM is killed; a container that does not run for real exits
        `STOP_SECONDS` after it (cluster seconds, at most the grace period)."""
        meta = pod["metadata"]
        uid = meta["uid"]
        grace = meta.get("deletionGracePeriodSeconds", 30)
        requested = parse_time(meta["deletionTimestamp"]) - timedelta(seconds=grace)
        if uid not in self._stopping:
            self._stopping[uid] = time.monotonic()
            if pod.get("status", {}).get("phase") == "Running":
                for container in pod["spec"]["containers"]:
                    events.record(
                        self.store,
                        pod,
                        "Killing",
                        f"Stopping container {container['name']}",
                        "kubelet",
                        host=node["metadata"]["name"],
                    )
            self.processes.terminate(uid)
        overdue = time.monotonic() - self._stopping[uid] >= TERM_WAIT_S
        if not overdue and (not self.processes.exited(uid) or now < requested.timestamp() + min(grace, STOP_SECONDS)):
            return
        del self._stopping[uid]
        self._starting.discard(meta["uid"])
        self.images.forget(meta["uid"])
        self._ips.pop(meta["uid"], None)
        self.network.detach(meta["uid"])
        self.lifecycle.forget(meta["uid"])
        self.outage.forget(meta["uid"])
        self.inits.forget(meta["uid"])
        self.mounts.forget(meta["uid"])
        self.processes.stop(meta["uid"], wait=0)  # SIGKILL to a service still running: it had its time
        remove_pod(self.state_dir, meta["uid"])
        self.store.delete(self.store.kind("Pod"), meta["namespace"], meta["name"])


def _is_ready(pod: Obj) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in pod.get("status", {}).get("conditions", []))


def _set_ready(pod: Obj, ready: bool) -> None:
    for condition in pod["status"]["conditions"]:
        if condition["type"] in ("Ready", "ContainersReady"):
            condition["status"] = "True" if ready else "False"
    for status in pod["status"]["containerStatuses"]:
        status["ready"] = ready
