"""The simulated internet's servers: HTTPS on 443 and HTTP on 80 at every catalogued host's address.

The wiring hands in `listen(address, port)`, which gives a listening TCP socket at that address (inside the
cluster's network namespace); the servers run on the caller's event loop until `Internet.stop`. The hosts'
certificate, one for all of them, is issued at each start by the world's CA (`world.internet_ca`), which is
kept in the state directory; so is the key, readable by its owner only.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from sugarlab.sim.internet.app import http_app, https_app
from sugarlab.sim.world.internet import HOSTS
from sugarlab.sim.world.internet_ca import authority

Listen = Callable[[str, int], socket.socket]
HTTPS, HTTP = 443, 80
# a stop waits at most a second for open connections (a pod's pip keeps its connection alive), as the API's does
QUIET: dict[str, Any] = {
    "lifespan": "off",
    "log_config": None,
    "access_log": False,
    "server_header": False,
    "timeout_graceful_shutdown": 1,
}


def addresses() -> list[str]:
    """Every address a catalogued host answers at (hosts may share one, as GitHub's content hosts do)."""
    return list(dict.fromkeys(host.address for host in HOSTS.values()))


@dataclass
class Internet:
    """The running servers, on a thread and event loop of their own; `stop` closes their sockets, waiting for
    open requests."""

    servers: list[uvicorn.Server]
    thread: threading.Thread

    async def stop(self) -> None:
        for server in self.servers:
            server.should_exit = True
        await asyncio.to_thread(self.thread.join)


def _server_pem(state_dir: Path) -> Path:
    pem = state_dir / "internet" / "tls" / "hosts.pem"  # key and chain, as uvicorn's ssl_certfile reads them
    pem.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    authority(state_dir).issue_cert(*HOSTS).private_key_and_cert_chain_pem.write_to_path(str(pem))
    pem.chmod(0o600)
    return pem


async def serve(listen: Listen, state_dir: Path) -> Internet:
    """Start HTTPS and HTTP at every host's address; returns once they accept connections.

    They run on a thread of their own (uvicorn's `Server.serve` leaves signals alone off the main thread), so
    neither building a wheel nor sending one holds up the simulator's own loop."""
    pem = _server_pem(state_dir)
    servers = [
        uvicorn.Server(uvicorn.Config(https_app(state_dir), ssl_certfile=str(pem), **QUIET)),
        uvicorn.Server(uvicorn.Config(http_app(), **QUIET)),
    ]
    sockets = [[listen(address, port) for address in addresses()] for port in (HTTPS, HTTP)]

    async def run() -> None:
        await asyncio.gather(*(server.serve(socks) for server, socks in zip(servers, sockets, strict=True)))

    thread = threading.Thread(target=asyncio.run, args=(run(),), name="simulated-internet", daemon=True)
    thread.start()
    while not all(server.started for server in servers):
        if not thread.is_alive():
            raise RuntimeError("the simulated internet's servers did not start")
        await asyncio.sleep(0.05)
    return Internet(servers, thread)
