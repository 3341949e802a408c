"""Showing a plan in a notebook, and ending a plan-only notebook there without an error.

A plan-only run must complete (Papermill and `sugarlab run` treat it as succeeded) yet run none of the
cells that would change the cluster or read what they would have made. IPython passes every cell's
source through `input_transformers_cleanup` before running it
(https://ipython.readthedocs.io/en/stable/config/inputtransforms.html), so the cells after the plan
are replaced by one line saying they did not run.
"""

from __future__ import annotations

from IPython import get_ipython
from IPython.display import Markdown, display

NOT_RUN = "plan only: this cell did not run (set apply = True to carry out the plan)"


def show(markdown: str) -> None:
    display(Markdown(markdown))


def skip_remaining_cells() -> bool:
    """Make every later cell of this kernel print `NOT_RUN` instead of running; False outside IPython."""
    shell = get_ipython()
    if shell is None:
        return False
    replacement = [f"print({NOT_RUN!r})\n"]
    shell.input_transformers_cleanup.append(lambda lines: replacement)
    return True
