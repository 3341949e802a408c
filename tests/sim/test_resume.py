"""Interrupted and failed runs: one line and 130/143 on a signal, an archived partial run, and
`--resume` continuing it in its own folder with every attempt in the manifest."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, cast

import pytest

from sugarlab.app.cli import main
from sugarlab.sim.network import netns
from sugarlab.sim.owner import start_time

NOTEBOOKS = Path(__file__).parents[1] / "data" / "resume-notebooks"


def _manifest(run_dir: Path) -> dict[str, Any]:
    return cast(dict[str, Any], json.loads((run_dir / "manifest.json").read_text()))


def test_a_failed_run_resumes_with_a_fix_and_keeps_both_attempts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    common = ["--notebooks-dir", str(NOTEBOOKS), "--output-dir", str(out)]
    assert main(["run", *common, "-p", "storage_timeout", "1", "-p", "seed", "3"]) == 1
    captured = capsys.readouterr()
    run_dir = Path(dict(line.split(": ", 1) for line in captured.out.splitlines())["run folder"])
    assert f"resume with: sugarlab run --resume {run_dir}" in captured.err
    assert [nb["status"] for nb in _manifest(run_dir)["notebooks"]] == ["succeeded", "failed"]
    written = (run_dir / "lab" / "baseline" / "x.txt").stat().st_mtime_ns

    assert main(["run", "--resume", run_dir.name, *common, "-p", "storage_timeout", "600"]) == 0
    manifest = _manifest(run_dir)
    assert manifest["status"] == "succeeded" and sorted(p.name for p in out.iterdir()) == [
        run_dir.name,
        f"{run_dir.name}.tar.gz",
    ]
    first, second = manifest["attempts"]
    assert (first["status"], first["parameters"]["storage_timeout"]) == ("failed", 1.0)
    assert [nb["name"] for nb in first["notebooks"]] == ["01-write", "02-wait"]
    assert (second["status"], second["parameters"]["storage_timeout"], second["parameters"]["seed"]) == (
        "succeeded",
        600.0,
        3,
    )
    assert [(nb["name"], nb["status"]) for nb in second["notebooks"]] == [("02-wait", "succeeded")]
    assert [(nb["name"], nb["attempt"]) for nb in manifest["notebooks"]] == [("01-write", 1), ("02-wait", 2)]
    assert (run_dir / "lab" / "baseline" / "x.txt").stat().st_mtime_ns == written  # 01 did not run again

    assert main(["run", "--resume", str(run_dir), *common]) == 2  # nothing left to resume
    assert "this one succeeded" in capsys.readouterr().err


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_the_notebook_archives_and_exits_with_one_line(tmp_path: Path, signum: int, code: int) -> None:
    out = tmp_path / "out"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sugarlab",
            "run",
            "--notebooks-dir",
            str(NOTEBOOKS),
            "--output-dir",
            str(out),
            "-p",
            "sample_every",
            "120",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    deadline = time.monotonic() + 90
    while not list(out.glob("*/notebooks/02-wait.ipynb")) and time.monotonic() < deadline:
        time.sleep(0.2)  # papermill writes the notebook as it starts executing it
    time.sleep(2)
    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=90)
    assert process.returncode == code, stderr
    lines = [line for line in stderr.splitlines() if line.startswith("sugarlab:")]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    run_dir = Path(dict(line.split(": ", 1) for line in stdout.splitlines())["run folder"])
    assert f"{signal.Signals(signum).name} interrupted notebook 02-wait" in lines[0]
    assert f"resume with: sugarlab run --resume {run_dir}" in lines[0]
    manifest = _manifest(run_dir)
    assert manifest["status"] == "interrupted" and run_dir.with_name(f"{run_dir.name}.tar.gz").is_file()
    assert [nb["status"] for nb in manifest["notebooks"]] == ["succeeded", "interrupted"]


def _of_the_run(run_dir: Path) -> list[int]:
    """Processes that name the run's folder on their command line or hold a file of it open: its simulator,
    the containers and kernels of its notebooks."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            named = str(run_dir) in (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            held = any(str(run_dir) in os.readlink(fd) for fd in (proc / "fd").iterdir())
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if named or held:
            found.append(int(proc.name))
    return found


