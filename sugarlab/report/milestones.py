"""Tutorial 13's milestone checklist, judged from the lab's artefacts.

Each milestone is a few checks; each check passes, fails, or is open (it found what it looks for, and
what it found still needs doing) with one line of evidence taken from the artefacts it names. A milestone
is done only when every check passes: one open or failed check leaves it open. A missing or unreadable
artefact fails only its own check, naming the file and the notebook to run, so the checklist always
renders.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from sugarlab.report.sources import ArtefactError, LabFiles, provenance_of

INVENTORY, NODES_AFTER_JOIN, FINAL_NODES = (
    "baseline/cluster-inventory.txt",
    "expansion/nodes-after-join.txt",
    "final/nodes.txt",
)
DISTRIBUTION, COMPARISON = "expansion/pod-distribution.txt", "expansion/baseline-comparison.csv"
WORKERS = "expansion/workers.csv"  # notebook 02's record: each named worker, joined by the lab or found a member
AGAINST_BASELINE = "new against the baseline inventory"
FAILOVER_CSV, FAILOVER_REPORT = "storage/failover-experiments.csv", "storage/failover-report.md"
TUNING, SECURITY = "edge-ai/tuning-experiments.md", "operations/security-checklist.md"
NO_DATA_LOST = "no data lost"  # the verdict notebook 04 writes for an experiment that passed
MIN_NEW_WORKERS = 2  # "at least two new workers joined"
FAILOVER_COLUMNS = [
    "experiment",
    "node_before",
    "node_after",
    "time_to_ready_s",
    "rows_before",
    "rows_after",
    "rows_missing",
    "integrity",
    "verdict",
]


@dataclass(frozen=True)
class Check:
    label: str
    passed: bool
    evidence: str
    sources: tuple[str, ...]
    open_items: bool = False  # passed, yet what it found still needs doing (a drafted checklist with findings)

    @property
    def status(self) -> str:
        """`pass`, `FAIL`, or `open` for a check that passed with findings left to act on."""
        return ("open" if self.open_items else "pass") if self.passed else "FAIL"


@dataclass(frozen=True)
class Milestone:
    title: str  # the tutorial's wording
    checks: tuple[Check, ...]

    @property
    def passed(self) -> bool:
        """Done: every check passes, none is open or failed."""
        return all(check.status == "pass" for check in self.checks)

    @property
    def status(self) -> str:
        """`pass`, `FAIL` when a check failed, else `open` when a check is open."""
        statuses = {check.status for check in self.checks}
        return "FAIL" if "FAIL" in statuses else ("open" if "open" in statuses else "pass")

    @property
    def unfinished(self) -> list[Check]:
        """The checks that keep it from being done: failed or open."""
        return [check for check in self.checks if check.status != "pass"]


def _check(
    label: str,
    sources: tuple[str, ...],
    judge: Callable[[], tuple[bool, str]],
    open_items: Callable[[], bool] = lambda: False,
) -> Check:
    try:
        passed, evidence = judge()
    except ArtefactError as exc:
        return Check(label, False, str(exc), sources)
    return Check(label, passed, evidence, sources, passed and open_items())


def _names(values: pd.Series | list[str]) -> str:
    return ", ".join(sorted(values)) or "none"


# -- multi-node prototype -------------------------------------------------------------------------------
def baseline_nodes(files: LabFiles) -> set[str]:
    return set(files.tables(INVENTORY)[0]["name"])


def nodes_after(files: LabFiles) -> tuple[str, pd.DataFrame]:
    """The node table after the join: notebook 02's, else the final snapshot of notebook 06."""
    source = NODES_AFTER_JOIN if files.exists(NODES_AFTER_JOIN) or not files.exists(FINAL_NODES) else FINAL_NODES
    return source, files.table(source)


def new_workers(files: LabFiles) -> pd.DataFrame:
    """The expansion's workers as the lab knows them (name, status, how): notebook 02's record of each named
    worker, joined by this lab or found a member, so a cluster whose workers joined before the lab counts.
    Without that record (a workspace made by hand with the tutorial's commands): the nodes present after
    the join and absent from the baseline inventory."""
    if files.exists(WORKERS):
        text = files.text(WORKERS)
        try:
            recorded = pd.read_csv(io.StringIO(text), dtype=str).fillna("")
        except pd.errors.ParserError as exc:
            raise ArtefactError(WORKERS, f"is not a readable CSV ({exc})") from None
        missing = [c for c in ("worker", "how", "status") if c not in recorded]
        if missing:
            raise ArtefactError(WORKERS, f"lacks the columns {', '.join(missing)}")
        return recorded.rename(columns={"worker": "name"})[["name", "status", "how"]]
    before = baseline_nodes(files)
    _, after = nodes_after(files)
    return after[~after["name"].isin(before)][["name", "status"]].assign(how=AGAINST_BASELINE)


