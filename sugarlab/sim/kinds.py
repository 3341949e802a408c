"""The controllers that keep the kinds k3s serves beyond the workloads: ServiceAccounts, Endpoints and
EndpointSlices, node Leases, ReplicationControllers, CronJobs, ControllerRevisions, ResourceQuota status,
DaemonSets, and the objects the API server keeps in place itself."""

from __future__ import annotations

from typing import Protocol

from sugarlab.sim.bootstrap import ApiServerBootstrap
from sugarlab.sim.cronjobs import CronJobController
from sugarlab.sim.daemonsets import DaemonSetController
from sugarlab.sim.endpoints import EndpointsController
from sugarlab.sim.leases import NodeLeases
from sugarlab.sim.mirroring import EndpointsMirror
from sugarlab.sim.quotas import QuotaController
from sugarlab.sim.replicas import ReplicaSetController
from sugarlab.sim.revisions import RevisionHistory
from sugarlab.sim.serviceaccounts import ServiceAccountController
from sugarlab.sim.store import Store


class Controller(Protocol):
    def reconcile(self) -> None: ...


def kind_controllers(store: Store, metrics_server: bool) -> list[Controller]:
    return [
        ApiServerBootstrap(store, metrics_server),
        ServiceAccountController(store),
        EndpointsController(store),
        EndpointsMirror(store),
        NodeLeases(store),
        ReplicaSetController(store, "ReplicationController"),
        CronJobController(store),
        RevisionHistory(store),
        QuotaController(store),
        DaemonSetController(store),
    ]