def _doing(out: Path) -> tuple[Path, str] | None:
    for record in out.glob("*/lab/.sugarlab/doing.json"):
        try:
            doing = json.loads(record.read_text())
        except (OSError, ValueError):
            continue
        return record.parents[2], f"{doing['notebook']} {doing['doing']}"
    return None


def test_a_run_killed_outright_leaves_no_simulator_and_resumes(tmp_path: Path) -> None:
    out, parameters = tmp_path / "out", tmp_path / "stress.yaml"
    parameters.write_text('stress_args: ["--cpu", "1", "--timeout", "60m"]\nstress_completions: 8\n')
    command = ["run", "--notebooks", "01,02,03", "-f", str(parameters), "--output-dir", str(out)]
    with (tmp_path / "terminal").open("w") as terminal:
        runner = subprocess.Popen([sys.executable, "-m", "sugarlab", *command], stdout=terminal, stderr=terminal)
    deadline = time.monotonic() + 300
    while (found := _doing(out)) is None or found[1] != "03-workload stress spread":
        assert time.monotonic() < deadline and runner.poll() is None, f"notebook 03's stress never ran: {found}"
        time.sleep(0.2)
    run_dir = found[0]
    while "03-workload · stress spread" not in (line := (tmp_path / "terminal").read_text()):  # while its cell runs
        assert time.monotonic() < deadline and runner.poll() is None, f"the progress line never said it: {line}"
        time.sleep(0.2)
    assert re.search(r"cell \d+ of \d+", line.split("03-workload · stress spread")[-1])
    manifest = _manifest(run_dir)  # written from the run's first second
    assert manifest["status"] == "running" and manifest["runner"]["pid"] == runner.pid
    assert [nb["status"] for nb in manifest["notebooks"]] == ["succeeded", "succeeded", "running"]
    server = json.loads((run_dir / "lab" / ".sugarlab" / "sim" / "server.json").read_text())["pid"]

    runner.kill()
    runner.wait()
    killed = time.monotonic()
    while _of_the_run(run_dir) and time.monotonic() - killed < 60:
        time.sleep(0.5)
    assert not _of_the_run(run_dir), "processes of the run outlived it by a minute"
    assert start_time(server) is None  # exited (a zombie until whoever adopted it reaps it)
    mine = netns.prefix(run_dir / "lab" / ".sugarlab" / "sim")
    left = os.listdir(netns.RUN_DIR) if netns.RUN_DIR.is_dir() else []
    assert not [name for name in left if name.startswith(mine)]  # its pod network removed
    assert _manifest(run_dir)["status"] == "running"  # as the runner left it

    assert main(["run", "--resume", str(run_dir), "-p", "stress_args", '["--cpu", "1", "--timeout", "5m"]']) == 0
    manifest = _manifest(run_dir)
    assert manifest["status"] == "succeeded" and run_dir.with_name(f"{run_dir.name}.tar.gz").is_file()
    assert [a["status"] for a in manifest["attempts"]] == ["interrupted", "succeeded"]
    lost = manifest["attempts"][0]["notebooks"][-1]
    assert lost["status"] == "interrupted" and f"pid {runner.pid}" in lost["error"]
    assert [(nb["name"], nb["attempt"]) for nb in manifest["notebooks"]] == [
        ("01-baseline", 1),
        ("02-expansion", 1),
        ("03-workload", 2),
    ]
    assert not _of_the_run(run_dir)


def test_a_run_that_is_still_running_is_not_resumed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from sugarlab.app.liveness import this_runner

    run_dir = tmp_path / "20261207-120000-abcd"
    run_dir.mkdir()
    manifest = {"run_id": run_dir.name, "status": "running", "runner": this_runner()}
    manifest |= {"parameters": {}, "notebooks": [], "notebooks_dir": str(NOTEBOOKS)}
    (run_dir / "manifest.json").write_text(json.dumps(manifest))
    assert main(["run", "--resume", str(run_dir)]) == 2
    assert f"this one is still running (pid {os.getpid()})" in capsys.readouterr().err
