"""The pages a run leaves, loaded in a real headless browser (Debian's chromium, see tests/browser.py):
the front page and the notebooks' HTML load with no failed request and no broken image, say no
"unknown provenance", and the front page shows every plot the README lists."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

from sugarlab.app import runner
from sugarlab.app.runner import run_lab
from sugarlab.report.notebook_html import notebook_html
from tests.unit.browser import CHROMIUM, Browser, headless_chromium
from tests.unit.test_front_page import PLOTS, manifest, run_dir  # noqa: F401  (run_dir is a fixture)
from tests.unit.test_report import lab  # noqa: F401  (a fixture run_dir uses)

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (make system-packages)")
NOTEBOOKS = Path(__file__).parents[1] / "data" / "notebooks"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with headless_chromium() as chromium:
        yield chromium


@pytest.fixture(scope="module")
def notebook_pages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The html/ of a small run: one notebook with a plot, one that fails, and the first again as a
    notebook that saved widget state, as tqdm's progress bars leave it in the lab's notebooks."""
    run = run_lab({}, notebooks_dir=NOTEBOOKS, output_dir=tmp_path_factory.mktemp("outputs"), progress=False)
    notebook = nbformat.read(run.run_dir / "notebooks" / "01-write.ipynb", as_version=4)
    notebook.metadata["widgets"] = {
        "application/vnd.jupyter.widget-state+json": {"state": {}, "version_major": 2, "version_minor": 0}
    }
    with_widgets = run.run_dir / "notebooks" / "03-widgets.ipynb"
    nbformat.write(notebook, with_widgets)
    (run.run_dir / "html" / "03-widgets.html").write_text(notebook_html(with_widgets))
    return run.run_dir / "html"


def test_the_front_page_loads_whole_with_every_plot(browser: Browser, run_dir: Path, notebook_pages: Path) -> None:
    shutil.rmtree(run_dir / "html")
    shutil.copytree(notebook_pages, run_dir / "html")
    pages = manifest()
    pages["notebooks"] = [
        {"name": p.stem, "status": "succeeded", "duration_seconds": 1.0} for p in sorted(notebook_pages.glob("*.html"))
    ]
    assert runner._write_front_page(run_dir, pages) == "index.html"
    loaded = browser.load(run_dir / "index.html")
    assert loaded.failed == [] and loaded.broken_images == []
    assert len(loaded.images) == len(PLOTS)
    assert all(image["src"].startswith("data:image/png;base64,") for image in loaded.images)
    assert "unknown provenance" not in loaded.text
    assert all(title in loaded.text for title in PLOTS)
    assert loaded.overflow == 0  # no sideways scrolling on a laptop
    printed = browser.load(run_dir / "index.html", width=718, media="print")  # A4 at 96 dpi, 1.5 cm margins
    assert printed.overflow == 0 and printed.broken_images == []  # nothing cut off the printed page


def test_every_notebook_page_loads_with_nothing_missing(browser: Browser, notebook_pages: Path) -> None:
    pages = sorted(notebook_pages.glob("*.html"))
    assert [p.stem for p in pages] == ["01-write", "02-fail", "03-widgets"]
    plots = 0
    for page in pages:
        loaded = browser.load(page)
        assert loaded.failed == [], page.name
        assert loaded.broken_images == [], page.name
        assert "unknown provenance" not in loaded.text
        plots += len(loaded.images)
    assert plots >= 1  # 01-write draws one
