"""The simulator started and stopped through the command line, and the real kubectl run against it."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sugarlab.app.cli import main
from tests.sim.sshd import free_port

KUBECTL = shutil.which("kubectl")
needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed on this machine")


def _sim(*args: str) -> tuple[int, str, str]:
    """`sugarlab sim ARGS` in this process (the command line's own code, without a second interpreter's
    second of imports per module): its exit code, standard output and standard error."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["sim", *args])
    return code, out.getvalue(), err.getvalue()


def start(workspace: Path, *params: str, workers: int = 2) -> Path:
    """Starts a simulator with two workers (or `workers`, and any further `-p NAME VALUE`) at the workbook's
    speed unless `params` give one; the path of its kubeconfig."""
    speed = () if "speed" in params else ("-p", "speed", "60")
    code, out, err = _sim("start", "--workspace", str(workspace), "-p", "sim_workers", str(workers), *speed, *params)
    assert code == 0, err
    return Path(out.strip().splitlines()[-1])


def stop(workspace: Path) -> None:
    code, _, err = _sim("stop", "--workspace", str(workspace))
    assert code == 0, err


def kubectl(
    kubeconfig: Path | str, *args: str, stdin: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    assert KUBECTL is not None
    return subprocess.run(
        [KUBECTL, "--kubeconfig", str(kubeconfig), *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )


def kubectl_out(kubeconfig: Path | str, *args: str, stdin: str | None = None, timeout: float = 120) -> str:
    """kubectl's standard output; a failing command fails the test with kubectl's own error."""
    done = kubectl(kubeconfig, *args, stdin=stdin, timeout=timeout)
    assert done.returncode == 0, f"kubectl {' '.join(args)}: {done.stderr}"
    return done.stdout


def apply(kubeconfig: Path | str, manifest: dict[str, Any]) -> None:
    """`kubectl apply -f -` of one manifest; kubectl's error fails the test."""
    done = kubectl(kubeconfig, "apply", "--validate=false", "-f", "-", stdin=json.dumps(manifest))
    assert done.returncode == 0, done.stderr


def wait_for(what: str, check: Any, timeout: float = 60) -> Any:
    """Poll `check` every half second until it returns something true; that, or a failure naming `what`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


@contextlib.contextmanager
def port_forward(
    kubeconfig: Path | str, target: str, remote: int, namespace: str | None = None
) -> Iterator[tuple[int, subprocess.Popen[str]]]:
    """`kubectl port-forward TARGET LOCAL:REMOTE` on 127.0.0.1, once it says it forwards: the local port and
    kubectl's process (killed on leaving)."""
    assert KUBECTL is not None
    local = free_port()
    scope = ["-n", namespace] if namespace else []
    args = [KUBECTL, "--kubeconfig", str(kubeconfig), *scope, "port-forward", target, f"{local}:{remote}"]
    with subprocess.Popen(
        [*args, "--address", "127.0.0.1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        try:
            assert process.stdout is not None
            assert process.stdout.readline().startswith(f"Forwarding from 127.0.0.1:{local} -> {remote}")
            yield local, process
        finally:
            process.kill()
