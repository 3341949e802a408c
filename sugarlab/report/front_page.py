"""A run's front page, `outputs/<run-id>/index.html`: the report on top, every notebook linked below.

It is built by the runner from the run's lab folder and manifest after the last notebook, so it shows
the checklist even when a notebook failed before the report notebook ran, and it names that notebook.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from sugarlab.report.document import Report, inline_html

FRONT_PAGE = "index.html"
STYLE = """
body { font-family: system-ui, sans-serif; max-width: 72rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.2rem 0.5rem; text-align: left; }
.pass { color: #176317; } .fail { color: #a11; font-weight: bold; }
img { max-width: 100%; }
"""


def _milestones(report: Report) -> str:
    items = []
    for milestone in report.milestones:
        checks = "".join(
            f'<li><span class="{"pass" if c.passed else "fail"}">{"pass" if c.passed else "FAIL"}</span> '
            f"{html.escape(c.label)}: {inline_html(c.evidence)}</li>" for c in milestone.checks)
        mark = '<span class="pass">&#10003;</span>' if milestone.passed else '<span class="fail">&#10007;</span>'
        items.append(f"<li>{mark} <strong>{inline_html(milestone.title)}</strong><ul>{checks}</ul></li>")
    return f"<ul>{''.join(items)}</ul>"


def _notebooks(manifest: Mapping[str, Any], run_dir: Path) -> str:
    rows = []
    for nb in manifest.get("notebooks", []):
        page = f"html/{nb['name']}.html"
        name = (f'<a href="{html.escape(page)}">{html.escape(nb["name"])}</a>' if (run_dir / page).is_file()
                else html.escape(nb["name"]))
        css = "pass" if nb["status"] == "succeeded" else "fail"
        rows.append(f'<tr><td>{name}</td><td class="{css}">{html.escape(nb["status"])}</td>'
                    f"<td>{nb.get('duration_seconds', 0):.1f} s</td><td>{html.escape(nb.get('error') or '')}</td></tr>")
    return ("<table><tr><th>notebook</th><th>status</th><th>duration</th><th>error</th></tr>"
            + "".join(rows) + "</table>")


def _failed_steps(manifest: Mapping[str, Any]) -> str:
    failed = [s for s in manifest.get("steps", []) if s.get("status") == "failed"]
    if not failed:
        return "<p>Every recorded lab step passed.</p>"
    frame = pd.DataFrame(failed)[["notebook", "step", "detail"]]
    return "<p>Lab steps that failed:</p>" + frame.to_html(index=False)


def front_page_html(report: Report, manifest: Mapping[str, Any], run_dir: Path) -> str:
    run_id = html.escape(str(manifest.get("run_id", run_dir.name)))
    status = html.escape(str(manifest.get("status", "")))
    head = (f"Run <code>{run_id}</code>: {status}, backend <code>{html.escape(str(manifest.get('backend', '')))}"
            f"</code>, {html.escape(str(manifest.get('started', '')))} to {html.escape(str(manifest.get('ended', '')))}"
            f", commit <code>{html.escape(str(manifest.get('git_commit') or 'unknown'))}</code>. "
            '<a href="manifest.json">manifest.json</a> lists every artefact with its sha256.')
    figures = (report.figures.to_html(index=False, float_format=lambda v: f"{v:.4g}") if not report.figures.empty
               else "<p>No figures: no artefact was found.</p>")
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>sugarlab run {run_id}</title><style>{STYLE}</style></head><body>",
        "<h1>Tutorial 13 lab report</h1>", f"<p>{head}</p>",
        f"<h2>Milestone checklist: {report.passed} of {len(report.milestones)} pass</h2>", _milestones(report),
        "<h2>Summary</h2>", *[f"<p>{inline_html(paragraph)}</p>" for paragraph in report.summary],
        "<h2>Notebooks</h2>", _notebooks(manifest, run_dir), _failed_steps(manifest),
        "<h2>Key figures</h2>",
        "<p>Provenance: <code>cluster</code> measured on your cluster, <code>local</code> measured on this machine, "
        "<code>simulated</code> from the simulator's calibrated model (never a measurement).</p>", figures,
        "<h2>Frames and plots</h2>", *[section._repr_html_() for section in report.sections],
        "<h2>Sources</h2>", report.sources.to_html(index=False),
        "</body></html>",
    ])
