"""The `sugarlab` command: exit codes, parameter handling, and the `sim` verbs' arguments."""

from __future__ import annotations

import json
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

import sugarlab.kube
from sugarlab.app.cli import _parameters, main
from sugarlab.lab.errors import SimulatorError

NOTEBOOKS = Path(__file__).parents[1] / "data" / "notebooks"


@pytest.fixture
def lifecycle(monkeypatch: pytest.MonkeyPatch) -> types.SimpleNamespace:
    """A stand-in `sugarlab.kube.simulator` recording its calls in `.calls`."""
    fake = types.ModuleType("sugarlab.kube.simulator")
    calls: list[tuple[str, Any]] = []

    def start(params: Any, speed: float | None = None) -> Path:
        calls.append(("start", speed or params.speed))
        return Path(params.workspace_path) / "kubeconfig"

    def stop(workspace: Path) -> bool:
        calls.append(("stop", workspace))
        return True

    def status(workspace: Path) -> None:
        calls.append(("status", workspace))

    vars(fake).update(start=start, stop=stop, status=status)
    monkeypatch.setitem(sys.modules, "sugarlab.kube.simulator", fake)
    monkeypatch.setattr(sugarlab.kube, "simulator", fake, raising=False)
    return types.SimpleNamespace(module=fake, calls=calls)


def run(tmp_path: Path, *args: str) -> int:
    return main(["run", "--notebooks-dir", str(NOTEBOOKS), "--output-dir", str(tmp_path / "out"), *args])


def test_successful_run_exits_0_and_prints_where_it_went(
    tmp_path: Path, lifecycle: types.SimpleNamespace, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(tmp_path, "--notebooks", "01", "-p", "seed", "5") == 0
    lines = dict(line.split(": ", 1) for line in capsys.readouterr().out.splitlines())
    run_dir, archive = Path(lines["run folder"]), Path(lines["archive"])
    assert archive.is_file() and archive == run_dir.with_name(run_dir.name + ".tar.gz")
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "succeeded"
    assert [nb["name"] for nb in manifest["notebooks"]] == ["01-write"]
    assert (run_dir / "lab" / "baseline" / "x.txt").read_text() == "seed=5\n"
    assert lifecycle.calls == [("stop", run_dir / "lab")]


def test_failing_notebook_exits_1_with_one_line_and_an_archive(
    tmp_path: Path, lifecycle: types.SimpleNamespace, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(tmp_path, "--notebooks", "02-fail") == 1
    captured = capsys.readouterr()
    error = [line for line in captured.err.splitlines() if line.startswith("sugarlab: error:")]
    assert len(error) == 1 and "Traceback" not in captured.err
    assert "notebook 02-fail failed in cell 4" in error[0] and "RuntimeError: boom from 02-fail (42)" in error[0]
    assert Path(dict(line.split(": ", 1) for line in captured.out.splitlines())["archive"]).is_file()


@pytest.mark.parametrize(
    "args",
    [
        ["-p", "nosuch", "1"],
        ["-p", "seed", "abc"],
        ["-p", "seed", "-1"],
        ["-p", "workspace", "/tmp/elsewhere"],
        ["--notebooks", "01,07"],
        ["-f", "missing.yaml"],
        ["--backend", "moon"],
    ],
)
def test_bad_usage_exits_2_and_creates_nothing(
    tmp_path: Path, args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(tmp_path, *args) == 2
    assert "error:" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_unknown_parameter_message_names_it_and_the_known_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(tmp_path, "-p", "nosuch", "1")
    err = capsys.readouterr().err
    assert err.startswith(
        "sugarlab: error: parameter 'nosuch' = 1 is not allowed: not a lab parameter; known parameters: "
    )
    assert ", seed, " in err and ", worker_taint, " in err and err.endswith("\n")


def test_parameters_are_read_like_papermill_reads_them(tmp_path: Path) -> None:
    file = tmp_path / "params.yaml"
    file.write_text("seed: 4\nbackend: live\nspeed: 2.5\n")
    pairs = [("seed", "007"), ("retake_baseline", "False"), ("context", "1.5"), ("controller_profile", "pi5-8gb")]
    assert _parameters(pairs, [file]) == {
        "seed": 7,
        "backend": "live",
        "speed": 2.5,
        "retake_baseline": False,
        "context": 1.5,
        "controller_profile": "pi5-8gb",
    }


def test_run_passes_backend_and_selection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def fake_run_lab(parameters: dict[str, Any], **options: Any) -> Any:
        seen.update(parameters=parameters, **options)
        raise SimulatorError("stop here")

    monkeypatch.setattr("sugarlab.app.runner.run_lab", fake_run_lab)
    assert run(tmp_path, "--backend", "live", "--notebooks", "01, 03-workload", "-p", "seed", "2") == 1
    assert seen["parameters"] == {"seed": 2, "backend": "live"}
    assert seen["notebooks"] == ["01", "03-workload"]


def test_help_documents_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--help"]) == 0
    out = capsys.readouterr().out
    assert "0  every notebook succeeded" in out
    assert "1  a notebook failed (the partial run is archived)" in out
    assert "2  bad usage or parameters (nothing was created)" in out


def test_sim_start_status_stop_reset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    workspace = str(tmp_path)
    try:
        assert main(["sim", "start", "--workspace", workspace, "-p", "sim_workers", "1"]) == 0
        kubeconfig = Path(capsys.readouterr().out.strip())
        assert kubeconfig.is_file() and "https://127.0.0.1:" in kubeconfig.read_text()
        assert main(["sim", "status", "--workspace", workspace]) == 0
        status = json.loads(capsys.readouterr().out)
        assert status["spec"]["workers"] == 1 and status["url"].startswith("https://127.0.0.1:")
    finally:
        assert main(["sim", "stop", "--workspace", workspace, "--reset"]) == 0
    out = capsys.readouterr().out
    assert f"stopped the simulated cluster of {tmp_path.resolve()}" in out and "forgot" in out
    assert main(["sim", "status", "--workspace", workspace]) == 0
    assert f"no simulated cluster is running in {tmp_path.resolve()}" in capsys.readouterr().out


def test_sim_start_by_hand_runs_on_real_time(
    tmp_path: Path, lifecycle: types.SimpleNamespace, capsys: pytest.CaptureFixture[str]
) -> None:
    """A cluster started by hand keeps real time, so kubectl's own ages agree with the server's; an asked
    speed is kept."""
    assert main(["sim", "start", "--workspace", str(tmp_path)]) == 0
    assert main(["sim", "start", "--workspace", str(tmp_path), "-p", "speed", "120"]) == 0
    assert lifecycle.calls == [("start", 1.0), ("start", 120.0)]


def test_sim_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    try:
        assert main(["sim", "start", "--workspace", str(tmp_path), "-p", "seed", "1"]) == 0
        assert main(["sim", "start", "--workspace", str(tmp_path), "-p", "seed", "2"]) == 1
    finally:
        main(["sim", "stop", "--workspace", str(tmp_path)])
    assert main(["sim", "start", "-p", "seed", "abc"]) == 2
    errors = capsys.readouterr().err.splitlines()
    assert len(errors) == 2
    assert errors[0].startswith("sugarlab: error: the workspace") and "seed=1 (asked 2)" in errors[0]
    assert errors[1] == (
        "sugarlab: error: parameter 'seed' = 'abc' is not allowed: "
        "Input should be a valid integer, unable to parse string as an integer"
    )


def test_python_dash_m_sugarlab() -> None:
    done = subprocess.run([sys.executable, "-m", "sugarlab", "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "exit codes" in done.stdout