def workers_source(files: LabFiles) -> str:
    if files.exists(WORKERS):
        return files.describe(WORKERS)
    return f"{files.describe(INVENTORY)} and {files.describe(nodes_after(files)[0])}"


def _workers_joined(files: LabFiles) -> tuple[bool, str]:
    workers = new_workers(files)
    ready = workers[workers["status"] == "Ready"]
    others = [f"{n} ({s})" for n, s in zip(workers["name"], workers["status"], strict=True) if s != "Ready"]
    if files.exists(WORKERS):
        listed = [f"{n} ({how})" for n, how in zip(ready["name"], ready["how"], strict=True)]
        head = f"{len(ready)} Ready worker(s) of the expansion: {', '.join(listed) or 'none'}"
    else:
        head = f"{len(ready)} new Ready worker(s) against the baseline inventory: {_names(list(ready['name']))}"
    evidence = head + (f"; not Ready: {', '.join(others)}" if others else "") + f" (from {workers_source(files)})"
    return len(ready) >= MIN_NEW_WORKERS, evidence


def workload_nodes(files: LabFiles) -> pd.Series:
    """Pods of the stress Job that ran (Running or Completed in any sample), counted per node."""
    samples = files.tables(DISTRIBUTION)
    pods = pd.concat(samples, ignore_index=True)
    ran = pods[pods["status"].isin(["Running", "Completed"])].drop_duplicates("name")
    return ran.groupby("node")["name"].count().sort_index()


def _workloads_spread(files: LabFiles) -> tuple[bool, str]:
    per_node = workload_nodes(files)
    workers = new_workers(files)
    new = set(workers[workers["status"] == "Ready"]["name"])
    on_new = per_node[per_node.index.isin(new)]
    spread = ", ".join(f"{node} {count}" for node, count in per_node.items()) or "no pod ran"
    evidence = (
        f"stress pods ran on {len(on_new)} of the {len(new)} Ready workers of the expansion (pods per node: "
        f"{spread}; from {files.describe(DISTRIBUTION)}; workers from {workers_source(files)})"
    )
    return bool(new) and len(on_new) >= min(MIN_NEW_WORKERS, len(new)), evidence


def _compared(files: LabFiles) -> tuple[bool, str]:
    frame = files.csv(COMPARISON, ["node", "new", "baseline_cpu_cores", "load_cpu_cores"])
    if frame["load_cpu_cores"].isna().all() or frame["baseline_cpu_cores"].isna().all():
        return False, f"{files.describe(COMPARISON)} has no usage figures to compare"
    base, load = frame["baseline_cpu_cores"].sum(), frame["load_cpu_cores"].sum()
    workers = new_workers(files)
    on_new = frame.loc[frame["node"].isin(workers[workers["status"] == "Ready"]["name"]), "load_cpu_cores"].sum()
    share = on_new / load if load else 0.0
    return True, (
        f"CPU used: {base:.2f} cores at baseline, {load:.2f} cores under the stress Job, "
        f"{share:.0%} of it on the workers of the expansion ({provenance_of(frame)}; from {files.describe(COMPARISON)})"
    )


def multi_node_prototype(files: LabFiles) -> Milestone:
    return Milestone(
        "Multi-node prototype: at least two new workers joined, workloads scheduled across them, "
        "and performance compared against the baseline",
        (
            _check(
                "two or more new workers joined and Ready",
                (WORKERS, INVENTORY, NODES_AFTER_JOIN),
                lambda: _workers_joined(files),
            ),
            _check("workloads scheduled across the new workers", (DISTRIBUTION,), lambda: _workloads_spread(files)),
            _check("performance compared against the baseline", (COMPARISON,), lambda: _compared(files)),
        ),
    )


