"""A run's front page, `outputs/<run-id>/index.html`: the report on top, every notebook linked below.

It is built by the runner from the run's lab folder and manifest after the last notebook, so it shows
the checklist even when a notebook failed before the report notebook ran, and it names that notebook.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sugarlab.report.document import Report, breakable_headers, inline_html
from sugarlab.report.figures import readable_figures
from sugarlab.views.readable import duration, readable_frame

FRONT_PAGE = "index.html"
# Reads on a laptop without sideways scrolling (tables and code wrap inside the column, images shrink
# to it) and prints from the browser without losing anything (no fixed widths, links spelled out,
# rows and images kept whole across pages).
STYLE = """
body { font-family: system-ui, sans-serif; max-width: 72rem; margin: 2rem auto; padding: 0 1rem; color: #222;
       line-height: 1.4; overflow-wrap: anywhere; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.85rem; max-width: 100%; }
th, td { border: 1px solid #ccc; padding: 0.2rem 0.4rem; text-align: left; vertical-align: top; }
td { overflow-wrap: anywhere; } th { overflow-wrap: normal; }
code { overflow-wrap: anywhere; }
pre.error { white-space: pre-wrap; overflow-wrap: anywhere; background: #fdf0f0; border-left: 4px solid #a11;
            padding: 0.5rem 0.8rem; font-size: 0.85rem; }
.pass { color: #176317; } .fail { color: #a11; font-weight: bold; } .open { color: #8a5a00; font-weight: bold; }
img { max-width: 100%; height: auto; }
@media print {
  body { max-width: none; margin: 0; font-size: 10pt; }
  table { font-size: 7.5pt; }
  th, td { padding: 0.1rem 0.25rem; overflow-wrap: anywhere; }
  tr, img, pre { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
  a[href^="html/"]::after, a[href$=".json"]::after { content: " (" attr(href) ")"; font-size: 0.8em; }
}
"""


def _milestones(report: Report) -> str:
    items = []
    for milestone in report.milestones:
        checks = "".join(
            f'<li><span class="{c.status.lower()}">{c.status}</span> '
            f"{html.escape(c.label)}: {inline_html(c.evidence)}</li>"
            for c in milestone.checks
        )
        mark = {
            "pass": '<span class="pass">&#10003;</span>',
            "open": '<span class="open">open</span>',
            "FAIL": '<span class="fail">&#10007;</span>',
        }[milestone.status]
        items.append(f"<li>{mark} <strong>{inline_html(milestone.title)}</strong><ul>{checks}</ul></li>")
    return f"<ul>{''.join(items)}</ul>"


def _notebooks(manifest: Mapping[str, Any], run_dir: Path) -> str:
    """Every notebook with its status and duration, linked to its HTML; a failed one's error below as a
    block (the traceback's message keeps its lines) with a relative link, so any copy of the run works."""
    rows, errors = [], []
    for nb in manifest.get("notebooks", []):
        page = f"html/{nb['name']}.html"
        linked = (run_dir / page).is_file()
        name = f'<a href="{html.escape(page)}">{html.escape(nb["name"])}</a>' if linked else html.escape(nb["name"])
        css = "pass" if nb["status"] == "succeeded" else "fail"
        rows.append(
            f'<tr><td>{name}</td><td class="{css}">{html.escape(nb["status"])}</td>'
            f"<td>{duration(nb.get('duration_seconds')) if nb['status'] != 'not run' else ''}</td></tr>"
        )
        if nb.get("error"):
            where = f' (<a href="{html.escape(page)}">{html.escape(page)}</a> shows the cell)' if linked else ""
            errors.append(
                f'<h3>{html.escape(nb["name"])} failed{where}</h3><pre class="error">{html.escape(nb["error"])}</pre>'
            )
    return (
        "<table><tr><th>notebook</th><th>status</th><th>duration</th></tr>"
        + "".join(rows)
        + "</table>"
        + "".join(errors)
    )


def _failed_steps(manifest: Mapping[str, Any]) -> str:
    failed = [s for s in manifest.get("steps", []) if s.get("status") == "failed"]
    if not failed:
        return "<p>Every recorded lab step passed.</p>"
    cells = ((html.escape(str(s.get(k, ""))) for k in ("notebook", "step", "detail")) for s in failed)
    rows = "".join(
        f'<tr><td>{notebook}</td><td>{step}</td><td><pre class="error">{detail}</pre></td></tr>'
        for notebook, step, detail in cells
    )
    return f"<p>Lab steps that failed:</p><table><tr><th>notebook</th><th>step</th><th>detail</th></tr>{rows}</table>"


def front_page_html(report: Report, manifest: Mapping[str, Any], run_dir: Path) -> str:
    run_id = html.escape(str(manifest.get("run_id", run_dir.name)))
    status = html.escape(str(manifest.get("status", "")))
    head = (
        f"Run <code>{run_id}</code>: {status}, backend <code>{html.escape(str(manifest.get('backend', '')))}"
        f"</code>, {html.escape(str(manifest.get('started', '')))} to {html.escape(str(manifest.get('ended', '')))}"
        f", commit <code>{html.escape(str(manifest.get('git_commit') or 'unknown'))}</code>. "
        '<a href="manifest.json">manifest.json</a> lists every artefact with its sha256.'
    )
    figures = (
        readable_figures(report.figures).to_html(index=False)
        if not report.figures.empty
        else "<p>No figures: no artefact was found.</p>"
    )
    sources = readable_frame(report.sources.assign(sha256=report.sources["sha256"].str[:12]))
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>sugarlab run {run_id}</title><style>{STYLE}</style></head><body>",
            "<h1>Tutorial 13 lab report</h1>",
            f"<p>{head}</p>",
            f"<h2>Milestone checklist: {report.passed} of {len(report.milestones)} pass</h2>",
            _milestones(report),
            "<h2>Summary</h2>",
            *[f"<p>{inline_html(paragraph)}</p>" for paragraph in report.summary],
            "<h2>Notebooks</h2>",
            _notebooks(manifest, run_dir),
            _failed_steps(manifest),
            "<h2>Key figures</h2>",
            "<p>Provenance: <code>cluster</code> measured on your cluster, <code>local</code> measured on this machine, "
            "<code>simulated</code> from the simulator's calibrated model (never a measurement).</p>",
            figures,
            "<h2>Frames and plots</h2>",
            *[section._repr_html_() for section in report.sections],
            "<h2>Sources</h2>",
            breakable_headers(sources.to_html(index=False)),
            "</body></html>",
        ]
    )
