"""The kubelet's fio runs: a container whose command is `fio` runs fio for real when a `fio` binary is
installed here, cut down and confined to the container's root (`sandbox`), or else prints the report
modelled by `sugarlab.sim.world.fio`; either way its output becomes the pod's log.

`$SUGARLAB_FIO` names the binary (else `fio` on PATH; `SUGARLAB_FIO=""` never runs it). A real run reads at
most 16 MiB for at most 3 s, and its JSON report is marked `"sugarlab": {"provenance": "local", ...}`: its
figures are this machine's disk, not a Raspberry Pi's.
"""

from __future__ import annotations

import json
import os
import platform
import random
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sugarlab.common.objects import Obj
from sugarlab.sim.kubelet.containers import Confined, SandboxMissing
from sugarlab.sim.world.fio import fio_argv, medium_of, modelled_report, options, runtime_s, size_bytes

FIO_ENV = "SUGARLAB_FIO"

LOCAL_SIZE = 16 * 1024 * 1024  # a real run here reads at most this much ...

LOCAL_RUNTIME_S = 3  # ... for at most this long


# -- real fio on this machine --------------------------------------------------------------------------
def fio_binary() -> str | None:
    configured = os.environ.get(FIO_ENV)
    if configured is not None:
        return configured or None
    return shutil.which("fio")


def local_argv(argv: list[str]) -> tuple[list[str], Obj]:
    """`argv` cut down to run here: size and runtime capped, so that fio's own output shows what it used.

    Paths stay the container's (the run is confined to the container's root with its volumes mounted,
    `sugarlab.sim.kubelet.sandbox`), and the output format is the one asked for."""
    opts = options(argv)
    cut: Obj = {}
    out = [argv[0]]
    for word in argv[1:]:
        key, _, value = word[2:].partition("=") if word.startswith("--") else ("", "", "")
        if key == "size" and value and size_bytes(value) > LOCAL_SIZE:
            cut["size"] = value
            word = f"--size={LOCAL_SIZE // (1 << 20)}M"
        elif key == "runtime" and value and runtime_s(opts) > LOCAL_RUNTIME_S:
            cut["runtime"] = value
            word = f"--runtime={LOCAL_RUNTIME_S}"
        out.append(word)
    if "size" not in opts:
        out.append(f"--size={LOCAL_SIZE // (1 << 20)}M")
    return out, cut


def with_note(stdout: str, note: Obj) -> str:
    """fio's stdout with `note` added to its JSON report as `"sugarlab"`; text around it is kept."""
    decoder = json.JSONDecoder()
    pos = stdout.find("{")
    while pos != -1:
        try:
            report, end = decoder.raw_decode(stdout, pos)
        except json.JSONDecodeError:
            pos = stdout.find("{", pos + 1)
            continue
        if isinstance(report, dict) and "jobs" in report:
            return stdout[:pos] + json.dumps({**report, "sugarlab": note}, indent=2) + stdout[end:]
        pos = stdout.find("{", end)
    return stdout


@dataclass
class _Run:
    log: Path
    workdir: Path
    process: subprocess.Popen[bytes] | None = None  # a real run
    note: Obj | None = None  # what a real run's report is marked with
    output: str = ""  # a modelled run's log, printed when it ends ...
    ends_at: float = 0.0  # ... at this virtual epoch second
    exit_code: int = 0


