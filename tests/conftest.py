"""Shared fixtures: simulated clusters in temporary workspaces, always stopped afterwards."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from sugarlab.app.notebook import open_lab
from sugarlab.kube import simulator
from sugarlab.kube.connect import connect
from sugarlab.lab.cluster import Cluster
from sugarlab.lab.params import validate_parameters
from sugarlab.lab.session import Lab
from sugarlab.lab.workspace import Workspace

# The longest test files (measured with --durations), started first so that the shorter ones pack the workers' tails
# (`make test` keeps this order: --dist loadfile --no-loadscope-reorder). The workbook's run alone is over a minute.
LONGEST_FIRST = (
    "tests/sim/test_run_again.py",
    "tests/workbook/test_workbook.py",
    "tests/sim/test_storage.py",
    "tests/sim/test_plan_live.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::")[0]
        return LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: the rest keep their order


@pytest.fixture(autouse=True)
def _isolated_workspace(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test writes into the user's real lab workspace."""
    monkeypatch.setenv("SUGARLAB_WORKSPACE", str(tmp_path_factory.mktemp("default-workspace")))


@pytest.fixture(scope="session")
def stop_later() -> Iterator[Callable[[Path], None]]:
    """Stop a workspace's simulator without waiting for it: a server takes a second or two to exit (its
    graceful shutdown, then its pods' processes), time the next test need not spend idle. Every one is
    stopped, and any failure to stop raised, before the session ends."""
    stopping: list[Future[bool]] = []
    with ThreadPoolExecutor(max_workers=8, thread_name_prefix="sim-stop") as pool:
        yield lambda workspace: stopping.append(pool.submit(simulator.stop, workspace))
    for stopped in stopping:
        stopped.result()


@pytest.fixture
def start_sim(
    tmp_path_factory: pytest.TempPathFactory, stop_later: Callable[[Path], None]
) -> Iterator[Callable[..., Cluster]]:
    """Start simulated clusters with given parameters; every one is stopped when the test ends."""
    workspaces: list[Path] = []

    def start(**values: Any) -> Cluster:
        values.setdefault("workspace", str(tmp_path_factory.mktemp("lab")))
        values.setdefault("speed", 120)
        workspaces.append(Path(values["workspace"]))
        return connect(validate_parameters(values))

    yield start
    for workspace in dict.fromkeys(workspaces):  # each once: a test may start one workspace twice
        stop_later(workspace)


@pytest.fixture
def open_sim_lab(
    tmp_path_factory: pytest.TempPathFactory, stop_later: Callable[[Path], None]
) -> Iterator[Callable[..., Lab]]:
    """Open labs on simulated clusters with given parameters; every cluster is stopped afterwards."""
    workspaces: list[Path] = []

    def start(notebook: str = "test", **values: Any) -> Lab:
        values.setdefault("workspace", str(tmp_path_factory.mktemp("lab")))
        values.setdefault("speed", 120)
        workspaces.append(Path(values["workspace"]))
        return open_lab(notebook, **values)

    yield start
    for workspace in dict.fromkeys(workspaces):  # each once: a test may start one workspace twice
        stop_later(workspace)


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory, stop_later: Callable[[Path], None]) -> Iterator[Cluster]:
    """One simulated cluster shared by a test module."""
    workspace = tmp_path_factory.mktemp("sim")
    yield connect(validate_parameters({"workspace": str(workspace), "speed": 120}))
    stop_later(workspace)


@pytest.fixture(scope="module")
def shared_lab(
    tmp_path_factory: pytest.TempPathFactory, stop_later: Callable[[Path], None]
) -> Iterator[Callable[..., Lab]]:
    """Labs with given parameters on one simulated cluster of the default shape, shared by a test module:
    for tests that build manifests or read the cluster, and change nothing another test would see."""
    workspace = tmp_path_factory.mktemp("shared-sim")
    base = validate_parameters({"workspace": str(workspace), "speed": 120})
    cluster = connect(base)

    def lab(notebook: str = "test", **values: Any) -> Lab:
        params = validate_parameters({"speed": 120, **values, "workspace": str(workspace)})
        shape = ("seed", "controller_profile", "sim_workers", "worker_profile", "sim_addons")
        if params.model_dump(include=set(shape)) != base.model_dump(include=set(shape)):
            raise ValueError("a shared lab has the default cluster shape; use open_sim_lab for another")
        return Lab(params, cluster, Workspace(params.workspace_path, notebook).create())

    yield lab
    stop_later(workspace)
