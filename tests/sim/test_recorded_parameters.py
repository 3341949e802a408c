"""The connection is chosen once per workspace: later notebooks read what was recorded there."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sugarlab import SimulatorError, open_lab
from sugarlab.app.cli import main
from sugarlab.lab.recorded import recorded_parameters


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A workspace whose simulated cluster `sugarlab sim start` made with seed 3 at speed 120."""
    root = tmp_path_factory.mktemp("lab")
    assert main(["sim", "start", "--workspace", str(root), "-p", "seed", "3", "-p", "speed", "120"]) == 0
    yield root
    assert main(["sim", "stop", "--workspace", str(root)]) == 0


def test_sim_start_records_the_cluster_it_made_and_notebooks_use_it(workspace: Path) -> None:
    assert recorded_parameters(workspace) == {"seed": 3, "speed": 120.0}
    lab = open_lab("05-edge-ai", {"backend": "sim", "workspace": str(workspace), "edge_replicas": 1})
    assert (lab.params.seed, lab.params.speed, lab.params.edge_replicas) == (3, 120.0, 1)
    assert lab.cluster.core.read_node("sugarkube0").metadata.name == "sugarkube0"


def test_what_a_notebook_declares_is_recorded_for_the_next(workspace: Path) -> None:
    open_lab(
        "02-expansion",
        {
            "backend": "sim",
            "workspace": str(workspace),
            "worker_taint": "sugarkube.io/role=edge:NoSchedule",
            "join_timeout": 60.0,
        },
    )
    later = open_lab("03-workload", {"backend": "sim", "workspace": str(workspace)})
    assert later.params.worker_taint == "sugarkube.io/role=edge:NoSchedule"
    assert recorded_parameters(workspace)["join_timeout"] == 60.0


def test_the_first_notebook_cannot_silently_remake_the_cluster(workspace: Path) -> None:
    with pytest.raises(SimulatorError, match="seed=3 \\(asked 7\\)"):
        open_lab("01-baseline", {"backend": "sim", "workspace": str(workspace), "seed": 7, "speed": 120.0})
    assert recorded_parameters(workspace)["seed"] == 3  # nothing is recorded before the cluster answers
