"""One place to choose the cluster: `sugarlab use` records it in the lab workspace and the notebooks, whose
`backend` is left empty, follow; a rehearsal on the simulator has its own folder and never holds the
tutorial's. The "live" cluster here is a simulator reached through its kubeconfig, as a real one is."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sugarlab import ParameterError, open_lab
from sugarlab.app.cli import main
from sugarlab.app.param_docs import parameters_cell
from sugarlab.kube import simulator
from sugarlab.lab.recorded import lab_parameters, recorded_parameters
from tests.sim.simcluster import start, stop


def cell(notebook: str, **overrides: Any) -> dict[str, Any]:
    """The namespace `notebook`'s parameters cell leaves, as Jupyter runs it, with `overrides` set after it."""
    namespace: dict[str, Any] = {}
    exec(parameters_cell(notebook), namespace)
    return {k: v for k, v in namespace.items() if not k.startswith("__")} | overrides


def sugarlab(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def real_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The kubeconfig of a cluster with two joined workers, standing in for the user's k3s."""
    workspace = tmp_path_factory.mktemp("their-cluster")
    yield start(workspace, "-p", "speed", "120")
    stop(workspace)


def test_notebooks_follow_the_cluster_sugarlab_use_recorded(real_cluster: Path, tmp_path: Path) -> None:
    code, out, err = sugarlab("use", "--workspace", str(tmp_path), "-p", "kubeconfig", str(real_cluster))
    assert code == 0, err
    assert recorded_parameters(tmp_path) == {
        "backend": "live",
        "kubeconfig": str(real_cluster.resolve()),
        "context": "sugarkube-sim",
    }
    assert "notebooks with an empty backend follow it" in out

    lab = open_lab("03-workload", cell("03-workload", workspace=str(tmp_path), stress_parallelism=2))
    assert (lab.params.backend, lab.params.kubeconfig) == ("live", str(real_cluster.resolve()))
    assert {n.metadata.name for n in lab.cluster.core.list_node().items} >= {"sugarkube0"}
    # The first notebook, whose cell leaves kubeconfig and context empty too, keeps the recorded connection.
    open_lab("01-baseline", cell("01-baseline", workspace=str(tmp_path)))
    assert recorded_parameters(tmp_path)["kubeconfig"] == str(real_cluster.resolve())
    # Papermill's `-p backend sim` still names a backend, and the workspace holds the live lab only.
    with pytest.raises(ParameterError, match="set up for backend 'live'"):
        open_lab("03-workload", cell("03-workload", workspace=str(tmp_path), backend="sim"))


def test_a_cluster_that_does_not_answer_is_not_recorded(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    code, _, err = sugarlab("use", "--workspace", str(tmp_path / "lab"), "-p", "kubeconfig", str(missing))
    assert code == 2 and "kubeconfig" in err
    assert recorded_parameters(tmp_path / "lab") == {}
    code, _, err = sugarlab("use", "-p", "backend", "sim")
    assert code == 2 and "live" in err


def test_a_rehearsal_in_the_default_folders_leaves_the_tutorials_folder_to_the_live_lab(
    real_cluster: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("SUGARLAB_WORKSPACE")
    monkeypatch.delenv("KUBECONFIG", raising=False)
    tutorial, rehearsal = (
        tmp_path / "sugarkube-labs" / "tutorial-13",
        tmp_path / "sugarkube-labs" / "tutorial-13-rehearsal",
    )
    try:
        # Nothing chosen yet: the notebooks rehearse on the simulator, in the rehearsal's folder.
        rehearsed = open_lab("01-baseline", cell("01-baseline", speed=120.0))
        assert (rehearsed.params.backend, rehearsed.workspace.root) == ("sim", rehearsal)
        assert recorded_parameters(rehearsal)["backend"] == "sim"
        assert sugarlab("sim", "status")[1].startswith("{")  # `sugarlab sim` finds the same folder
        assert not tutorial.exists()

        # Pointed at the real cluster once, the tutorial's folder holds the live lab and every notebook follows.
        assert sugarlab("use", "-p", "kubeconfig", str(real_cluster))[0] == 0
        for notebook in ("01-baseline", "02-expansion", "07-report"):
            lab = open_lab(notebook, cell(notebook))
            assert (lab.params.backend, lab.workspace.root) == ("live", tutorial)
        assert lab_parameters({}).workspace_path == tutorial  # as `sugarlab clean` resolves it

        # The rehearsal goes on beside it when asked for by name.
        again = open_lab("03-workload", cell("03-workload", backend="sim"))
        assert (again.params.backend, again.workspace.root, again.params.speed) == ("sim", rehearsal, 120.0)
    finally:
        simulator.stop(rehearsal)  # now: pytest may remove the folder, and its state, before the session ends