# -- failure injection ----------------------------------------------------------------------------------
def _no_data_lost(files: LabFiles) -> tuple[bool, str]:
    frame = files.csv(FAILOVER_CSV, FAILOVER_COLUMNS)
    lost = frame[frame["verdict"].astype(str) != NO_DATA_LOST]
    moves = "; ".join(
        f"{r.experiment}: {r.node_before} -> {r.node_after}, ready in {_seconds(r.time_to_ready_s)}, "
        f"rows {_count(r.rows_before)} before, {_count(r.rows_after)} after, {_count(r.rows_missing)} missing, "
        f"{r.verdict}"
        for r in frame.itertuples()
    )
    return not frame.empty and lost.empty, (
        f"{len(frame) - len(lost)} of {len(frame)} experiments recovered with no data lost ({moves}; "
        f"from {files.describe(FAILOVER_CSV)})"
    )


def _seconds(value: object) -> str:
    seconds = pd.to_numeric(value, errors="coerce")
    return "never" if pd.isna(seconds) else f"{seconds:.0f} s"


def _count(value: object) -> str:
    number = pd.to_numeric(value, errors="coerce")
    return "?" if pd.isna(number) else f"{number:.0f}"


def _report_written(files: LabFiles) -> tuple[bool, str]:
    text = files.text(FAILOVER_REPORT)
    return True, f"{files.describe(FAILOVER_REPORT)}, {len(text.splitlines())} lines"


def failure_injection(files: LabFiles) -> Milestone:
    return Milestone(
        "Failure-injection exercise: simulated node disruption recovered without data loss, with "
        "findings logged in `storage/failover-report.md`",
        (
            _check("node disruption recovered without data loss", (FAILOVER_CSV,), lambda: _no_data_lost(files)),
            _check("findings logged in storage/failover-report.md", (FAILOVER_REPORT,), lambda: _report_written(files)),
        ),
    )


# -- roadmap update -------------------------------------------------------------------------------------
def _section(text: str, heading: str) -> str:
    """The first paragraph under a `## heading` of a markdown document, on one line."""
    _, found, rest = text.partition(f"\n## {heading}\n")
    paragraph = rest.strip().split("\n\n")[0] if found else ""
    return " ".join(paragraph.split())


def _tuning_drafted(files: LabFiles) -> tuple[bool, str]:
    chosen = _section(files.text(TUNING), "Chosen setting")
    if not chosen:
        return False, f"{files.describe(TUNING)} has no `## Chosen setting` section: the sweep did not finish"
    return True, f"chosen setting {chosen.rstrip('.')} (from {files.describe(TUNING)})"


def security_results(files: LabFiles) -> pd.DataFrame:
    """The checklist's summary table (`| Node | Audited | Result |`) as node, audited, result."""
    lines = files.text(SECURITY).splitlines()
    start = next((i for i, line in enumerate(lines) if line.replace(" ", "") == "|Node|Audited|Result|"), None)
    rows = []
    for line in lines[start + 2 :] if start is not None else []:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")][:3])
    return pd.DataFrame(rows, columns=["node", "audited", "result"])


def _security_drafted(files: LabFiles) -> tuple[bool, str]:
    results = security_results(files)
    audited = results[results["node"] != "-"]
    if audited.empty:
        return False, f"{files.describe(SECURITY)} lists no audited node"
    outcome = "; ".join(f"{n}: {r}" for n, r in zip(audited["node"], audited["result"], strict=True))
    return True, f"{len(audited)} node(s) audited ({outcome}; from {files.describe(SECURITY)})"


def _hardening_open(files: LabFiles) -> bool:
    """Whether an audited node still fails an item: the checklist is drafted, its hardening is not done."""
    audited = security_results(files).query("node != '-'")
    return bool((audited["result"] != "passed").any())


def roadmap_update(files: LabFiles) -> Milestone:
    return Milestone(
        "Advanced roadmap update: drafted `edge-ai/tuning-experiments.md` and `operations/security-checklist.md`",
        (
            _check("edge-ai/tuning-experiments.md drafted", (TUNING,), lambda: _tuning_drafted(files)),
            _check(
                "operations/security-checklist.md drafted",
                (SECURITY,),
                lambda: _security_drafted(files),
                lambda: _hardening_open(files),
            ),
        ),
    )


def milestones(files: LabFiles) -> list[Milestone]:
    return [multi_node_prototype(files), failure_injection(files), roadmap_update(files)]
