"""The key frames of the lab in one place, read from its artefacts (the plots of them are in
`sugarlab.views.figures`).

The fio frame is notebook 06's own (`sugarlab.steps.operations.fio_bench`). `key_figures` flattens the
frames into one long frame (section, measure, value, unit, provenance, source) that the report's
summary, the checklist document and `sugarlab compare` all read. Every figure keeps the artefact it
came from and its provenance (`cluster`, `local` or `simulated`).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable

import pandas as pd

from sugarlab.lab.errors import FioOutputError
from sugarlab.report.milestones import new_workers
from sugarlab.report.sources import ArtefactError, LabFiles, provenance_of, read_yaml_field
from sugarlab.steps.baseline import read_snapshot
from sugarlab.steps.operations.fio_bench import RESULT_COLUMNS
from sugarlab.steps.operations.fio_output import measured, parse_fio
from sugarlab.views.readable import quantity

GIB = 1024**3
SNAPSHOT, COMPARISON = "baseline/resource-snapshot.csv", "expansion/baseline-comparison.csv"
FIO, TUNING, INFERENCE_LOG = "operations/fio-results.csv", "edge-ai/tuning-experiments.md", "edge-ai/inference.log"
FIO_LOG = "operations/fio-report.log"
UNRECORDED_NODE = "node not recorded"
FAILOVER, FAILOVER_PLOT = "storage/failover-experiments.csv", "storage/failover-rows.png"
TUNING_KNOBS = ["max_batch", "intra_op_threads", "replicas", "cpu_limit"]
FIGURE_COLUMNS = ["section", "measure", "value", "unit", "provenance", "source"]


# -- frames ---------------------------------------------------------------------------------------------
def baseline_nodes(files: LabFiles) -> pd.DataFrame:
    """The nodes of notebook 01's snapshot, or of the `kubectl top` text the tutorial's `tee` leaves."""
    try:
        snapshot = read_snapshot(files.text(SNAPSHOT))
    except ValueError as exc:
        raise ArtefactError(SNAPSHOT, str(exc)) from None
    missing = [
        c for c in ("kind", "name", "cpu_cores", "memory_bytes", "cpu_allocatable", "provenance") if c not in snapshot
    ]
    if missing:
        raise ArtefactError(SNAPSHOT, f"lacks the columns {', '.join(missing)}")
    nodes = snapshot[snapshot["kind"] == "node"]
    if nodes.empty:
        raise ArtefactError(SNAPSHOT, "holds no node")
    return nodes


def expansion_per_node(files: LabFiles) -> pd.DataFrame:
    """Notebook 03's comparison: each node at baseline (idle) and at the stress Job's busiest moment."""
    return files.csv(
        COMPARISON,
        [
            "node",
            "new",
            "cpu_allocatable",
            "baseline_cpu_cores",
            "load_cpu_cores",
            "baseline_memory_bytes",
            "load_memory_bytes",
            "baseline_pods",
            "pods_now",
            "provenance",
        ],
    )


def expansion_totals(files: LabFiles) -> pd.DataFrame:
    """The whole cluster before and after the expansion: nodes, allocatable CPU, CPU and memory used, pods."""
    before, now = baseline_nodes(files), expansion_per_node(files)
    rows = {
        "nodes": (len(before), len(now)),
        "allocatable CPU (cores)": (before["cpu_allocatable"].sum(), now["cpu_allocatable"].sum()),
        "CPU used (cores)": (before["cpu_cores"].sum(), now["load_cpu_cores"].sum()),
        "memory used (GiB)": (before["memory_bytes"].sum() / GIB, now["load_memory_bytes"].sum() / GIB),
        "running pods": (int(now["baseline_pods"].sum()), int(now["pods_now"].sum())),
    }
    frame = pd.DataFrame(rows, index=["baseline", "post_expansion"]).T
    frame["delta"] = frame["post_expansion"] - frame["baseline"]
    return frame.rename_axis("measure").reset_index().assign(provenance=provenance_of(now))


def fio_source(files: LabFiles) -> str:
    """The artefact the fio figures come from: notebook 06's results, else the tutorial's raw report."""
    return FIO if files.exists(FIO) or not files.exists(FIO_LOG) else FIO_LOG


def fio_results(files: LabFiles) -> pd.DataFrame:
    """Notebook 06's fio results, one row per node, as `sugarlab.steps.operations.fio_bench` wrote them;
    without them, the report the tutorial's own command leaves (`kubectl logs job/fio-benchmark >
    fio-report.log`), fio's JSON or normal text, whose node kubectl does not record."""
    if fio_source(files) == FIO:
        return files.csv(FIO, RESULT_COLUMNS)
    try:
        results = parse_fio(files.text(FIO_LOG), node=UNRECORDED_NODE, provenance="cluster")
    except FioOutputError as exc:
        raise ArtefactError(FIO_LOG, exc.reason) from None
    return results.assign(medium="", diagnosis="")[RESULT_COLUMNS]


def tuning_study(files: LabFiles) -> pd.DataFrame:
    """Notebook 05's sweep, read back from the table in `edge-ai/tuning-experiments.md`, with the chosen
    setting marked and the provenance its inference log records."""
    text = files.text(TUNING)
    # The sweep's table is the first; `## Models` below it has a table of its own (other columns).
    rows = text.splitlines()
    start = next((i for i, line in enumerate(rows) if line.startswith("|")), len(rows))
    lines = list(itertools.takewhile(lambda line: line.startswith("|"), rows[start:]))
    if len(lines) < 3:
        raise ArtefactError(TUNING, "holds no results table; rerun notebooks/05-edge-ai.ipynb")
    cells = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in lines]
    frame = pd.DataFrame(cells[2:], columns=cells[0])
    missing = [
        c
        for c in [*TUNING_KNOBS, "concurrency", "errors", "p50_ms", "p95_ms", "p99_ms", "throughput_rps"]
        if c not in frame
    ]
    if missing:
        raise ArtefactError(TUNING, f"its table lacks the columns {', '.join(missing)}")
    for column in frame.columns.difference(["cpu_limit"]):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    chosen = _chosen(text)
    frame["chosen"] = [
        chosen == (f"{b:g}", f"{t:g}", f"{r:g}", str(c)) for b, t, r, c in frame[TUNING_KNOBS].itertuples(index=False)
    ]
    provenance = read_yaml_field(files.text(INFERENCE_LOG), "provenance") if files.exists(INFERENCE_LOG) else None
    return frame.assign(provenance=provenance or "unknown provenance")


