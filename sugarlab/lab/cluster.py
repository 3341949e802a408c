"""The cluster a lab works on: an API client and what a report needs to know about where it points.

`sugarlab.kube.connect` builds it, for a live cluster or the simulated one; everything else talks to
Kubernetes through it, so the calls a notebook makes against the simulator are the same calls it
makes against real k3s.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from kubernetes import client

# Imported by name, not looked up at first use: the client loads an API class lazily, CoreV1Api with its
# models in about 0.4 s, which a run's kernel started ahead (`sugarlab.app.kernels`) then pays before its notebook.
from kubernetes.client import CoreV1Api, CustomObjectsApi, VersionApi

Provenance = Literal["cluster", "local", "simulated"]


@dataclass(frozen=True)
class Cluster:
    """An API client with what a report needs to know about where it points."""

    api: client.ApiClient
    backend: Literal["sim", "live"]
    server: str
    context: str
    speed: float = 1.0  # cluster seconds per real second: the simulator's clock factor, 1 on a real cluster
    run: str = ""  # the lab workspace's id, the `sugarlab.dev/run` label of what the lab creates

    @property
    def provenance(self) -> Provenance:
        """Where figures read from this cluster's APIs come from."""
        return "simulated" if self.backend == "sim" else "cluster"

    @property
    def workload_provenance(self) -> Provenance:
        """Where figures measured inside pods come from: the simulator runs containers as processes
        on this machine (`local`); on a real cluster they are the cluster's."""
        return "local" if self.backend == "sim" else "cluster"

    @property
    def rehearsal(self) -> bool:
        """A rehearsal on the simulated cluster: steps change it without showing a plan first, and pods use
        offline stand-ins (the model graph, simulated storage media) for downloads and real disks."""
        return self.backend == "sim"

    @property
    def core(self) -> CoreV1Api:
        return CoreV1Api(self.api)

    @property
    def custom(self) -> CustomObjectsApi:
        return CustomObjectsApi(self.api)

    @property
    def version(self) -> str:
        return str(VersionApi(self.api).get_code().git_version)
