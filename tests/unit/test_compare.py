"""`sugarlab compare RUN_A RUN_B` on two small run folders (and archives) built here."""

from __future__ import annotations

import hashlib
import json
import re
import tarfile
from pathlib import Path
from typing import Any

import pytest

from sugarlab.app.cli import main

LAB = Path(__file__).parents[1] / "data" / "report-lab"


def make_run(
    root: Path, run_id: str, parameters: dict[str, Any], statuses: dict[str, str], edit: dict[str, str | None]
) -> Path:
    """A run folder as the runner leaves it: the report lab's artefacts, with `edit` (path -> text, or
    None to leave it out) applied, and a manifest recording each with its sha256."""
    run = root / run_id
    files: dict[str, str | None] = {
        p.relative_to(LAB).as_posix(): p.read_text() for p in LAB.rglob("*") if p.is_file() and p.name != "README.md"
    }
    files.update(edit)
    artefacts = []
    for path, text in sorted(files.items()):
        if text is None:
            continue
        (run / "lab" / path).parent.mkdir(parents=True, exist_ok=True)
        (run / "lab" / path).write_text(text)
        data = text.encode()
        artefacts.append(
            {
                "path": path,
                "sha256": hashlib.sha256(data).hexdigest(),
                "size": len(data),
                "notebook": "05-edge-ai" if path.startswith("edge-ai") else "01-baseline",
                "written_at": "2026-11-26T10:00:00+00:00",
            }
        )
    manifest = {
        "run_id": run_id,
        "status": "failed" if "failed" in statuses.values() else "succeeded",
        "backend": "sim",
        "parameters": {**parameters, "workspace": str(run / "lab")},
        "started": "2026-11-26T10:00:00+00:00",
        "git_commit": "0123456789abcdef0123",
        "versions": {"sugarlab": "0.1.0"},
        "notebooks": [{"name": n, "status": s, "duration_seconds": 3.0, "error": None} for n, s in statuses.items()],
        "artefacts": artefacts,
    }
    (run / "manifest.json").write_text(json.dumps(manifest))
    return run


@pytest.fixture
def runs(tmp_path: Path) -> tuple[Path, Path]:
    tuning = (LAB / "edge-ai" / "tuning-experiments.md").read_text()
    a = make_run(
        tmp_path,
        "20261126-100000-aaaa",
        {"seed": 7, "sweep_size": "small"},
        {"01-baseline": "succeeded", "05-edge-ai": "succeeded"},
        {},
    )
    b = make_run(
        tmp_path,
        "20261126-110000-bbbb",
        {"seed": 8, "edge_replicas": 3},
        {"01-baseline": "succeeded", "05-edge-ai": "failed", "06-operations": "not run"},
        {
            "edge-ai/tuning-experiments.md": tuning.replace("|    599.3 |    981.1 |", "|    500.0 |    900.0 |"),
            "expansion/pod-distribution.txt": None,
            "operations/notes.md": "# notes\n",
        },
    )
    return a, b


def compare(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    code = main(["compare", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def rows(text: str, title: str) -> list[list[str]]:
    """The rows of one part of the text output, split on runs of spaces."""
    block = text.split(f"\n{title}")[1].split("\n\n")[0].splitlines()[2:]
    return [re.split(r"\s{2,}", line.strip()) for line in block if not set(line) <= {"-", " "}]


def test_compare_lists_what_differs(runs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = compare(capsys, *runs)
    assert code == 0 and not err
    assert rows(out, "Parameters that differ")[1:] == [
        ["edge_replicas", "(default)", "3"],
        ["seed", "7", "8"],
        ["sweep_size", "small", "(default)"],
    ]
    assert rows(out, "Notebooks")[1:] == [
        ["01-baseline", "succeeded (3 s)", "succeeded (3 s)"],
        ["05-edge-ai", "succeeded (3 s)", "failed (3 s)"],
        ["06-operations", "absent", "not run (3 s)"],
    ]
    changes = {row[0]: row[1] for row in rows(out, "Artefacts added, removed or changed")[1:]}
    assert changes == {
        "edge-ai/tuning-experiments.md": "changed",
        "expansion/pod-distribution.txt": "removed",
        "operations/notes.md": "added",
    }
    assert "Artefacts added, removed or changed (5 unchanged)" in out
    assert rows(out, "Milestones")[1:] == [
        ["Multi-node prototype", "pass", "FAIL"],
        ["Failure-injection exercise", "FAIL", "FAIL"],
        ["Advanced roadmap update", "FAIL", "FAIL"],
    ]


def test_key_figures_side_by_side_with_their_change(
    runs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = compare(capsys, *runs)
    figures = {row[1]: row[2:] for row in rows(out, "Key figures (change is B against A)")[1:]}
    assert figures["inference p95, chosen setting, concurrency 8"] == ["ms", "981.1", "900", "-8.3%", "local"]
    assert figures["inference p50, chosen setting, concurrency 8"] == ["ms", "599.3", "500", "-16.6%", "local"]
    assert figures["inference p95, chosen setting, concurrency 1"][1:4] == ["216.5", "216.5", "+0.0%"]
    assert figures["nodes after expansion"] == ["nodes", "3", "3", "+0.0%", "simulated"]


def test_archives_compare_like_folders(
    runs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archives = []
    for run in runs:
        archive = tmp_path / f"{run.name}.tar.gz"
        with tarfile.open(archive, "w:gz") as tar:
            tar.add(run, arcname=run.name)
        archives.append(archive)
    _, from_folders, _ = compare(capsys, *runs)
    code, from_archives, _ = compare(capsys, *archives)
    assert code == 0
    assert from_archives.splitlines()[:2] == [f"A: {archives[0]}", f"B: {archives[1]}"]
    assert from_archives.splitlines()[2:] == from_folders.splitlines()[2:]


def test_html_page_holds_the_tables_and_a_plot(
    runs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "compare.html"
    code, out, _ = compare(capsys, *runs, "--html", page)
    assert code == 0 and out.endswith(f"html: {page}\n")
    text = page.read_text()
    assert "<h2>Parameters that differ</h2>" in text and "<td>edge_replicas</td>" in text
    assert re.search(r'<img [^>]*src="data:image/png;base64,', text)


def test_paths_that_are_not_runs_exit_2_naming_the_argument(
    runs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes.txt").write_text("not an archive\n")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "manifest.json").write_text("{not json")
    stray = tmp_path / "stray.tar.gz"
    with tarfile.open(stray, "w:gz") as tar:
        tar.add(tmp_path / "notes.txt", arcname="notes.txt")
    cases: list[tuple[list[str | Path], str, str]] = [
        (["empty", runs[1]], "'RUN_A'", "not a run: no manifest.json in it"),
        ([runs[0], "nowhere"], "'RUN_B'", "no such file or folder"),
        ([runs[0], "notes.txt"], "'RUN_B'", "not a folder and not a tar archive"),
        (["broken", runs[1]], "'RUN_A'", "its manifest.json does not parse"),
        ([runs[0], "stray.tar.gz"], "'RUN_B'", "not a run archive: expected one run folder inside"),
    ]
    for (first, second), argument, problem in cases:
        code, out, err = compare(capsys, tmp_path / first, tmp_path / second)
        assert code == 2 and not out, (first, second)
        assert err.startswith(f"sugarlab: error: parameter {argument}") and problem in err, err
        assert "Traceback" not in err
    code, _, err = compare(capsys, *runs, "--html", tmp_path / "no" / "page.html")
    assert code == 2 and "'--html'" in err
