"""One simulator with two workers per test module, started through the command line, and a raw client for it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from sugarlab.sim.kubeconfig import access
from tests.sim.simcluster import start


@pytest.fixture(scope="module")
def sim_workspace(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, stop_later: Callable[[Path], None]
) -> Iterator[Path]:
    """The module's workspace; whatever simulator runs in it is stopped when the module's tests are done."""
    workspace = tmp_path_factory.mktemp(request.path.stem.removeprefix("test_").replace("_", "-"))
    try:
        yield workspace
    finally:
        stop_later(workspace)


@pytest.fixture(scope="module")
def kubeconfig(sim_workspace: Path) -> Path:
    """The kubeconfig of the module's simulator, two workers, started on first use."""
    return start(sim_workspace)


@pytest.fixture(scope="module")
def http(kubeconfig: Path | str) -> Iterator[httpx.Client]:
    """httpx on the URL of the module's `kubeconfig`, trusting its CA and sending its bearer token (a module may
    hand its kubeconfig on as a str)."""
    url, context, headers = access(Path(kubeconfig))
    with httpx.Client(base_url=url, verify=context, headers=headers, timeout=30) as client:
        yield client
