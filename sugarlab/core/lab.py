"""Opening the lab: parameters checked, cluster reached, workspace ready, in that order.

Nothing is written before the parameters pass and the cluster answers, so bad input leaves no
half-made workspace behind. A notebook hands over its namespace and names itself; the lab takes the
parameters that notebook declares and reads every other one from what the workspace recorded
(`sugarlab.core.recorded`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NamedTuple

from sugarlab.core.errors import ParameterError
from sugarlab.core.params import LabParams, declared_by, validate_parameters
from sugarlab.core.recorded import record_parameters, record_path, recorded_parameters
from sugarlab.core.workspace import Workspace
from sugarlab.kube.connect import Cluster, connect
from sugarlab.views.readable import show_frames_readably


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

    @property
    def applying(self) -> bool:
        """Whether this notebook changes the cluster: always on the simulator, on a live one only with
        the notebook's own `apply = True` (`sugarlab.core.plan`)."""
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
            yield outcome
        except Exception as exc:
            self.workspace.record_step(name, False, next(iter(str(exc).splitlines()), type(exc).__name__))
            raise
        self.workspace.record_step(name, outcome.passed, outcome.detail)


def open_lab(notebook: str, namespace: Mapping[str, Any] | None = None, /, **parameters: Any) -> Lab:
    """Validate the parameters, connect to the cluster they name, prepare the workspace, record them.

    `namespace` is the notebook's `globals()`: the parameters `notebook` declares are taken from it, and
    keywords override them. Whatever is not given is read from the workspace's record, or defaults.
    """
    source = namespace or {}
    given = {name: source[name] for name in declared_by(notebook) if name in source} | parameters
    root = validate_parameters({"workspace": given.get("workspace", "")}).workspace_path
    recorded = {k: v for k, v in recorded_parameters(root).items() if k in LabParams.model_fields}
    _same_backend(given, recorded, root)
    params = validate_parameters({**recorded, **given})
    show_frames_readably()
    cluster = connect(params)
    workspace = Workspace(params.workspace_path, notebook).create()
    cluster = replace(cluster, run=workspace.lab_id())
    record_parameters(params, frozenset(given))
    return Lab(params, cluster, workspace)


def _same_backend(given: Mapping[str, Any], recorded: Mapping[str, Any], root: Path) -> None:
    """A workspace holds one lab: artefacts of a simulated cluster and of a real one are not mixed."""
    if "backend" in given and "backend" in recorded and given["backend"] != recorded["backend"]:
        raise ParameterError(
            "backend",
            given["backend"],
            (
                f"the lab workspace {root} was set up for backend {recorded['backend']!r} (recorded in "
                f"{record_path(root)}); use that backend, or another workspace"
            ),
        )
