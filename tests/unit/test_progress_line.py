"""The headless progress line shows what the running notebook's lab is doing now, read while a cell runs,
and which of its code cells executes."""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import cast

from tqdm import tqdm

from sugarlab.app.progress import POLL_S, activity, shown
from sugarlab.lab.cluster import Cluster
from sugarlab.lab.params import LabParams
from sugarlab.lab.session import Lab
from sugarlab.lab.workspace import Workspace


def _lab(root: Path, notebook: str = "04-storage") -> Lab:
    return Lab(LabParams(workspace=str(root)), cast(Cluster, None), Workspace(root, notebook).create())


def test_the_lab_says_what_it_is_doing_and_the_enclosing_activity_returns(tmp_path: Path) -> None:
    lab = _lab(tmp_path)
    state = lab.workspace.state_dir
    assert activity(state, "04-storage") is None
    with lab.step("writer ready"):
        assert activity(state, "04-storage") == "writer ready"
        with lab.doing("drain-node", (3, 5)):
            assert activity(state, "04-storage") == "drain-node (3 of 5)"
        assert activity(state, "04-storage") == "writer ready"
    assert activity(state, "04-storage") is None


def test_another_notebooks_activity_is_not_shown(tmp_path: Path) -> None:
    lab = _lab(tmp_path, "03-workload")
    with lab.doing("stress spread"):
        assert activity(lab.workspace.state_dir, "04-storage") is None


def test_the_line_follows_the_activity_while_a_cell_runs(tmp_path: Path) -> None:
    lab = _lab(tmp_path)
    bar = tqdm(total=7, file=io.StringIO())
    with shown(bar, lab.workspace.state_dir, "04-storage") as on_cell:
        on_cell(9, 12)
        assert (bar.desc, bar.postfix) == ("04-storage: ", "cell 9 of 12")  # tqdm adds the colon
        with lab.doing("drain-node", (3, 5)):  # the cell runs on; nothing else tells the line
            deadline = time.monotonic() + 20 * POLL_S
            while "drain-node" not in bar.desc and time.monotonic() < deadline:
                time.sleep(0.1)
            assert bar.desc == "04-storage · drain-node (3 of 5): "
    bar.close()
