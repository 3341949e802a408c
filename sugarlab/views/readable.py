"""Numbers as people read them: `15 s`, `2 min 3 s`, `19,220` IOPS, `1.4 GiB`, `0.133` cores.

`readable_frame` applies these by column name (`*_bytes` as MiB/GiB, `*_s`/`*_seconds` and timedeltas
as durations, `iops` and counts with thousands separators), so every table the notebooks and the
report show reads the same way; the frames written to CSV keep their raw numbers.

In HTML (`frame_html`) a cell that is one word (a pod name, an image, an address) stays on one line and
the table scrolls sideways instead, and a frame's `attrs["caption"]` is shown under it.
"""

from __future__ import annotations

import html
import math
import re

import pandas as pd

KIB = 1024
_UNITS = ("B", "KiB", "MiB", "GiB", "TiB")
_COUNT = re.compile(
    r"(^|_)(rows|pods|nodes|count|iops|errors|error|replicas|concurrency|batch|threads|iodepth)(_|$)"
    r"|^(new|baseline|post_expansion|delta)_pods$"
)
_DURATION = re.compile(r"(_s|_seconds|^seconds|^after \(s\))$")
_BYTES = re.compile(r"(_bytes|^bytes)$")
CAPTION = "caption"  # key of `DataFrame.attrs`: a note that belongs under the frame wherever it is shown
# JupyterLab gives every cell of an HTML output `white-space: normal` (@jupyterlab/rendermime,
# style/base.css, `.jp-RenderedHTMLCommon td`), so a narrow output breaks `metrics-server-5985cbc9d7-xk2lp`
# at its hyphens over three lines; an inline style wins over it, and JupyterLab's sanitizer keeps it.
_WORD_CELL = re.compile(r"<(td|th)>([^<\s]+)</\1>")


def _missing(value: object) -> bool:
    return value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def duration(seconds: float | pd.Timedelta | None) -> str:
    """`850 ms`, `15 s`, `2 min 3 s`, `1 h 4 min`; empty when unknown."""
    if isinstance(seconds, pd.Timedelta):
        seconds = seconds.total_seconds()
    if _missing(seconds):
        return ""
    value = float(seconds)  # type: ignore[arg-type]
    sign, value = ("-" if value < 0 else ""), abs(value)
    if value < 1:
        return f"{sign}{value * 1000:.0f} ms"
    if value < 60:
        return f"{sign}{value:.1f} s" if value < 10 and value != int(value) else f"{sign}{value:.0f} s"
    whole = round(value)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{sign}{hours} h {minutes} min" if minutes else f"{sign}{hours} h"
    return f"{sign}{minutes} min {secs} s" if secs else f"{sign}{minutes} min"


def count(value: float | None) -> str:
    """A whole number with thousands separators: `19,220`."""
    return "" if _missing(value) else f"{round(float(value)):,}"  # type: ignore[arg-type]


def size(value: float | None) -> str:
    """Bytes in binary units as kubectl quantities are: `512 B`, `17 MiB`, `1.39 GiB`."""
    if _missing(value):
        return ""
    amount, unit = float(value), 0  # type: ignore[arg-type]
    while abs(amount) >= KIB and unit < len(_UNITS) - 1:
        amount, unit = amount / KIB, unit + 1
    return f"{amount:,.0f} {_UNITS[unit]}" if unit == 0 or abs(amount) >= 100 else f"{amount:.3g} {_UNITS[unit]}"


def number(value: float | None) -> str:
    """A measurement to about three significant figures, never in scientific notation: `0.133`, `4,012`."""
    if _missing(value):
        return ""
    amount = float(value)  # type: ignore[arg-type]
    if amount == int(amount) and abs(amount) < 1e15:
        return f"{int(amount):,}"
    magnitude = math.floor(math.log10(abs(amount)))
    decimals = max(0, min(9, 2 - magnitude))
    return f"{amount:,.{decimals}f}"


def quantity(value: float | None, unit: str) -> str:
    """A key figure in its unit: durations and sizes spelled out, counts whole, the rest with the unit."""
    if unit == "s":
        return duration(value)
    if unit in ("nodes", "experiments", "rows", "IOPS", "pods"):
        return f"{count(value)} {unit}" if not _missing(value) else ""
    if unit == "bytes":
        return size(value)
    return f"{number(value)} {unit}" if not _missing(value) else ""


def _column(name: str, values: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(values) or not (
        pd.api.types.is_numeric_dtype(values) or pd.api.types.is_timedelta64_dtype(values)
    ):
        return values
    label = str(name).lower()
    if pd.api.types.is_timedelta64_dtype(values) or _DURATION.search(label):
        return values.map(duration)
    if _BYTES.search(label):
        return values.map(size)
    if _COUNT.search(label) or pd.api.types.is_integer_dtype(values):
        return values.map(count)
    return values.map(number)


def readable_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with every number as text for people, by its column's name and type (see the module)."""
    shown = frame.copy()
    for position, name in enumerate(frame.columns):  # by position: column names may repeat
        shown.isetitem(position, _column(str(name), frame.iloc[:, position]))
    return shown


def unbroken_words(table: str) -> str:
    """Table HTML whose one-word cells (names, images, addresses, numbers) never wrap; cells of several
    words still wrap at their spaces."""
    return _WORD_CELL.sub(lambda m: f'<{m[1]} style="white-space: nowrap">{m[2]}</{m[1]}>', table)


def caption_html(frame: pd.DataFrame) -> str:
    """The frame's `attrs["caption"]` as a paragraph to put under it; "" when it has none."""
    caption = frame.attrs.get(CAPTION)
    return f"<p><em>{html.escape(str(caption), quote=False)}</em></p>" if caption else ""


def frame_html(frame: pd.DataFrame, index: bool = False) -> str:
    """`frame` as readable HTML that scrolls sideways rather than breaking names, with its caption."""
    table = unbroken_words(readable_frame(frame).to_html(index=index))
    return f'<div style="overflow-x: auto">{table}</div>{caption_html(frame)}'


def _frame_html(frame: pd.DataFrame) -> str | None:
    """The frame's HTML for IPython; None (IPython's own rendering) should a frame defeat the formatting."""
    try:
        table: str = readable_frame(frame)._repr_html_()
    except (TypeError, ValueError):
        return None
    return unbroken_words(table) + caption_html(frame)


def show_frames_readably() -> None:
    """In a notebook's kernel, show every displayed DataFrame as `readable_frame` does (the frame's values
    stay numbers) and never cut a cell short: a join plan's command is read before `apply = True`.
    Outside IPython it does nothing."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return
    pd.set_option("display.max_colwidth", None)
    shell.display_formatter.formatters["text/html"].for_type(pd.DataFrame, _frame_html)
