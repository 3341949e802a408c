"""Interrupted and failed runs: one line and 130/143 on a signal, an archived partial run, and
`--resume` continuing it in its own folder with every attempt in the manifest."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, cast

import pytest

from sugarlab.app.cli import main

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