class FioRuns:
    """The fio runs of the simulator's pods, by pod uid: started by the kubelet, read as pod logs."""

    def __init__(self, state_dir: Path) -> None:
        self.root = state_dir / "fio"
        self._runs: dict[str, _Run] = {}

    def start(self, pod: Obj, node: Obj, now: datetime, confine: Callable[[Obj, list[str]], Confined]) -> None:
        """Start fio for the pod's fio container, if it has one (real when fio is installed, confined by
        `confine(container, argv)` to the container's root)."""
        container = next((c for c in pod["spec"]["containers"] if fio_argv(c)), None)
        if container is None:
            return
        argv = fio_argv(container) or []
        uid = pod["metadata"]["uid"]
        run = _Run(self.root / f"{uid}.log", self.root / uid)
        run.workdir.mkdir(parents=True, exist_ok=True)
        binary = fio_binary()
        if binary and shutil.which(binary) is None:  # as a container whose program is missing: exit 127
            run.output, run.exit_code = f"exec {binary}: No such file or directory\n", 127
            run.ends_at = now.timestamp()
        elif binary:
            command, cut = local_argv(argv)
            run.note = {
                "provenance": "local",
                "machine": platform.node(),
                "fio": os.path.basename(binary),
                "medium_title": f"the disk of {platform.node()} (not a Pi)",
                "cut_from": cut,
                "note": "real fio on the machine running the simulator, against a "
                "directory under its state dir; not a Raspberry Pi figure",
            }
            try:
                confined = confine(container, command)
                with (run.workdir / "stdout").open("wb") as out, (run.workdir / "stderr").open("wb") as err:
                    run.process = subprocess.Popen(
                        confined.argv,
                        env=confined.env,
                        cwd=confined.cwd,
                        stdout=out,
                        stderr=err,
                        stdin=subprocess.DEVNULL,
                    )
            except OSError as error:  # as a container whose command is missing: exit 127
                run.output, run.exit_code = f"exec {binary}: {error.strerror}\n", 127
                run.ends_at = now.timestamp()
            except SandboxMissing as missing:  # nothing here confines a container: it cannot start
                run.output, run.exit_code, run.ends_at = f"{missing}\n", 128, now.timestamp()
        else:
            rng = random.Random(f"{node['metadata']['name']}:{uid}")
            try:
                report = modelled_report(argv, medium_of(node), rng, now)
                run.output = json.dumps(report, indent=2) + "\n"
                run.ends_at = now.timestamp() + report["jobs"][0]["job_runtime"] / 1000
            except ValueError as error:  # UnsupportedJob, or a size fio could not parse either
                run.output, run.exit_code, run.ends_at = f"fio: {error}\n", 1, now.timestamp()
        self._runs[uid] = run

    def poll(self, uid: str, now: datetime) -> int | None:
        """None while the pod's fio run goes on (or it has none: 0); its exit status once it ended."""
        run = self._runs.get(uid)
        if run is None:
            return 0
        if run.process is not None:
            code = run.process.poll()
            if code is None:
                return None
            if not run.log.exists():
                stdout = (run.workdir / "stdout").read_text(errors="replace")
                stderr = (run.workdir / "stderr").read_text(errors="replace")
                run.log.write_text(stderr + with_note(stdout, run.note or {}))
                shutil.rmtree(run.workdir, ignore_errors=True)
            return code
        if now.timestamp() < run.ends_at:
            return None
        if not run.log.exists():
            run.log.write_text(run.output)
            shutil.rmtree(run.workdir, ignore_errors=True)
        return run.exit_code

    def log(self, uid: str) -> str | None:
        """fio's output once the run ended; "" while it runs (fio prints its JSON report at the end)."""
        path = self.root / f"{uid}.log"
        if path.exists():
            return path.read_text(errors="replace")
        return "" if uid in self._runs else None

    def stop(self, uid: str) -> None:
        """The pod is gone: end its run and forget its files."""
        self._end(uid)
        (self.root / f"{uid}.log").unlink(missing_ok=True)

    def stop_all(self) -> None:
        """The simulator stops: end every run; the logs of finished ones stay for its next start."""
        for uid in list(self._runs):
            self._end(uid)

    def _end(self, uid: str) -> None:
        run = self._runs.pop(uid, None)
        if run is None:
            return
        if run.process is not None and run.process.poll() is None:
            run.process.kill()
            run.process.wait()
        shutil.rmtree(run.workdir, ignore_errors=True)


def failed(status: Obj, exit_code: int) -> None:
    """Turn a pod's Succeeded status into Failed with `exit_code`, as the kubelet reports a failed run."""
    status["phase"] = "Failed"
    for condition in status.get("conditions", []):
        if condition.get("reason") == "PodCompleted":
            condition["reason"] = "PodFailed"
    for container in status.get("containerStatuses", []):
        terminated = container["state"].get("terminated")
        if terminated is not None:
            terminated.update(exitCode=exit_code, reason="Error")
