"""The lab a notebook works in: its parameters, its cluster and its workspace, and the steps it records.

Notebooks open one with `sugarlab.open_lab` (`sugarlab.app.notebook`); the steps take it as their
first argument. What the lab is doing now (`Lab.doing`, and every `Lab.step`) is kept in the workspace's
`.sugarlab/doing.json`, which a headless run shows on its progress line while a long cell runs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import NamedTuple

from sugarlab.common.files import atomic_write_bytes
from sugarlab.lab.cluster import Cluster
from sugarlab.lab.params import LabParams
from sugarlab.lab.workspace import SHARED, Workspace

DOING = "doing.json"  # in the workspace's state directory: {"notebook", "doing", "position"}


class Verdict(NamedTuple):
    """A lab step's outcome as the code that judged it sees it."""

    passed: bool
    detail: str


@dataclass
class StepOutcome:
    """What a step inside `Lab.step` found: passed unless judged otherwise or its block raises."""

    passed: bool = True
    detail: str = ""

    def judge(self, verdict: Verdict) -> None:
        self.passed, self.detail = verdict


@dataclass(frozen=True)
class Lab:
    params: LabParams
    cluster: Cluster
    workspace: Workspace
    _doing: list[tuple[str, tuple[int, int] | None]] = field(
        default_factory=list, init=False, compare=False, repr=False
    )

    @property
    def applying(self) -> bool:
        """Whether this notebook changes the cluster: always on the simulator, on a live one only with
        the notebook's own `apply = True` (`sugarlab.steps.plan`)."""
        return self.params.backend == "sim" or self.params.apply

    def real_seconds(self, cluster_seconds: float) -> float:
        """Wall-clock seconds a span of cluster time takes (the simulator's clock runs `speed` times faster)."""
        return cluster_seconds / self.params.speed if self.params.backend == "sim" else cluster_seconds

    def summary(self) -> str:
        where = "simulated Sugarkube cluster" if self.params.backend == "sim" else f"context {self.cluster.context!r}"
        return (
            f"{where} at {self.cluster.server} (Kubernetes {self.cluster.version}); "
            f"figures are labelled {self.cluster.provenance!r}; artefacts go to {self.workspace.root}"
        )

    @contextmanager
    def step(self, name: str) -> Iterator[StepOutcome]:
        """Record the lab step `name` for the report: failed with the error's first line when the block
        raises (the error still propagates), otherwise as the block judged it (passed by default)."""
        outcome = StepOutcome()
        try:
            with self.doing(name):
                yield outcome
        except Exception as exc:
            self.workspace.record_step(name, False, next(iter(str(exc).splitlines()), type(exc).__name__))
            raise
        self.workspace.record_step(name, outcome.passed, outcome.detail)

    @contextmanager
    def doing(self, what: str, position: tuple[int, int] | None = None) -> Iterator[None]:
        """Say what the lab is doing while the block runs (`position`: the k-th of n such things), for the
        progress line of a headless run; the enclosing activity is shown again afterwards."""
        self._doing.append((what, position))
        self._save_doing()
        try:
            yield
        finally:
            self._doing.pop()
            self._save_doing()

    def _save_doing(self) -> None:
        what, position = self._doing[-1] if self._doing else (None, None)
        record = {"notebook": self.workspace.notebook, "doing": what, "position": position}
        atomic_write_bytes(self.workspace.state_dir / DOING, json.dumps(record).encode(), SHARED)
