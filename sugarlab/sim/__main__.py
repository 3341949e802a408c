"""`python -m sugarlab.sim serve --state DIR --spec JSON --speed N [--owner PID:START_TIME]`: the simulator process.

When it cannot start it writes why to `<state>/start-failure.json` (see `lifecycle`) and exits non-zero.
"""

from __future__ import annotations

import argparse
import errno
import json
import logging
import sys
from pathlib import Path
from typing import Any

from sugarlab.common.files import atomic_write_bytes
from sugarlab.sim.lifecycle import START_FAILURE
from sugarlab.sim.owner import Owner
from sugarlab.sim.server import SpecMismatch, open_store, serve
from sugarlab.sim.world.spec import ClusterSpec


def _give_up(state: Path, failure: dict[str, Any]) -> None:
    atomic_write_bytes(state / START_FAILURE, json.dumps(failure, indent=1).encode())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sugarlab.sim")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("serve", help="serve a simulated Sugarkube cluster on 127.0.0.1")
    run.add_argument("--state", type=Path, required=True, help="state directory of the cluster")
    run.add_argument("--spec", type=json.loads, default={}, help="ClusterSpec as JSON")
    run.add_argument("--speed", type=float, default=60.0, help="virtual seconds per real second")
    run.add_argument("--idle-timeout", type=float, default=1800.0, help="stop after this many idle seconds")
    run.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free port)")
    run.add_argument("--owner", type=Owner.parse, help="PID:START_TIME of the process to stop with (see owner)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    spec = ClusterSpec(**args.spec)
    args.state.mkdir(parents=True, exist_ok=True)
    try:  # refuse a state directory seeded from another spec before binding anything
        open_store(args.state, spec, args.speed)[0].close()
    except SpecMismatch as mismatch:
        _give_up(args.state, {"reason": "spec-mismatch", "stored": json.loads(str(mismatch))})
        return 3
    try:
        return serve(args.state, spec, args.speed, args.idle_timeout, args.port, args.owner)
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
        _give_up(
            args.state,
            {"reason": "port-in-use", "port": args.port, "message": f"port {args.port} on 127.0.0.1 is taken"},
        )
        return 4


if __name__ == "__main__":
    sys.exit(main())
