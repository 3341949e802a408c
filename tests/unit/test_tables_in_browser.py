"""kubectl's tables and the lab's frames as JupyterLab lays them out, in a real headless browser (Debian's
chromium, see tests/unit/browser.py): every line of a table is one line on screen and the table scrolls
sideways in its own box; a pod name in a frame is one line. Each is checked beside what JupyterLab
did before (`print()`'s stream output, a frame's plain HTML), which must wrap, so that the page
reproduces JupyterLab's rules."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell

from sugarlab.kube.inventory import nodes_frame, pods_frame
from sugarlab.views.readable import readable_frame, show_frames_readably
from sugarlab.views.tables import TextTable, nodes_table, pods_table
from tests.unit.browser import CHROMIUM, headless_chromium
from tests.unit.test_tables import DATA, NOW, raspi_nodes

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (make system-packages)")

# JupyterLab 4's rules for an output's <pre> and an HTML output's tables, as they are in
# @jupyterlab/outputarea style/base.css and @jupyterlab/rendermime style/base.css.
JUPYTERLAB_CSS = """
.jp-OutputArea-output { width: 700px; height: auto; overflow: auto; font-size: 13px; }
.jp-OutputArea-output pre { border: none; margin: 0; padding: 0; overflow-x: auto; overflow-y: auto;
  word-break: break-all; word-wrap: break-word; white-space: pre-wrap; }
.jp-RenderedHTMLCommon pre { font-family: monospace; white-space: pre-wrap; }
.jp-RenderedHTMLCommon table { border-collapse: collapse; border-spacing: 0; border: none; table-layout: fixed;
  margin-left: auto; margin-bottom: 1em; margin-right: auto; }
.jp-RenderedHTMLCommon td, .jp-RenderedHTMLCommon th, .jp-RenderedHTMLCommon tr { vertical-align: middle;
  padding: 0.5em; line-height: normal; white-space: normal; max-width: none; border: none; }
"""
LONG_NAME = "metrics-server-5985cbc9d7-xk2lp"
# Lines on screen of an element's text (a line box per distinct top), whether it scrolls, and its links.
MEASURE = """(() => {
  const lines = el => { const r = document.createRange(); r.selectNodeContents(el);
    return new Set([...r.getClientRects()].map(b => Math.round(b.top))).size; };
  const pre = id => document.querySelector(`#${id} pre`);
  const cell = id => [...document.querySelectorAll(`#${id} td`)].find(td => td.textContent === NAME);
  return {table: lines(pre('table')), stream: lines(pre('stream')),
          scrolls: pre('table').scrollWidth > pre('table').clientWidth,
          links: document.querySelectorAll('#table a').length,
          name: lines(cell('frame')), plain_name: lines(cell('plain'))};
})()""".replace("NAME", json.dumps(LONG_NAME))


def output(id_: str, body: str) -> str:
    return f'<div id="{id_}" class="jp-OutputArea-output jp-RenderedHTMLCommon">{body}</div>'


def test_tables_keep_their_lines_and_frames_their_names_in_jupyterlab(tmp_path: Path) -> None:
    pod = json.loads((DATA / "k3s-pod-helm-install-completed.json").read_text())
    text = TextTable(nodes_table(nodes_frame(raspi_nodes(), NOW)) + pods_table(pods_frame([pod], NOW)))
    frame = pd.DataFrame(
        {
            "namespace": ["kube-system"],
            "name": [LONG_NAME],
            "image": ["registry.k8s.io/metrics-server/metrics-server:v0.7.2"],
            "diagnosis": ["Readiness probe failed: HTTP probe failed with statuscode: 500 " * 3],
        }
    )
    shell = InteractiveShell.instance()
    try:
        show_frames_readably()
        assert shell.display_formatter is not None
        table_html = shell.display_formatter.format(text)[0]["text/html"]
        frame_html = shell.display_formatter.format(frame)[0]["text/html"]
    finally:
        InteractiveShell.clear_instance()
    page = tmp_path / "outputs.html"
    page.write_text(
        f"<!doctype html><html><head><style>{JUPYTERLAB_CSS}</style></head><body>"
        + output("table", table_html)
        + output("stream", f"<pre>{html.escape(text)}</pre>")  # what print() gave
        + output("frame", frame_html)
        + output("plain", readable_frame(frame).to_html())  # a frame's HTML before
        + "</body></html>"
    )
    with headless_chromium() as browser:
        measured = browser.load(page, width=1000, evaluate=MEASURE).value
    assert measured["stream"] > len(text.splitlines())  # JupyterLab's rules do wrap a stream
    assert measured["table"] == len(text.splitlines()) and measured["scrolls"] and measured["links"] == 0
    assert measured["plain_name"] > 1 and measured["name"] == 1
