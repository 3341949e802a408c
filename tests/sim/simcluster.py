"""The simulator started and stopped through the command line, and the real kubectl run against it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SUGARLAB = Path(sys.executable).parent / "sugarlab"
KUBECTL = shutil.which("kubectl")
needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed on this machine")


def start(workspace: Path, *params: str) -> Path:
    """Starts a simulator with two workers (and any further `-p NAME VALUE`); the path of its kubeconfig."""
    started = subprocess.run(
        [str(SUGARLAB), "sim", "start", "--workspace", str(workspace), "-p", "sim_workers", "2", *params],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert started.returncode == 0, started.stderr
    return Path(started.stdout.strip().splitlines()[-1])


def stop(workspace: Path) -> None:
    subprocess.run(
        [str(SUGARLAB), "sim", "stop", "--workspace", str(workspace)], capture_output=True, check=False, timeout=60
    )


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
