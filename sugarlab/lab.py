"""Opening the lab: parameters checked, cluster reached, workspace ready, in that order.

Nothing is written before the parameters pass and the cluster answers, so bad input leaves no
half-made workspace behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sugarlab.cluster import Cluster, connect
from sugarlab.params import LabParams, validate_parameters
from sugarlab.readable import show_frames_readably
from sugarlab.workspace import Workspace


@dataclass(frozen=True)
class Lab:
    params: LabParams
    cluster: Cluster
    workspace: Workspace

    def real_seconds(self, cluster_seconds: float) -> float:
        """Wall-clock seconds a span of cluster time takes (the simulator's clock runs `speed` times faster)."""
        return cluster_seconds / self.params.speed if self.params.backend == "sim" else cluster_seconds

    def summary(self) -> str:
        where = "simulated Sugarkube cluster" if self.params.backend == "sim" else f"context {self.cluster.context!r}"
        return (f"{where} at {self.cluster.server} (Kubernetes {self.cluster.version}); "
                f"figures are labelled {self.cluster.provenance!r}; artefacts go to {self.workspace.root}")


def open_lab(notebook: str, **parameters: Any) -> Lab:
    """Validate `parameters`, connect to the cluster they name, and prepare the workspace."""
    params = validate_parameters(parameters)
    show_frames_readably()
    cluster = connect(params)
    return Lab(params, cluster, Workspace(params.workspace_path, notebook).create())
