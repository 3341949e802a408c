"""A run's front page as the lab's report: one provenance everywhere, every plot embedded, numbers for
people, a failed notebook's error as a block with a relative link, a consistent security line, and
files anyone on the machine can read."""

from __future__ import annotations

import base64
import re
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest
from matplotlib.figure import Figure

from sugarlab.app import runner
from sugarlab.views.figures import png_bytes
from tests.unit.test_report import lab, security_checklist, write  # noqa: F401  (lab is a fixture)

PLOTS = ("Baseline against post-expansion", "Storage failover", "Inference latency", "fio per node")
ERROR = (
    "notebook 05-edge-ai failed in cell 7 (In [5]: service = inference.deploy(lab)): InferenceNotReady: "
    "edge-ai/inference never became Ready\n\n- check `kubectl -n edge-ai describe pod`\n- then rerun"
)


def rows_png() -> bytes:
    figure = Figure(figsize=(3, 2))
    figure.subplots().plot([1, 2, 3], [1, 4, 9])
    return png_bytes(figure)


@pytest.fixture
def run_dir(lab: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run folder around the report's test lab, notebook 04's plot and security findings included."""
    write(lab, "storage/failover-rows.png", "")
    (lab / "storage/failover-rows.png").write_bytes(rows_png())
    write(lab, "operations/security-checklist.md", security_checklist(weak_node="worker-a"))
    target = tmp_path_factory.mktemp("runs") / "20261130-100000-abcd"
    shutil.copytree(lab, target / "lab")
    (target / "html").mkdir()
    (target / "html" / "05-edge-ai.html").write_text("<html></html>")
    return target


def manifest() -> dict[str, Any]:
    return {
        "run_id": "20261130-100000-abcd",
        "status": "failed",
        "backend": "sim",
        "notebooks": [
            {"name": "04-storage", "status": "succeeded", "duration_seconds": 123.4},
            {"name": "05-edge-ai", "status": "failed", "duration_seconds": 15.0, "error": ERROR},
            {"name": "06-operations", "status": "not run", "duration_seconds": 0.0},
        ],
        "steps": [],
    }


def front_page(run_dir: Path) -> str:
    assert runner._write_front_page(run_dir, manifest()) == "index.html"
    return (run_dir / "index.html").read_text()


def test_every_figure_has_the_runs_provenance_and_every_plot_is_embedded(run_dir: Path) -> None:
    page = front_page(run_dir)
    assert "unknown provenance" not in page
    assert re.search(r"<td>longest failover time to ready</td>\s*<td>1 min 35 s</td>\s*<td>simulated</td>", page)
    for title in PLOTS:
        assert re.search(rf'<img alt="{re.escape(title)}" src="data:image/png;base64,[A-Za-z0-9+/=]+">', page), title
    embedded = re.search(r'<img alt="Storage failover" src="data:image/png;base64,([^"]+)">', page)
    assert embedded and base64.b64decode(embedded.group(1)) == (run_dir / "lab/storage/failover-rows.png").read_bytes()
    assert not re.search(r'<img [^>]*src="(?!data:)', page)  # a copy of the page stands alone


def test_numbers_read_as_people_write_them(run_dir: Path) -> None:
    page = front_page(run_dir)
    assert not re.search(r"\d\.\d+e[+-]\d\d", page)  # no 1.922e+04
    assert "days" not in page and ".000000" not in page
    assert re.search(r"<td>fio 4k random-read IOPS, \S+</td>\s*<td>\d{1,3}(,\d{3})* IOPS</td>", page)
    assert "<td>2 min 3 s</td>" in page and "<td>15 s</td>" in page  # notebook durations
    assert '<td>06-operations</td><td class="fail">not run</td><td></td>' in page  # no "0 ms" for what did not run


def test_a_failed_notebook_is_a_readable_block_linked_relatively(run_dir: Path) -> None:
    page = front_page(run_dir)
    assert '<a href="html/05-edge-ai.html">html/05-edge-ai.html</a> shows the cell' in page
    block = re.search(r'<pre class="error">(.*?)</pre>', page, re.S)
    assert block and block.group(1).splitlines()[0].startswith("notebook 05-edge-ai failed in cell 7")
    assert "- check `kubectl -n edge-ai describe pod`\n- then rerun" in block.group(1)
    assert str(run_dir) not in page


def test_the_security_line_says_pass_only_when_every_item_passes(run_dir: Path) -> None:
    page = front_page(run_dir)
    line = re.search(r"<li>(<span[^>]*>[^<]*</span>) operations/security-checklist.md drafted:[^<]*", page)
    assert line and line.group(1) == '<span class="open">open</span>'
    assert "worker-a: failed (1 of 5 items)" in line.group(0)
    assert '<span class="open">open</span> <strong>Advanced roadmap update' in page  # its milestone is open, not ticked
    assert "Milestone checklist: 2 of 3 pass" in page
    write(run_dir / "lab", "operations/security-checklist.md", security_checklist())
    assert '<span class="pass">pass</span> operations/security-checklist.md drafted' in front_page(run_dir)


def test_the_page_reads_on_a_laptop_prints_whole_and_is_world_readable(run_dir: Path) -> None:
    page = front_page(run_dir)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "@media print" in page and "overflow-wrap: anywhere" in page
    assert stat.S_IMODE((run_dir / "index.html").stat().st_mode) == 0o644
