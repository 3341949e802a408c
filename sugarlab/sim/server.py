"""The simulator process: object store, controllers and REST API on 127.0.0.1.

Started by `sugarlab.sim.lifecycle` as `python -m sugarlab.sim serve ...`; one per workspace. It
writes its kubeconfig and `server.json` once it listens, removes `server.json` when it stops, and
stops by itself after a spell with no requests, so a forgotten server does not linger, and as soon as the
process it was started for is gone, when one was named (`sugarlab.sim.owner`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import uvicorn
import yaml
from starlette.applications import Starlette

from sugarlab.common.files import atomic_write_bytes
from sugarlab.common.kubectl import format_time, parse_time
from sugarlab.sim import credentials
from sugarlab.sim.apiserver.api import SimApi
from sugarlab.sim.apiserver.auth import authenticated
from sugarlab.sim.apiserver.kubelet_client import KubeletClient
from sugarlab.sim.internet import servers as outside
from sugarlab.sim.kubeconfig import kubeconfig
from sugarlab.sim.kubelet.processes import LocalProcesses
from sugarlab.sim.kubelet.streaming.server import Streams
from sugarlab.sim.loops import reconcile_loops
from sugarlab.sim.machinery.clock import HEAD_START, VirtualClock
from sugarlab.sim.network.cni import PodNetwork
from sugarlab.sim.network.dns import ClusterDns
from sugarlab.sim.network.tcp import tcp_socket
from sugarlab.sim.owner import POLL_S, Owner
from sugarlab.sim.storage.store import Store
from sugarlab.sim.world import internet as internet_hosts
from sugarlab.sim.world.k3s_addons import DNS_IP
from sugarlab.sim.world.machines import Machines
from sugarlab.sim.world.seed import seed_cluster
from sugarlab.sim.world.spec import ClusterSpec

log = logging.getLogger("sugarlab.sim")
TICK_S = 0.05  # how often controllers reconcile, in real seconds


class SpecMismatch(Exception):
    pass


def open_store(state_dir: Path, spec: ClusterSpec, speed: float) -> tuple[Store, str]:
    """Open the workspace's cluster, seeding it on first use; refuse a cluster of another spec."""
    # A new accelerated cluster's time starts behind the real time, so that it never runs ahead of the clients'
    # clocks; one on real time needs no head start (`sugarlab.sim.machinery.clock`).
    now = (datetime.now(UTC) - (HEAD_START if speed > 1 else timedelta(0))).replace(microsecond=0)
    store = Store(state_dir / "cluster.db", VirtualClock(now, speed))
    stored = store.meta("spec")
    if stored is None:
        seeded = seed_cluster(spec, now)
        for obj in seeded.objects:
            store.create(store.type_of(obj["apiVersion"], obj["kind"]), obj)
        store.set_meta("spec", spec.as_dict())
        store.set_meta("version", seeded.version)
        store.set_meta("virtual_now", format_time(now))
    elif stored != spec.as_dict():
        store.close()
        raise SpecMismatch(json.dumps(stored))
    store.clock = VirtualClock(parse_time(store.meta("virtual_now")), speed)
    return store, store.meta("version")


async def run_controllers(
    store: Store,
    spec: ClusterSpec,
    machines: Machines,
    processes: LocalProcesses,
    network: PodNetwork,
    state_dir: Path,
    ca_pem: bytes,
) -> None:
    loops = reconcile_loops(store, spec, machines, processes, network, state_dir, ca_pem)
    last_saved = time.monotonic()
    while True:
        for loop in loops:
            try:
                loop.reconcile()
            except Exception:  # a controller bug must not take the API server down
                log.exception("%s failed", type(loop).__name__)
        if time.monotonic() - last_saved > 1:
            store.set_meta("virtual_now", store.clock.stamp())
            last_saved = time.monotonic()
        await asyncio.sleep(TICK_S)


def serve(
    state_dir: Path, spec: ClusterSpec, speed: float, idle_timeout: float, port: int = 0, owner: Owner | None = None
) -> int:
    state_dir.mkdir(parents=True, exist_ok=True)
    try:
        store, version = open_store(state_dir, spec, speed)
    except SpecMismatch as exc:
        print(f"this workspace's cluster was made from another spec: {exc}", flush=True)
        return 3
    sock = tcp_socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    url = f"https://127.0.0.1:{sock.getsockname()[1]}"
    access = credentials.ensure(state_dir)
    machines = Machines(store, spec.seed)
    machines.seed_from_nodes()
    processes = LocalProcesses(state_dir)
    network = PodNetwork(state_dir)
    dns = ClusterDns(store, network, DNS_IP, internet_hosts.address_of)  # CoreDNS forwards the rest outside
    kubelet = KubeletClient(processes, Streams(store, machines, processes, state_dir))
    api = SimApi(store, machines, kubelet, spec.seed, version, spec.metrics_server, state_dir, access.token)
    server: uvicorn.Server

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await dns.start()
        internet = await outside.serve(network.listen, state_dir) if network.available else None
        tasks = [
            asyncio.create_task(run_controllers(store, spec, machines, processes, network, state_dir, access.ca_pem)),
            asyncio.create_task(idle_watch()),
        ]
        if owner is not None:
            tasks.append(asyncio.create_task(owner_watch(owner)))
        atomic_write_bytes(state_dir / "kubeconfig.yaml", yaml.safe_dump(kubeconfig(url, access)).encode())
        info = {
            "pid": os.getpid(),
            "url": url,
            "kubeconfig": str(state_dir / "kubeconfig.yaml"),
            "spec": spec.as_dict(),
            "speed": speed,
            "version": version,
            "owner": None if owner is None else str(owner),
        }
        atomic_write_bytes(state_dir / "server.json", json.dumps(info, indent=1).encode())
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            processes.stop_all()
            dns.close()
            if internet is not None:
                await internet.stop()
            network.close()
            (state_dir / "server.json").unlink(missing_ok=True)
            store.set_meta("virtual_now", store.clock.stamp())
            store.close()

    async def idle_watch() -> None:
        while True:
            await asyncio.sleep(1)
            if api.open_watches == 0 and time.monotonic() - api.last_request > idle_timeout:
                log.warning("no requests for %.0f s: stopping", idle_timeout)
                server.should_exit = True

    async def owner_watch(owner: Owner) -> None:
        while owner.alive():
            await asyncio.sleep(POLL_S)
        log.warning("its owner, process %d, is gone: stopping", owner.pid)
        server.should_exit = True  # what SIGTERM (`sugarlab sim stop`) does: the lifespan's clean-up follows

    config = uvicorn.Config(
        authenticated(api.app(lifespan=lifespan), access.token),
        log_level="warning",
        timeout_graceful_shutdown=1,
        access_log=False,
        date_header=False,
        ssl_certfile=str(access.cert_file),
        ssl_keyfile=str(access.key_file),
        ws="wsproto",
        # asyncio's own loop: with uvicorn[standard] installed (the simulated PyPI serves it), uvicorn's "auto"
        # would pick uvloop, under which the workbook's edge-AI replicas no longer came up in time
        loop="asyncio",
    )  # accepts kubectl's `SPDY/3.1+portforward.k8s.io` subprotocol
    server = uvicorn.Server(config)
    server.run(sockets=[sock])
    return 0
