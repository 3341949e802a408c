"""Frames rendered as text that reads like kubectl's tables.

kubectl prints through Go's text/tabwriter with minwidth 6, padding 3 and left alignment
(k8s.io/cli-runtime printers.GetNewTabWriter); `kubectl get` leaves the last column unpadded,
`kubectl top` pads it too. Empty cells print as `<none>`.

The tables are `TextTable`s: strings that a notebook displays as a terminal shows them (see there).
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from sugarlab.kube.inventory import NODE_COLUMNS, POD_COLUMNS

if TYPE_CHECKING:
    from IPython.lib.pretty import PrettyPrinter

MIN_WIDTH, PADDING = 6, 3

# Headers kubectl spells other than by upper-casing the column and turning "_" into "-".
_HEADERS = {
    "nominated_node": "NOMINATED NODE",
    "readiness_gates": "READINESS GATES",
    "cpu_cores": "CPU(cores)",
    "cpu_percent": "CPU%",
    "memory_bytes": "MEMORY(bytes)",
    "memory_percent": "MEMORY%",
}
TOP_NODE_TEXT_COLUMNS = ["name", "cpu_cores", "cpu_percent", "memory_bytes", "memory_percent"]
TOP_POD_TEXT_COLUMNS = ["namespace", "name", "cpu_cores", "memory_bytes"]


# JupyterLab styles every output's <pre> `white-space: pre-wrap; word-break: break-all`
# (@jupyterlab/outputarea, style/base.css, `.jp-OutputArea-output pre`), which breaks a wide table's
# lines mid-word; inline styles win over it, and its sanitizer keeps these properties
# (@jupyterlab/apputils, src/sanitizer.ts, `allowedStyles`).
_PRE_STYLE = "white-space: pre; word-break: normal; overflow-wrap: normal; overflow-x: auto"


class TextTable(str):
    """Text that kubectl prints (or would), shown in a notebook as a terminal shows it.

    `print()` puts a table in a stream output, which JupyterLab wraps at its width (a wide row leaves
    `<none>`'s `>` alone on the next line) and whose URL-like words it turns into links
    (`containerd://2.0.5-k3s2`). Displayed (`display(table)`), it is a `<pre>` that keeps every line
    whole, scrolls sideways in its own box and holds escaped text, never a link, with the text itself
    as the `text/plain` fallback of the same bundle for headless reports. As a `str` it is written to
    files as before."""

    def _repr_html_(self) -> str:
        return f'<pre style="{_PRE_STYLE}">{html.escape(str(self), quote=False)}</pre>'

    def _repr_pretty_(self, printer: PrettyPrinter, cycle: bool) -> None:
        printer.text(str(self))  # the text itself, where IPython would show a str's repr


def header(column: str) -> str:
    return _HEADERS.get(column, column.upper().replace("_", "-"))


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT or value == "":
        return "<none>"
    return str(value)


def render(rows: Sequence[Sequence[str]], pad_last: bool = False) -> TextTable:
    """Lay out rows (the first is the header) the way text/tabwriter does for kubectl."""
    if not rows:
        return TextTable()
    widths = [max(MIN_WIDTH, max(len(r[i]) for r in rows) + PADDING) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=True)]
        if not pad_last:
            cells[-1] = row[-1]
        lines.append("".join(cells))
    return TextTable("\n".join(lines) + "\n")


def kubectl_table(frame: pd.DataFrame, columns: Sequence[str], pad_last: bool = False) -> TextTable:
    """`columns` of `frame` as a kubectl table, headers like `INTERNAL-IP`."""
    rows = [[header(c) for c in columns]]
    rows += [[_cell(v) for v in record] for record in frame[list(columns)].itertuples(index=False)]
    return render(rows, pad_last)


def nodes_table(nodes: pd.DataFrame) -> TextTable:
    """The text of `kubectl get nodes -o wide` for a frame from `inventory.nodes_frame`."""
    return kubectl_table(nodes, NODE_COLUMNS)


def pods_table(pods: pd.DataFrame) -> TextTable:
    """The text of `kubectl get pods -A -o wide` for a frame from `inventory.pods_frame`."""
    return kubectl_table(pods, POD_COLUMNS)


def tail(table: str, rows: int) -> TextTable:
    """A kubectl table's header and its last `rows` rows: the newest of a long table (the cluster's events),
    every line whole and its columns still named, where cutting the text by characters splits a line."""
    if rows < 1:
        raise ValueError(f"rows: at least 1 row is shown, not {rows}")
    lines = table.splitlines(keepends=True)
    return TextTable("".join(lines[:1] + lines[1:][-rows:]))


def _millicores(cores: float) -> str:
    # Quantity.MilliValue() rounds up; round() first so 0.1 core does not become 101m.
    return "<unknown>" if math.isnan(cores) else f"{math.ceil(round(cores * 1000, 6))}m"


def _mebibytes(value: float) -> str:
    return "<unknown>" if math.isnan(value) else f"{int(value) // (1024 * 1024)}Mi"


def _percent(value: float) -> str:
    return "<unknown>" if math.isnan(value) else f"{int(value)}%"


def top_table(top: pd.DataFrame) -> TextTable:
    """The text of `kubectl top nodes` (frame from `usage.top_nodes_frame`) or `kubectl top pods -A`."""
    is_nodes = "cpu_percent" in top
    columns = TOP_NODE_TEXT_COLUMNS if is_nodes else TOP_POD_TEXT_COLUMNS
    text = top[columns].copy().astype(object)
    text["cpu_cores"] = [_millicores(v) for v in top["cpu_cores"]]
    text["memory_bytes"] = [_mebibytes(v) for v in top["memory_bytes"]]
    if is_nodes:
        text["cpu_percent"] = [_percent(v) for v in top["cpu_percent"]]
        text["memory_percent"] = [_percent(v) for v in top["memory_percent"]]
    return kubectl_table(text, columns, pad_last=True)
