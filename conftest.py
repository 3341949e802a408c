"""Settings for the notebook checks (nbval collects `notebooks/`, outside `tests/`).

The notebooks run with their default parameters, so they would use the user's own lab workspace:
point them at a temporary one before nbval starts any kernel, and stop the simulated cluster they
started when the session ends.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

_created: list[Path] = []


def pytest_configure(config: pytest.Config) -> None:
    if "SUGARLAB_WORKSPACE" not in os.environ:
        workspace = Path(tempfile.mkdtemp(prefix="sugarlab-tests-"))
        os.environ["SUGARLAB_WORKSPACE"] = str(workspace)
        _created.append(workspace)


def pytest_unconfigure(config: pytest.Config) -> None:
    from sugarlab.sim import lifecycle

    for workspace in _created:
        lifecycle.stop(workspace)
        shutil.rmtree(workspace, ignore_errors=True)
        os.environ.pop("SUGARLAB_WORKSPACE", None)
