"""A workspace made by hand following the tutorial (see tests/hand_made.py), judged by the report; notebook 07 judging
one is in the workbook tier (tests/workbook/test_report_notebook.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sugarlab.report import LabFiles, build
from sugarlab.report.figures import UNRECORDED_NODE
from sugarlab.steps.baseline import read_snapshot
from tests.hand_made import DATA, hand_made

MIB, GIB = 1024**2, 1024**3


def test_kubectl_top_text_reads_as_the_snapshot() -> None:
    text = (DATA / "kubectl-top-nodes.txt").read_text() + (DATA / "kubectl-top-pods.txt").read_text()
    snapshot = read_snapshot(text)
    nodes, pods = snapshot[snapshot["kind"] == "node"], snapshot[snapshot["kind"] == "pod"]
    assert list(nodes["name"]) == ["ub18", "ub18c1", "ub18c2"]
    assert list(nodes["cpu_cores"]) == [0.354, 0.180, 0.213] and list(nodes["cpu_percent"]) == [17, 18, 21]
    assert list(nodes["memory_bytes"]) == [2685 * MIB, 2244 * MIB, 2138 * MIB]
    first = pods.iloc[0]
    assert (first["namespace"], first["name"], first["cpu_cores"], first["memory_bytes"]) == (
        "default",
        "resource-consumer-pod",
        0.1,
        7 * MIB,
    )
    assert set(snapshot["provenance"]) == {"cluster"}


@pytest.mark.parametrize(
    ("fio_log", "iops", "p95_ms"),
    [
        ("fio-3.33-tutorial-normal.log", 13988 / 1.005, 0.058),
        ("fio-2.2.10-ssd-4k-randread.log", 262144 / 17.061, 0.068),
    ],
)
def test_the_report_judges_a_hand_made_workspace(tmp_path: Path, fio_log: str, iops: float, p95_ms: float) -> None:
    report = build(LabFiles(hand_made(tmp_path, fio_log), [], "live"))
    figures = report.figures.set_index("measure")
    assert figures.loc["nodes at baseline", "value"] == 3
    assert figures.loc["CPU used at baseline", "value"] == pytest.approx(0.747)
    assert figures.loc["memory used at baseline", "value"] == pytest.approx((2685 + 2244 + 2138) * MIB / GIB)
    assert figures.loc[f"fio 4k random-read IOPS, {UNRECORDED_NODE}", "value"] == pytest.approx(iops)
    assert figures.loc[f"fio p95 completion latency, {UNRECORDED_NODE}", "value"] == pytest.approx(p95_ms)
    assert set(figures["provenance"]) == {"cluster"}
    assert report.section("fio per node").problem == "" and report.section("fio per node").figure is not None
    assert "fio's 4k random reads ran at" in report.summary[4]
    inventory = {c.label: c for m in report.milestones for c in m.checks}["two or more new workers joined and Ready"]
    assert "expansion/nodes-after-join.txt" in inventory.evidence  # the baseline was read; the join was not made
