"""The report's written summary: a few sentences built from the key figures and the checklist.

Every number comes from `figures.key_figures`; each sentence ends with the figures' provenance, and a
section without figures says which artefact is missing instead.
"""

from __future__ import annotations

import re

import pandas as pd

from sugarlab.report.milestones import Milestone
from sugarlab.report.sources import WRITERS

MULTI_NODE = "Multi-node prototype"  # the milestone whose first check is "at least two new workers joined"


def _value(figures: pd.DataFrame, measure: str) -> float | None:
    match = figures.loc[figures["measure"] == measure, "value"]
    return float(match.iloc[0]) if len(match) else None


def _provenance(figures: pd.DataFrame, section: str) -> str:
    return ", ".join(sorted(set(figures.loc[figures["section"] == section, "provenance"])))


def _absent(section: str, artefact: str) -> str:
    return f"No {section} figures: `{artefact}` is missing (notebook {WRITERS[artefact]})."


def _milestones(milestones: list[Milestone]) -> str:
    passed = [m for m in milestones if m.passed]
    text = f"{len(passed)} of {len(milestones)} milestones pass."
    failing = [
        f"{m.title.split(':')[0]} ({'; '.join(f'{c.label}: {c.status}' for c in m.unfinished)})"
        for m in milestones
        if not m.passed
    ]
    return text + (f" Still open: {'; '.join(failing)}." if failing else "")


def _expansion(figures: pd.DataFrame, milestones: list[Milestone]) -> str:
    before, after = _value(figures, "nodes at baseline"), _value(figures, "nodes after expansion")
    if after is None:
        return _absent("post-expansion", "expansion/baseline-comparison.csv")
    joined = next((m.checks[0] for m in milestones if m.title.startswith(MULTI_NODE)), None)
    if joined is not None and not joined.passed:  # the summary never claims what the checklist denies
        return (
            f"No expansion is summarised: the checklist finds no new workers against the baseline inventory "
            f"({joined.evidence}). If the baseline was retaken after the workers joined, run notebooks 02 "
            "and 03 again so that the comparison and the inventory describe the same cluster."
        )
    idle, load = _value(figures, "CPU used at baseline"), _value(figures, "CPU used under the stress Job")
    on_new = _value(figures, "CPU used under the stress Job on new workers")
    if before == after:  # its workers were members before the baseline was taken: nothing grew
        grew = f"has {after:.0f} nodes, as at the baseline"
    else:
        grew = f"grew from {before:.0f} to {after:.0f} nodes" if before is not None else f"grew to {after:.0f} nodes"
    share = f", {on_new / load:.0%} of it on the workers of the expansion" if load and on_new is not None else ""
    base = f" against {idle:.2f} cores at the idle baseline" if idle is not None else ""
    used = (
        f"under the stress Job it used {load:.2f} CPU cores{base}{share}"
        if load is not None
        else "the comparison holds no CPU use under the stress Job"
    )
    return f"The cluster {grew}; {used} ({_provenance(figures, 'expansion')})."


def _storage(figures: pd.DataFrame) -> str:
    total = _value(figures, "failover experiments")
    if total is None:
        return _absent("failover", "storage/failover-experiments.csv")
    kept = _value(figures, "failover experiments with no data lost") or 0.0
    longest = _value(figures, "longest failover time to ready")
    ready = f"; the slowest was ready again after {longest:.0f} s" if longest is not None else ""
    return f"{kept:.0f} of {total:.0f} failover experiments lost no data{ready} ({_provenance(figures, 'storage')})."


def _edge_ai(figures: pd.DataFrame) -> str:
    rows = figures[figures["measure"].str.startswith("inference p95, chosen setting")]
    if rows.empty:
        return _absent("inference latency", "edge-ai/tuning-experiments.md")
    top = max(int(measure.rsplit("concurrency ", 1)[1]) for measure in rows["measure"])
    p50 = _value(figures, f"inference p50, chosen setting, concurrency {top}")
    p95 = _value(figures, f"inference p95, chosen setting, concurrency {top}")
    rps = _value(figures, f"inference throughput, chosen setting, concurrency {top}")
    return (
        f"The chosen inference setting answered in {p50:.0f} ms at p50 and {p95:.0f} ms at p95 with "
        f"{top} requests in flight, {rps:.1f} requests/s ({_provenance(figures, 'edge AI')})."
    )


FIO_IOPS = re.compile(r"^fio (?P<workload>.+) IOPS, (?P<where>.+)$")


def _plural(workload: str) -> str:
    """`4k random-read` -> `4k random reads`, `write` -> `writes`."""
    head, _, direction = workload.rpartition("-") if "-" in workload else ("", "", workload)
    return f"{head} {direction}s" if head else f"{direction}s"


def _fio(figures: pd.DataFrame) -> str:
    """A sentence per workload the fio report holds (a write job's IOPS as writes), from its figures only."""
    found = figures["measure"].str.extract(FIO_IOPS).assign(value=figures["value"]).dropna(subset=["workload"])
    if found.empty:
        return _absent("fio", "operations/fio-results.csv")
    sentences = []
    for workload, rows in found.groupby("workload", sort=False):
        fastest, slowest = rows.loc[rows["value"].idxmax()], rows.loc[rows["value"].idxmin()]
        if len(rows) == 1:
            ran = f"at {fastest['value']:,.0f} IOPS on {fastest['where']}"
        else:
            ran = (
                f"at {slowest['value']:,.0f} to {fastest['value']:,.0f} IOPS across {len(rows)} nodes, "
                f"fastest on {fastest['where']}, slowest on {slowest['where']}"
            )
        sentences.append(f"fio's {_plural(str(workload))} ran {ran}")
    return "; ".join(sentences) + f" ({_provenance(figures, 'operations')})."


def summary(milestones: list[Milestone], figures: pd.DataFrame) -> list[str]:
    """One paragraph per topic: milestones, expansion, storage, edge AI, fio."""
    return [
        _milestones(milestones),
        _expansion(figures, milestones),
        _storage(figures),
        _edge_ai(figures),
        _fio(figures),
    ]
