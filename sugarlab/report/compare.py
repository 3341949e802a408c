"""Two archived runs side by side (`sugarlab compare RUN_A RUN_B`).

A run is a run folder (`outputs/<run-id>/`, holding `manifest.json`) or its archive
(`outputs/<run-id>.tar.gz`, unpacked into a temporary folder for the comparison). What differs:
parameters, notebook statuses, artefacts (by sha256), milestones, and the key figures both runs have.
"""

from __future__ import annotations

import html
import json
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sugarlab.lab.errors import ParameterError
from sugarlab.report.document import Report, build, png
from sugarlab.report.front_page import STYLE
from sugarlab.report.sources import LabFiles
from sugarlab.views.figures import run_change_figure

RUN_SHAPE = "a run folder holding manifest.json (outputs/<run-id>/) or its archive (outputs/<run-id>.tar.gz)"
NOT_SET = "(default)"


@dataclass(frozen=True)
class Run:
    given: Path  # what the user named: the folder or the archive
    folder: Path  # the run folder (unpacked, for an archive)
    manifest: dict[str, Any]
    report: Report

    @property
    def run_id(self) -> str:
        return str(self.manifest.get("run_id", self.folder.name))


def _manifest(folder: Path, argument: str, given: Path) -> dict[str, Any]:
    path = folder / "manifest.json"
    if not path.is_file():
        raise ParameterError(argument, str(given), f"not a run: no manifest.json in it; give {RUN_SHAPE}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParameterError(argument, str(given), f"its manifest.json does not parse ({exc})") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("notebooks"), list):
        raise ParameterError(argument, str(given), "its manifest.json is not a run's manifest (no notebooks list)")
    return manifest


@contextmanager
def open_run(path: Path, argument: str) -> Iterator[Run]:
    """The run at `path` (folder or .tar.gz); `argument` names it in errors (RUN_A, RUN_B)."""
    path = Path(path)
    if path.is_dir():
        yield _run(path, path, argument)
        return
    if not path.is_file():
        raise ParameterError(argument, str(path), f"no such file or folder; give {RUN_SHAPE}")
    if not tarfile.is_tarfile(path):
        raise ParameterError(argument, str(path), f"not a folder and not a tar archive; give {RUN_SHAPE}")
    with tempfile.TemporaryDirectory(prefix="sugarlab-compare-") as scratch:
        try:
            with tarfile.open(path) as tar:
                tar.extractall(scratch, filter="data")
        except (tarfile.TarError, OSError) as exc:
            raise ParameterError(argument, str(path), f"the archive cannot be unpacked ({exc})") from None
        tops = [p for p in Path(scratch).iterdir() if p.is_dir()]
        if len(tops) != 1:
            raise ParameterError(
                argument, str(path), f"not a run archive: expected one run folder inside; give {RUN_SHAPE}"
            )
        yield _run(path, tops[0], argument)


def _run(given: Path, folder: Path, argument: str) -> Run:
    manifest = _manifest(folder, argument, given)
    return Run(given, folder, manifest, build(LabFiles.of_manifest(folder, manifest)))


@dataclass(frozen=True)
class Comparison:
    a: Run
    b: Run
    runs: pd.DataFrame  # field, A, B
    parameters: pd.DataFrame  # parameter, A, B: only those that differ
    notebooks: pd.DataFrame  # notebook, A, B (status and duration)
    artefacts: pd.DataFrame  # artefact, change, A, B (sha256 prefixes): added, removed or changed
    unchanged_artefacts: int
    milestones: pd.DataFrame  # milestone, A, B
    figures: pd.DataFrame  # section, measure, unit, A, B, change, provenance


def _runs(a: Run, b: Run) -> pd.DataFrame:
    def fields(run: Run) -> dict[str, Any]:
        m = run.manifest
        return {
            "run": run.run_id,
            "status": m.get("status"),
            "backend": m.get("backend"),
            "started": m.get("started"),
            "git commit": (m.get("git_commit") or "unknown")[:12],
            "sugarlab": (m.get("versions") or {}).get("sugarlab"),
        }

    first, second = fields(a), fields(b)
    return pd.DataFrame({"field": list(first), "A": list(first.values()), "B": list(second.values())})


def _parameters(a: Run, b: Run) -> pd.DataFrame:
    pa, pb = (dict(r.manifest.get("parameters") or {}) for r in (a, b))
    names = sorted((set(pa) | set(pb)) - {"workspace"})  # each run's own lab folder: always differs
    rows = [(n, _shown(pa, n), _shown(pb, n)) for n in names if pa.get(n, NOT_SET) != pb.get(n, NOT_SET)]
    return pd.DataFrame(rows, columns=["parameter", "A", "B"])


def _shown(parameters: dict[str, Any], name: str) -> str:
    value = parameters.get(name, NOT_SET)
    return value if isinstance(value, str) else json.dumps(value)


def _notebooks(a: Run, b: Run) -> pd.DataFrame:
    def table(run: Run) -> dict[str, str]:
        return {
            nb["name"]: f"{nb['status']} ({nb.get('duration_seconds', 0):.0f} s)" for nb in run.manifest["notebooks"]
        }

    ta, tb = table(a), table(b)
    names = sorted(set(ta) | set(tb))
    return pd.DataFrame(
        {"notebook": names, "A": [ta.get(n, "absent") for n in names], "B": [tb.get(n, "absent") for n in names]}
    )


def _artefacts(a: Run, b: Run) -> tuple[pd.DataFrame, int]:
    ha, hb = ({x["path"]: x["sha256"] for x in r.manifest.get("artefacts", [])} for r in (a, b))
    rows = []
    for path in sorted(set(ha) | set(hb)):
        change = (
            "added" if path not in ha else "removed" if path not in hb else "changed" if ha[path] != hb[path] else ""
        )
        if change:
            rows.append((path, change, ha.get(path, "")[:12], hb.get(path, "")[:12]))
    unchanged = sum(1 for p in set(ha) & set(hb) if ha[p] == hb[p])
    return pd.DataFrame(rows, columns=["artefact", "change", "A", "B"]), unchanged


def _milestones(a: Run, b: Run) -> pd.DataFrame:
    def verdicts(run: Run) -> dict[str, str]:
        return {m.title.split(":")[0]: m.status for m in run.report.milestones}

    va, vb = verdicts(a), verdicts(b)
    return pd.DataFrame({"milestone": list(va), "A": list(va.values()), "B": [vb.get(k, "") for k in va]})


def _figures(a: Run, b: Run) -> pd.DataFrame:
    keys = ["section", "measure", "unit"]
    fa, fb = (r.report.figures[[*keys, "value", "provenance"]] for r in (a, b))
    order = pd.concat([fa[keys], fb[keys]]).drop_duplicates()  # A's figures first, then those only B has
    both = order.merge(fa, on=keys, how="left").merge(fb, on=keys, how="left", suffixes=("_a", "_b"))
    frame = both[keys].assign(A=both["value_a"], B=both["value_b"])
    frame["change"] = (frame["B"] - frame["A"]) / frame["A"].where(frame["A"] != 0)
    pa, pb = both["provenance_a"], both["provenance_b"]
    mixed = pa.notna() & pb.notna() & (pa != pb)
    frame["provenance"] = pa.fillna(pb).where(~mixed, pa + " vs " + pb)
    return frame


def compare_runs(a: Run, b: Run) -> Comparison:
    artefacts, unchanged = _artefacts(a, b)
    return Comparison(
        a, b, _runs(a, b), _parameters(a, b), _notebooks(a, b), artefacts, unchanged, _milestones(a, b), _figures(a, b)
    )


# -- rendering ------------------------------------------------------------------------------------------
def _parts(c: Comparison) -> list[tuple[str, pd.DataFrame, str]]:
    """(title, frame, text when the frame is empty) for each part of the comparison."""
    figures = c.figures.assign(change=c.figures["change"].map(lambda v: "" if pd.isna(v) else f"{v:+.1%}"))
    return [
        ("Runs", c.runs, ""),
        ("Parameters that differ", c.parameters, "none: both runs used the same parameters"),
        ("Notebooks", c.notebooks, ""),
        (
            f"Artefacts added, removed or changed ({c.unchanged_artefacts} unchanged)",
            c.artefacts,
            "none: every artefact has the same sha256",
        ),
        ("Milestones", c.milestones, ""),
        ("Key figures (change is B against A)", figures, "neither run has key figures"),
    ]


def comparison_text(c: Comparison) -> str:
    blocks = [f"A: {c.a.given}\nB: {c.b.given}"]
    for title, frame, empty in _parts(c):
        body = (
            frame.to_markdown(index=False, tablefmt="simple", floatfmt=".4g", missingval="-")
            if not frame.empty
            else empty
        )
        blocks.append(f"{title}\n{'-' * len(title)}\n{body}")
    return "\n\n".join(blocks) + "\n"


def comparison_html(c: Comparison) -> str:
    parts = [
        f"<h2>{html.escape(title)}</h2>"
        + (
            frame.to_html(index=False, float_format=lambda v: f"{v:.4g}", na_rep="-")
            if not frame.empty
            else f"<p>{html.escape(empty)}</p>"
        )
        for title, frame, empty in _parts(c)
    ]
    plot = (
        f'<img alt="change of the key figures" src="data:image/png;base64,{png(run_change_figure(c.figures, c.a.run_id, c.b.run_id))}">'
        if c.figures["change"].notna().any()
        else ""
    )
    title = f"sugarlab runs {html.escape(c.a.run_id)} and {html.escape(c.b.run_id)}"
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{STYLE}</style></head><body><h1>{title}</h1>"
        f"<p>A: <code>{html.escape(str(c.a.given))}</code><br>B: <code>{html.escape(str(c.b.given))}</code></p>"
        + "\n".join(parts)
        + plot
        + "</body></html>"
    )
