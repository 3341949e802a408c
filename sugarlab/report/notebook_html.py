"""An executed notebook as one HTML file that stands alone: no script or style fetched from a CDN.

nbconvert's `lab` template loads require.js, MathJax and (for mermaid diagrams) mermaid from
cdnjs.cloudflare.com, and, when the notebook saved widget state (tqdm's progress bars do), the widget
manager from unpkg.com (nbconvert `templates/lab/index.html.j2`): offline, or on a copy opened years
later, those requests fail. The workbook's pages need none of them (a finished progress bar is not
content, there is no LaTeX, no diagram; a `$KUBECONFIG` in prose is not math), so this template leaves
them out. Plots are already inline PNGs; `embed_images` also inlines any image a markdown cell
refers to.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from jinja2 import DictLoader
from nbconvert import HTMLExporter

TEMPLATE = "sugarlab-standalone.html.j2"
_STANDALONE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
"""


def notebook_html(notebook: Path) -> str:
    """The executed notebook at `notebook` as a standalone HTML page."""
    exporter = HTMLExporter(
        extra_loaders=[DictLoader({TEMPLATE: _STANDALONE})], template_file=TEMPLATE, embed_images=True
    )
    body, _ = exporter.from_notebook_node(
        nbformat.read(notebook, as_version=4),
        resources={"metadata": {"name": notebook.stem, "path": str(notebook.parent)}},
    )
    return body
