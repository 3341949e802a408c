"""`wait_for`'s bar as JupyterLab shows it (tqdm.notebook's widget): it moves with each poll's counts and
stays when the wait ends, complete and green when the condition held, red when the wait failed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import ipywidgets
import pytest
from tqdm.notebook import tqdm_notebook

from sugarlab import WaitTimeout
from sugarlab.kube import wait
from sugarlab.kube.wait import Pending, wait_for


@pytest.fixture
def bars(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tqdm_notebook[Any]]]:
    """The notebook bars `wait_for` makes, as `tqdm.auto` makes them in a Jupyter kernel."""
    made: list[tqdm_notebook[Any]] = []

    def notebook_bar(*args: Any, **kwargs: Any) -> tqdm_notebook[Any]:
        made.append(tqdm_notebook(*args, **{**kwargs, "display": False}))  # nothing to show it in
        return made[-1]

    monkeypatch.setattr(wait, "tqdm", notebook_bar)
    yield made


def widget(bar: tqdm_notebook[Any]) -> ipywidgets.FloatProgress:
    _, progress, _ = bar.container.children
    assert isinstance(progress, ipywidgets.FloatProgress)
    return progress


def answers(*given: object) -> Callable[[], Any]:
    it = iter(given)
    return lambda: next(it)


def test_a_wait_that_held_ends_complete_green_and_shown(bars: list[tqdm_notebook[Any]]) -> None:
    seen: list[tuple[float, float]] = []
    polls = iter([Pending(0, 3), Pending(1, 3), Pending(2, 3), "ready"])

    def poll() -> object:
        if bars:
            seen.append((widget(bars[0]).value, widget(bars[0]).max))
        return next(polls)

    assert wait_for(poll, "three replicas", 10, interval=0.01, progress=True) == "ready"
    (bar,) = bars
    assert seen[1:] == [(0, 3), (1, 3), (2, 3)]  # it moved while it waited (the first poll ran before any count)
    assert (widget(bar).value, widget(bar).max, widget(bar).bar_style) == (3, 3, "success")
    assert bar.container.layout.visibility != "hidden"


def test_a_wait_without_counts_that_held_at_once_ends_complete(bars: list[tqdm_notebook[Any]]) -> None:
    wait_for(answers(True), "gone", 10, interval=0.01, progress=True)
    wait_for(answers(Pending(seen="still there"), True), "gone", 10, interval=0.01, progress=True)
    for bar in bars:
        assert (widget(bar).value, widget(bar).max, widget(bar).bar_style) == (1, 1, "success")


def test_a_timeout_ends_the_bar_red_where_it_stood(bars: list[tqdm_notebook[Any]]) -> None:
    with pytest.raises(WaitTimeout):
        wait_for(lambda: Pending(1, 3, "1 of 3 ready"), "replicas", 60, speed=600, interval=0.01, progress=True)
    (bar,) = bars
    assert (widget(bar).value, widget(bar).max, widget(bar).bar_style) == (1, 3, "danger")


def test_a_poll_that_raises_ends_the_bar_red_even_at_its_total(bars: list[tqdm_notebook[Any]]) -> None:
    def poll() -> object:
        if not bars[0].n:
            return Pending(2, 2)
        raise RuntimeError("the API server went away")

    with pytest.raises(RuntimeError):
        wait_for(poll, "rollout", 10, interval=0.01, progress=True)
    (bar,) = bars
    assert (widget(bar).value, widget(bar).bar_style) == (2, "danger")


def test_a_result_that_falls_short_of_its_total_ends_red(bars: list[tqdm_notebook[Any]]) -> None:
    failed_job = {"succeeded": 3, "completions": 4}
    result = wait_for(
        answers(Pending(2, 4), failed_job),
        "completions",
        10,
        interval=0.01,
        progress=True,
        counts=lambda job: (job["succeeded"], job["completions"]),
    )
    assert result is failed_job
    (bar,) = bars
    assert (widget(bar).value, widget(bar).max, widget(bar).bar_style) == (3, 4, "danger")


def test_without_progress_no_bar_is_drawn(bars: list[tqdm_notebook[Any]], capsys: pytest.CaptureFixture[str]) -> None:
    assert wait_for(answers(Pending(0, 1), "ready"), "quiet", 10, interval=0.01) == "ready"
    assert bars[0].disable
    assert capsys.readouterr() == ("", "")
