"""The report as one object: checklist, summary, key figures, sections with frames and plots, sources.

`build` reads everything from the artefacts (never from a cluster), so the same report is made by
notebook 07, by the runner for a run's front page, and by `sugarlab compare`. Rendered as markdown it
is `final/milestone-checklist.md`; each section also renders as HTML, in a notebook or on a page.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from sugarlab.lab.session import Lab
from sugarlab.report import figures as key
from sugarlab.report.milestones import Milestone, milestones
from sugarlab.report.sources import WRITERS, ArtefactError, LabFiles, provenance_of
from sugarlab.report.summary import summary
from sugarlab.steps.operations import fio_bench
from sugarlab.steps.operations.fio_output import measured
from sugarlab.views.figures import baseline_comparison_figure, fio_results_figure, png_bytes, tuning_latency_figure
from sugarlab.views.readable import caption_html, readable_frame

CHECKLIST = "final/milestone-checklist.md"


@dataclass(frozen=True)
class Section:
    """A titled group of frames and at most one plot (a Figure, or a PNG artefact the lab wrote, such
    as `storage/failover-rows.png`); `problem` says why it is empty."""

    title: str
    frames: tuple[pd.DataFrame, ...] = ()
    figure: Figure | None = None
    problem: str = ""
    image: bytes | None = None

    def __repr__(self) -> str:  # the frames and plot show through _repr_html_
        return f"Section({self.title!r})"

    def _repr_html_(self) -> str:
        parts = [f"<h3>{html.escape(self.title)}</h3>"]
        if self.problem:
            parts.append(f"<p><strong>Not available:</strong> {inline_html(self.problem)}</p>")
        parts += [
            breakable_headers(readable_frame(frame).to_html(index=False, na_rep="")) + caption_html(frame)
            for frame in self.frames
        ]
        picture = (
            png(self.figure)
            if self.figure is not None
            else (base64.b64encode(self.image).decode("ascii") if self.image else None)
        )
        if picture:  # embedded, so that any copy of the page stands alone
            parts.append(f'<img alt="{html.escape(self.title)}" src="data:image/png;base64,{picture}">')
        return "\n".join(parts)


@dataclass(frozen=True)
class Report:
    root: Path
    evaluated_at: datetime
    milestones: list[Milestone]
    figures: pd.DataFrame  # see figures.key_figures
    summary: list[str]
    sections: list[Section]
    sources: pd.DataFrame  # artefact, notebook, sha256, written_at, present

    @property
    def passed(self) -> int:
        return sum(m.passed for m in self.milestones)

    def section(self, title: str) -> Section:
        return next(s for s in self.sections if s.title == title)

    def checklist_markdown(self) -> str:
        """The milestone list with each check's result and evidence."""
        lines = []
        for milestone in self.milestones:
            lines.append(f"- [{'x' if milestone.passed else ' '}] **{milestone.title}**")
            lines += [f"  - {c.status}: {c.label}. {c.evidence}" for c in milestone.checks]
        return "\n".join(lines) + "\n"

    def markdown(self) -> str:
        """The text of `final/milestone-checklist.md`."""
        figures = key.readable_figures(self.figures)
        sources = self.sources.assign(sha256=self.sources["sha256"].str[:12])
        return "\n".join(
            [
                "# Milestone checklist",
                "",
                f"Tutorial 13's milestones, judged on {self.evaluated_at:%Y-%m-%d %H:%M UTC} from the artefacts of "
                f"`{self.root}`: {self.passed} of {len(self.milestones)} pass.",
                "",
                self.checklist_markdown(),
                "## Summary",
                "",
                *[f"{paragraph}\n" for paragraph in self.summary],
                "## Key figures",
                "",
                "Provenance: `cluster` measured on your cluster, `local` measured on this machine, `simulated` from "
                "the simulator's calibrated model (never a measurement).",
                "",
                figures.to_markdown(index=False) if not figures.empty else "No figures: no artefact was found.",
                "",
                "## Sources",
                "",
                sources.to_markdown(index=False),
                "",
            ]
        )


def inline_html(text: str) -> str:
    """Escaped text with markdown's `code` spans and **bold** kept."""
    escaped = html.escape(text)
    escaped = re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)
    return re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", escaped)


def breakable_headers(table: str) -> str:
    """A table's column names may wrap after each `_` (`baseline_<wbr>cpu_<wbr>cores`), so that a wide
    frame fits a laptop's width without breaking its names mid-word."""
    return re.sub(r"<th>([^<]*)</th>", lambda m: f"<th>{m.group(1).replace('_', '_<wbr>')}</th>", table)


def png(figure: Figure) -> str:
    return base64.b64encode(png_bytes(figure, dpi=90)).decode("ascii")


def _section(title: str, make: Callable[[], Section]) -> Section:
    try:
        return make()
    except ArtefactError as exc:
        return Section(title, problem=str(exc))


def _expansion(files: LabFiles) -> Section:
    per_node = key.expansion_per_node(files)
    return Section(
        "Baseline against post-expansion",
        (key.expansion_totals(files), per_node),
        baseline_comparison_figure(per_node, provenance_of(per_node)),
    )


def _failover(files: LabFiles) -> Section:
    plot = files.binary(key.FAILOVER_PLOT) if files.exists(key.FAILOVER_PLOT) else None
    return Section("Storage failover", (key.failover(files),), image=plot)


def _latency(files: LabFiles) -> Section:
    study = key.tuning_study(files)
    return Section("Inference latency", (study,), tuning_latency_figure(study, provenance_of(study)))


def _fio(files: LabFiles) -> Section:
    results = key.fio_results(files)
    return Section("fio per node", (fio_bench.summary(results),), fio_results_figure(measured(results)))


def sources(files: LabFiles) -> pd.DataFrame:
    """Every artefact the report reads: who wrote it, its sha256 and when, or that it is missing. A file no
    notebook recorded (made by hand, following the tutorial) says so rather than naming its notebook."""
    rows = []
    for path, notebook in WRITERS.items():
        origin, present = files.origins.get(path), files.exists(path)
        writer = origin.notebook if origin else ("not recorded" if present else notebook)
        rows.append(
            {
                "artefact": path,
                "notebook": writer,
                "sha256": origin.sha256 if origin else "",
                "written_at": origin.written_at if origin else "",
                "present": present,
            }
        )
    return pd.DataFrame(rows)


def build(files: LabFiles) -> Report:
    judged, figures = milestones(files), key.key_figures(files)
    sections = [
        _section("Baseline against post-expansion", lambda: _expansion(files)),
        _section("Storage failover", lambda: _failover(files)),
        _section("Inference latency", lambda: _latency(files)),
        _section("fio per node", lambda: _fio(files)),
    ]
    return Report(files.root, datetime.now(UTC), judged, figures, summary(judged, figures), sections, sources(files))


def save(lab: Lab, report: Report) -> str:
    """Write `final/milestone-checklist.md` and record the step (passed when every milestone passes); return
    its path relative to the workspace, as the other notebooks print theirs."""
    lab.workspace.write_text(CHECKLIST, report.markdown())
    lab.workspace.record_step(
        "milestone checklist",
        report.passed == len(report.milestones),
        f"{report.passed} of {len(report.milestones)} milestones pass",
    )
    return CHECKLIST
