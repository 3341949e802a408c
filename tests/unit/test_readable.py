"""Numbers for people: the report and the notebooks' tables show durations, counts and sizes as a
reader writes them, never `1.922e+04`, `1.000000` or `0 days 00:00:15`."""

from __future__ import annotations

import pandas as pd
import pytest

from sugarlab.views.readable import count, duration, number, quantity, readable_frame, size


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.85, "850 ms"),
        (2.5, "2.5 s"),
        (15, "15 s"),
        (15.4, "15 s"),
        (59.6, "60 s"),
        (123, "2 min 3 s"),
        (120, "2 min"),
        (3725, "1 h 2 min"),
        (pd.Timedelta(seconds=15), "15 s"),
        (None, ""),
        (float("nan"), ""),
    ],
)
def test_durations_read_like_a_person_writes_them(seconds: float | pd.Timedelta | None, text: str) -> None:
    assert duration(seconds) == text


def test_counts_sizes_and_measurements() -> None:
    assert count(19219.6) == "19,220" and count(1.0) == "1"
    assert size(1489157120) == "1.39 GiB" and size(17403904) == "16.6 MiB" and size(512) == "512 B"
    assert size(980920320.0) == "935 MiB"
    assert number(0.132910416) == "0.133" and number(4012.25) == "4,012" and number(11.8) == "11.8"
    assert number(4.0) == "4" and number(-0.0043) == "-0.00430"
    assert quantity(95.0, "s") == "1 min 35 s" and quantity(19220.4, "IOPS") == "19,220 IOPS"
    assert quantity(1.4, "GiB") == "1.40 GiB" and quantity(981.1, "ms") == "981 ms"


def test_frames_are_formatted_by_column_name_and_type() -> None:
    frame = pd.DataFrame(
        {
            "node": ["worker-a"],
            "new": [True],
            "iops": [19219.9],
            "load_memory_bytes": [980920320.0],
            "rows_missing": [1.0],
            "time_to_ready_s": [15.0],
            "load_cpu_cores": [3.99811824],
            "waited": [pd.Timedelta(seconds=123)],
            "clat p95 ms": [1.234567],
        }
    )
    shown = readable_frame(frame).iloc[0].to_dict()
    assert shown == {
        "node": "worker-a",
        "new": True,
        "iops": "19,220",
        "load_memory_bytes": "935 MiB",
        "rows_missing": "1",
        "time_to_ready_s": "15 s",
        "load_cpu_cores": "4.00",
        "waited": "2 min 3 s",
        "clat p95 ms": "1.23",
    }
    assert "e+" not in readable_frame(pd.DataFrame({"x": [1.922e04, 3e-7]})).to_string()


def test_a_notebook_shows_every_frame_readably_and_uncut() -> None:
    from IPython.core.interactiveshell import InteractiveShell

    from sugarlab.views.readable import show_frames_readably

    shell = InteractiveShell.instance()
    formatter = shell.display_formatter
    assert formatter is not None  # an InteractiveShell always has one
    with pd.option_context("display.max_colwidth", 50):
        try:
            show_frames_readably()
            command = 'sudo sh -c "curl -sfL https://get.k3s.io | K3S_URL=https://192.168.1.10:6443 sh -"'
            frame = pd.DataFrame(
                {
                    "worker": ["worker-a"],
                    "command": [command],
                    "iops": [19219.6],
                    "window": [pd.Timedelta(seconds=15)],
                    "memory_bytes": [1489157120.0],
                }
            )
            formatted, _ = formatter.format(frame)
            page = formatted["text/html"]
            assert command.replace('"', "&quot;") in page or command in page  # not cut at 50 characters
            assert ">19,220</td>" in page and "<td>15 s</td>" in page and "<td>1.39 GiB</td>" in page
            assert '<td style="white-space: nowrap">worker-a</td>' in page  # a name never breaks at its hyphen
            assert "<td>sudo sh -c " in page  # words wrap at their spaces as before
            assert frame["iops"].iloc[0] == 19219.6  # the frame itself keeps its numbers
        finally:
            formatter.formatters["text/html"].pop(pd.DataFrame, None)
            InteractiveShell.clear_instance()


def test_a_frames_caption_shows_under_it_escaped_and_a_frame_without_one_adds_nothing() -> None:
    from sugarlab.views.readable import CAPTION, caption_html, frame_html

    frame = pd.DataFrame({"node": ["sugarkube0"], "runtime_s": [3.0]})
    assert caption_html(frame) == "" and "<p>" not in frame_html(frame)
    frame.attrs[CAPTION] = "cut to --runtime=3 <on the simulator>"
    page = frame_html(frame)
    assert page.endswith("<p><em>cut to --runtime=3 &lt;on the simulator&gt;</em></p>")
    assert page.index("</table>") < page.index("<p><em>")