def _chosen(text: str) -> tuple[str, str, str, str] | None:
    match = re.search(r"^`MAX_BATCH=(\d+)`, `INTRA_OP_THREADS=(\d+)`, replicas (\d+), CPU limit (\S+)\.$", text, re.M)
    return match.groups() if match else None  # type: ignore[return-value]


def failover(files: LabFiles) -> pd.DataFrame:
    """Notebook 04's failover experiments; their timings are the cluster's (simulated on the simulator)."""
    frame = files.csv(FAILOVER, ["experiment", "time_to_ready_s", "rows_missing", "verdict"])
    return frame if "provenance" in frame else frame.assign(provenance=files.cluster_provenance)


# -- key figures ----------------------------------------------------------------------------------------
def _rows(section: str, source: str, read: Callable[[], list[tuple[str, float, str, str]]]) -> list[dict[str, object]]:
    try:
        found = read()
    except ArtefactError:
        return []
    return [
        dict(zip(FIGURE_COLUMNS, (section, m, float(v), u, p, source), strict=True))
        for m, v, u, p in found
        if pd.notna(v)
    ]


def _baseline_figures(files: LabFiles) -> list[tuple[str, float, str, str]]:
    nodes = baseline_nodes(files)
    p = provenance_of(nodes)
    return [
        ("nodes at baseline", len(nodes), "nodes", p),
        ("CPU used at baseline", nodes["cpu_cores"].sum(min_count=1), "cores", p),
        ("memory used at baseline", nodes["memory_bytes"].sum(min_count=1) / GIB, "GiB", p),
    ]


