"""Containers of the simulated cluster run what their image holds, confined, and fail as on k3s.

Driven with the real kubectl against a simulator started from the command line."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

SUGARLAB = Path(sys.executable).parent / "sugarlab"
KUBECTL = shutil.which("kubectl")
pytestmark = [
    pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed on this machine"),
    pytest.mark.skipif(shutil.which("bwrap") is None or shutil.which("busybox") is None,
                       reason="bubblewrap and busybox are not installed (`make system-packages`)"),
]


@pytest.fixture(scope="module")
def kubeconfig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    workspace = tmp_path_factory.mktemp("k3s-containers")
    try:
        started = subprocess.run([str(SUGARLAB), "sim", "start", "--workspace", str(workspace), "-p", "sim_workers",
                                  "2"], capture_output=True, text=True, timeout=120)
        assert started.returncode == 0, started.stderr
        yield Path(started.stdout.strip().splitlines()[-1])
    finally:
        subprocess.run([str(SUGARLAB), "sim", "stop", "--workspace", str(workspace)], capture_output=True, timeout=60)


def kubectl(kubeconfig: Path, *args: str, stdin: str | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
    assert KUBECTL is not None
    return subprocess.run([KUBECTL, "--kubeconfig", str(kubeconfig), *args], input=stdin, capture_output=True,
                          text=True, timeout=timeout)


def apply(kubeconfig: Path, manifest: dict[str, Any]) -> None:
    done = kubectl(kubeconfig, "apply", "--validate=false", "-f", "-", stdin=json.dumps(manifest))
    assert done.returncode == 0, done.stderr


def pod(name: str, image: str, command: list[str], **spec: Any) -> dict[str, Any]:
    container = {"name": name, "image": image, "command": command, **spec.pop("container", {})}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [container], **spec}}


def status_of(kubeconfig: Path, name: str) -> dict[str, Any]:
    done = kubectl(kubeconfig, "get", "pod", name, "-o", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["status"]  # type: ignore[no-any-return]


def wait_for(what: str, check: Any, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def busybox(kubeconfig: Path) -> str:
    apply(kubeconfig, pod("bb", "busybox:1.36", ["sh", "-c", "echo started; sleep 3600"]))
    done = kubectl(kubeconfig, "wait", "--for=condition=Ready", "pod/bb", "--timeout=60s")
    assert done.returncode == 0, done.stderr
    return "bb"


def test_exec_runs_a_shell_command_with_its_real_exit_code(kubeconfig: Path, busybox: str) -> None:
    done = kubectl(kubeconfig, "exec", busybox, "--", "sh", "-c", "echo hi; false")
    assert done.stdout == "hi\n"
    assert done.returncode == 1
    assert "command terminated with exit code 1" in done.stderr


def test_exec_runs_the_images_programs_for_real(kubeconfig: Path, busybox: str) -> None:
    done = kubectl(kubeconfig, "exec", busybox, "--", "sh", "-c", "seq 3; hostname; echo $PATH")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["1", "2", "3", "bb",
                                        "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]


def test_a_program_the_image_lacks_is_not_found_by_its_shell(kubeconfig: Path, busybox: str) -> None:
    done = kubectl(kubeconfig, "exec", busybox, "--", "sh", "-c", "python3 -V || sqlite3 -version; apk add sqlite")
    assert done.returncode == 127
    assert done.stderr.splitlines()[:3] == ["sh: python3: not found", "sh: sqlite3: not found", "sh: apk: not found"]


def test_the_container_sees_nothing_of_this_machine(kubeconfig: Path, busybox: str) -> None:
    done = kubectl(kubeconfig, "exec", busybox, "--", "sh", "-c", f"ls /; ls {Path.cwd()} || echo gone")
    assert done.returncode == 0, done.stderr
    assert "gone" in done.stdout
    assert "home" not in done.stdout.split() and "work" not in done.stdout.split()
