"""Notebook 07 on a workspace made by hand (tests/hand_made.py): the report notebook judges what an operator's shell
left, and its checklist names each figure's source."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import nbformat
import papermill

from sugarlab.report.figures import UNRECORDED_NODE
from tests.hand_made import hand_made

NOTEBOOKS = Path(__file__).parents[2] / "notebooks"


def test_notebook_07_judges_a_hand_made_workspace(tmp_path: Path, stop_later: Callable[[Path], None]) -> None:
    workspace = hand_made(tmp_path / "lab", "fio-3.33-tutorial-normal.log")
    try:
        papermill.execute_notebook(
            str(NOTEBOOKS / "07-report.ipynb"),
            str(tmp_path / "07-report.ipynb"),
            parameters={"workspace": str(workspace)},
            cwd=str(NOTEBOOKS),
            progress_bar=False,
        )
    finally:
        stop_later(workspace)  # notebook 07 opened its lab on the workspace's simulated cluster
    checklist = (workspace / "final/milestone-checklist.md").read_text()
    printed = [
        "".join(o.get("text", "") for o in cell.outputs)
        for cell in nbformat.read(tmp_path / "07-report.ipynb", as_version=4).cells
        if "report.save(" in cell.source
    ]
    assert printed == ["final/milestone-checklist.md\n"]  # relative to the workspace, as 01 to 06 print theirs
    cells = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in checklist.splitlines()
        if line.startswith("| ")
    ]
    figures = {row[1]: row[2:] for row in cells if len(row) == 5}
    assert figures["nodes at baseline"] == ["3 nodes", "cluster", "baseline/resource-snapshot.csv"]
    assert figures["CPU used at baseline"] == ["0.747 cores", "cluster", "baseline/resource-snapshot.csv"]
    assert figures[f"fio 4k random-read IOPS, {UNRECORDED_NODE}"] == [
        "13,918 IOPS",
        "cluster",
        "operations/fio-report.log",
    ]
    sources = {row[0]: row[1] for row in cells if len(row) == 5 and row[0].startswith("baseline/")}
    assert sources["baseline/resource-snapshot.csv"] == "not recorded"
