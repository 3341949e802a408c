"""A workspace made by hand following the tutorial, judged by the report: `kubectl top` text in
`baseline/resource-snapshot.csv` (the tutorial's `kubectl top nodes | tee ...` then `kubectl top pods -A
| tee -a ...`) and fio's normal text in `operations/fio-report.log` (its `kubectl logs job/fio-benchmark
> ...`), from the real outputs in tests/data (their sources are in tests/data/README.md and
tests/data/fio/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sugarlab.report import LabFiles, build
from sugarlab.report.figures import UNRECORDED_NODE
from sugarlab.steps.baseline import read_snapshot

DATA = Path(__file__).parents[1] / "data"
MIB, GIB = 1024**2, 1024**3


def hand_made(root: Path, fio_log: str) -> Path:
    """What an operator's shell leaves: plain files, no registry of who wrote them."""
    (root / "baseline").mkdir(parents=True)
    (root / "operations").mkdir()
    (root / "baseline/cluster-inventory.txt").write_text((DATA / "kubectl-get-nodes-wide.txt").read_text())
    (root / "baseline/resource-snapshot.csv").write_text(
        (DATA / "kubectl-top-nodes.txt").read_text() + (DATA / "kubectl-top-pods.txt").read_text()
    )
    (root / "operations/fio-report.log").write_text((DATA / "fio" / fio_log).read_text())
    return root


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


def test_notebook_07_judges_a_hand_made_workspace(tmp_path: Path) -> None:
    import papermill

    from sugarlab.kube import simulator

    workspace = hand_made(tmp_path / "lab", "fio-3.33-tutorial-normal.log")
    try:
        papermill.execute_notebook(
            str(Path(__file__).parents[2] / "notebooks" / "07-report.ipynb"),
            str(tmp_path / "07-report.ipynb"),
            parameters={"workspace": str(workspace)},
            cwd=str(Path(__file__).parents[2] / "notebooks"),
            progress_bar=False,
        )
    finally:
        simulator.stop(workspace)  # notebook 07 opened its lab on the workspace's simulated cluster
    checklist = (workspace / "final/milestone-checklist.md").read_text()
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
