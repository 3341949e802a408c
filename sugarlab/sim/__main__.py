"""`python -m sugarlab.sim serve --state DIR --spec JSON --speed N`: the simulator process."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from sugarlab.sim.server import serve
from sugarlab.sim.spec import ClusterSpec


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sugarlab.sim")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("serve", help="serve a simulated Sugarkube cluster on 127.0.0.1")
    run.add_argument("--state", type=Path, required=True, help="state directory of the cluster")
    run.add_argument("--spec", type=json.loads, default={}, help="ClusterSpec as JSON")
    run.add_argument("--speed", type=float, default=60.0, help="virtual seconds per real second")
    run.add_argument("--idle-timeout", type=float, default=1800.0, help="stop after this many idle seconds")
    run.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free port)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    return serve(args.state, ClusterSpec(**args.spec), args.speed, args.idle_timeout, args.port)


if __name__ == "__main__":
    sys.exit(main())
