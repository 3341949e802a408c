"""Log-scale axes labelled with a few round, plain numbers (`20`, `30`, `50`), never `2x10^1`.

Over less than a decade matplotlib labels minor ticks too, in scientific notation
(matplotlib.ticker.LogFormatterSciNotation; which minors get labels is `LogFormatter`'s
`minor_thresholds`), and on a subplot half a figure wide `2x10^1`, `3x10^1` and `4x10^1` (in
mathtext) run into each other. Here the labelled (major) ticks are the densest round series that puts at most
`MAX_LABELS` values in the axis's range, written out in full (`0.5`, `1,000`); the remaining log
ticks stay as unlabelled minor ticks.
"""

from __future__ import annotations

import math

from matplotlib.axis import Axis
from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

MAX_LABELS = 6
# Round multiples of each power of ten, densest first: the first series with at most MAX_LABELS values
# in range is labelled. Their closest neighbours (7 and 8) are 0.06 decade apart, a gap the series
# only gets when the range is narrow enough to hold few of them.
SERIES = ((1, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8), (1, 2, 3, 5), (1, 2, 5), (1, 3), (1,))


def round_ticks(low: float, high: float, most: int = MAX_LABELS) -> list[float]:
    """At most `most` round values between `low` and `high` (both > 0) to label a log axis with: the
    densest of SERIES that fits, else every n-th power of ten; one value near the geometric middle
    when the range holds no round value at all."""
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    for series in SERIES:
        values = (float(f"{m * 10.0**e:.3g}") for e in range(first, last + 1) for m in series)
        ticks = [value for value in values if low <= value <= high]
        if len(ticks) <= most:
            return ticks or [float(f"{math.sqrt(low * high):.2g}")]
    powers = [10.0**e for e in range(first, last + 1) if low <= 10.0**e <= high]
    return powers[:: math.ceil(len(powers) / most)]


def plain(value: float) -> str:
    """A tick value in full, with no trailing zeros: `0.05`, `2.5`, `1,000`."""
    return f"{value:,.9f}".rstrip("0").rstrip(".")


def label_log_axis(axis: Axis) -> None:
    """Label a log-scale axis, whose data is plotted, with `round_ticks` over its current view."""
    low, high = sorted(axis.get_view_interval())
    if not (math.isfinite(low) and math.isfinite(high) and 0 < low < high):
        return
    axis.set_major_locator(FixedLocator(round_ticks(low, high)))
    axis.set_major_formatter(FuncFormatter(lambda value, _: plain(value)))
    axis.set_minor_formatter(NullFormatter())
