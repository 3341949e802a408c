"""The controllers that keep the kinds k3s serves beyond the workloads: ServiceAccounts, Endpoints and
EndpointSlices, node Leases, ReplicationControllers, CronJobs, ControllerRevisions, ResourceQuota status,
DaemonSets, and the objects the API server keeps in place itself."""

from __future__ import annotations

from typing import Protocol

from sugarlab.sim.apiserver.bootstrap import ApiServerBootstrap
from sugarlab.sim.controllers.cronjobs import CronJobController
from sugarlab.sim.controllers.daemonsets import DaemonSetController
from sugarlab.sim.controllers.endpoints import EndpointsController
from sugarlab.sim.controllers.mirroring import EndpointsMirror
from sugarlab.sim.controllers.quotas import QuotaController
from sugarlab.sim.controllers.replicas import ReplicaSetController
from sugarlab.sim.controllers.revisions import RevisionHistory
from sugarlab.sim.controllers.serviceaccounts import ServiceAccountController
from sugarlab.sim.kubelet.leases import NodeLeases
from sugarlab.sim.storage.store import Store


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
