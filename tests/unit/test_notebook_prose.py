"""What a notebook says matches what it runs and shows each result once; 04's experiments read in a line each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import nbformat

from sugarlab.lab.params import LabParams
from sugarlab.steps.storage import failover
from sugarlab.steps.storage.writer import Probe

NOTEBOOKS = Path(__file__).parents[2] / "notebooks"


def _cells(name: str, kind: str) -> list[str]:
    return [c.source for c in nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4).cells if c.cell_type == kind]


def test_the_storage_notebook_describes_every_experiment_it_runs() -> None:
    runs = LabParams.model_fields["failures"].get_default(call_default_factory=True)
    prose = "\n".join(_cells("04-storage", "markdown"))
    assert len(runs) == 5
    assert [name for name in runs if f"* **{name}**" not in prose] == []
    assert "five" in prose.split("## Failure injection")[1].split("\n\n")[1]


def test_the_storage_notebook_shows_each_result_once() -> None:
    code = "\n".join(_cells("04-storage", "code"))
    assert code.count("display(summary)") == 1
    assert code.count("failover_rows_figure(") == 1
    assert "Markdown(report)" not in code  # the report repeats the summary, timelines and plot: written, not shown


def test_the_first_and_last_notebooks_say_how_to_stop_the_simulator() -> None:
    for name in ("01-baseline", "07-report"):
        prose = "\n".join(_cells(name, "markdown"))
        assert "`stop_simulator(lab)`" in prose and "`sugarlab sim stop --workspace " in prose, name


def _probe(rows: int, at: datetime) -> Probe:
    return Probe(at, "worker-a", rows, rows, "10:00:00", "ok", upto=120, rows_upto=120, digest_upto="d")


def test_each_experiment_reads_as_one_line_with_its_events_notes_and_verdict() -> None:
    start = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    moved = failover.Experiment("drain-node", "worker-a", "worker-b", _probe(120, start), _probe(130, start))
    for what, after in (("cordoned", 0), ("Ready", 42), ("Scheduled", 3)):
        moved.mark(what, start + timedelta(seconds=after))
    moved.notes.append("an eviction the budget refused was retried")
    skipped = failover.Experiment("power-off", skipped="the live cluster's machines have no power switch here")
    assert failover.outcomes_markdown([moved, skipped]).splitlines() == [
        "- **drain-node** (worker-a → worker-b): cordoned 0 s, Scheduled 3 s, Ready 42 s; "
        "an eviction the budget refused was retried; **no data lost**",
        "- **power-off**: **not run: the live cluster's machines have no power switch here**",
    ]
