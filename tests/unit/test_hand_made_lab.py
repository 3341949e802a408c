"""A workspace made by hand following the tutorial (see tests/hand_made.py), judged by the report; notebook 07 judging
one is in the workbook tier (tests/workbook/test_report_notebook.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sugarlab.report import LabFiles, build
from sugarlab.report.figures import UNRECORDED_NODE
from sugarlab.report.front_page import front_page_html
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
    assert figures.loc[f"fio 4k random-read p95 completion latency, {UNRECORDED_NODE}", "value"] == pytest.approx(
        p95_ms
    )
    assert set(figures["provenance"]) == {"cluster"}
    assert report.section("fio per node").problem == "" and report.section("fio per node").figure is not None
    assert "fio's 4k random reads ran at" in report.summary[4]
    inventory = {c.label: c for m in report.milestones for c in m.checks}["two or more new workers joined and Ready"]
    assert "expansion/nodes-after-join.txt" in inventory.evidence  # the baseline was read; the join was not made


def test_a_hand_made_write_job_is_summarised_by_its_write_iops_and_no_read_figure(tmp_path: Path) -> None:
    report = build(LabFiles(hand_made(tmp_path, "fio-3.33-randwrite-normal.log"), [], "live"))
    figures = report.figures.set_index("measure")
    fio = figures[figures.index.str.startswith("fio ")]
    assert list(fio.index) == [
        f"fio 4k random-write IOPS, {UNRECORDED_NODE}",
        f"fio 4k random-write p95 completion latency, {UNRECORDED_NODE}",
    ]  # fio printed no read line: the job had no reads, so the report has no read figure
    assert fio["value"].iloc[0] == pytest.approx(24026 / 5.004)  # issued 24026 writes in 5004 msec ("IOPS=4801")
    assert fio["value"].iloc[1] == pytest.approx(4.817)  # 95.00th=[ 4817] usec
    assert "fio's 4k random writes ran at 4,801 IOPS" in report.summary[4]
    page = front_page_html(report, {}, tmp_path) + report.markdown()
    assert "4,801 IOPS" in page and not re.search(r"\b0 IOPS", page) and not re.search(r"\b0 to 0\b", page)


def test_a_report_of_several_jobs_names_each_jobs_workload(tmp_path: Path) -> None:
    report = build(LabFiles(hand_made(tmp_path, "fio-3.33-three-jobs-json-normal.log"), [], "live"))
    measures = set(report.figures["measure"])
    where = UNRECORDED_NODE
    assert {
        f"fio 4k random-read IOPS, {where} (reader)",
        f"fio 4k random-write IOPS, {where} (writer)",
        f"fio 8k random-read IOPS, {where} (mixed)",
        f"fio 8k random-write IOPS, {where} (mixed)",
    } <= measures
    assert not any(m.startswith("fio 4k random-write IOPS") and "(reader)" in m for m in measures)