def _expansion_figures(files: LabFiles) -> list[tuple[str, float, str, str]]:
    now = expansion_per_node(files)
    p = provenance_of(now)
    try:  # the workers notebook 02 recorded, members of the cluster before the lab included
        workers = new_workers(files)
        new = now[now["node"].isin(workers[workers["status"] == "Ready"]["name"])]
    except ArtefactError:
        new = now[now["new"].astype(bool)]
    return [
        ("nodes after expansion", len(now), "nodes", p),
        ("CPU used under the stress Job", now["load_cpu_cores"].sum(min_count=1), "cores", p),
        ("CPU used under the stress Job on new workers", new["load_cpu_cores"].sum(min_count=1), "cores", p),
        ("memory used under the stress Job", now["load_memory_bytes"].sum(min_count=1) / GIB, "GiB", p),
    ]


def _fio_figures(files: LabFiles) -> list[tuple[str, float, str, str]]:
    """Per job, the IOPS and p95 latency of each direction it moved data in (a write job's as write
    figures); a report with several jobs on one node names the job too."""
    results = measured(fio_results(files))
    jobs = results.drop_duplicates(["node", "job"])["node"]
    shared_nodes = set(jobs[jobs.duplicated(keep=False)])
    rows = []
    for r in results[results["direction"].notna()].itertuples():
        where = f"{r.node} ({r.job})" if r.node in shared_nodes else str(r.node)
        rows += [
            (f"fio {r.workload} IOPS, {where}", r.iops, "IOPS", r.provenance),
            (f"fio {r.workload} p95 completion latency, {where}", r.clat_p95_us / 1000, "ms", r.provenance),
        ]
    return rows


def _latency_figures(files: LabFiles) -> list[tuple[str, float, str, str]]:
    chosen = tuning_study(files).query("chosen")
    rows = []
    for r in chosen.itertuples():
        rows += [
            (f"inference p50, chosen setting, concurrency {r.concurrency}", r.p50_ms, "ms", r.provenance),
            (f"inference p95, chosen setting, concurrency {r.concurrency}", r.p95_ms, "ms", r.provenance),
            (
                f"inference throughput, chosen setting, concurrency {r.concurrency}",
                r.throughput_rps,
                "requests/s",
                r.provenance,
            ),
        ]
    return rows


def _failover_figures(files: LabFiles) -> list[tuple[str, float, str, str]]:
    frame = failover(files)
    p = provenance_of(frame)
    return [
        ("failover experiments", len(frame), "experiments", p),
        ("failover experiments with no data lost", (frame["verdict"] == "no data lost").sum(), "experiments", p),
        ("longest failover time to ready", pd.to_numeric(frame["time_to_ready_s"], errors="coerce").max(), "s", p),
        (
            "rows missing after failover",
            pd.to_numeric(frame["rows_missing"], errors="coerce").sum(min_count=1),
            "rows",
            p,
        ),
        *[
            (f"failover time to ready, {row.experiment}", pd.to_numeric(row.time_to_ready_s, errors="coerce"), "s", p)
            for row in frame.itertuples()
        ],
    ]


def key_figures(files: LabFiles) -> pd.DataFrame:
    """Every key figure the artefacts hold; sections whose artefacts are missing are left out."""
    rows = (
        _rows("baseline", SNAPSHOT, lambda: _baseline_figures(files))
        + _rows("expansion", COMPARISON, lambda: _expansion_figures(files))
        + _rows("storage", FAILOVER, lambda: _failover_figures(files))
        + _rows("edge AI", TUNING, lambda: _latency_figures(files))
        + _rows("operations", fio_source(files), lambda: _fio_figures(files))
    )
    return pd.DataFrame(rows, columns=FIGURE_COLUMNS)


def readable_figures(figures: pd.DataFrame) -> pd.DataFrame:
    """The key figures for people: each value with its unit (`15 s`, `19,220 IOPS`), no raw float."""
    shown = figures.assign(value=[quantity(v, u) for v, u in zip(figures["value"], figures["unit"], strict=True)])
    return shown.drop(columns="unit")
