"""Every reconcile loop of the simulated cluster, in the one order they run each tick: the root CA's
ConfigMaps, the scheduler, the kubelets, the controllers of kube-controller-manager, the machines behind the
nodes, then what keeps the kinds k3s serves beyond the workloads (the API server's own objects,
ServiceAccounts, Endpoints and EndpointSlices, node Leases, ReplicationControllers, CronJobs,
ControllerRevisions, ResourceQuota status, DaemonSets), and last kube-proxy, which follows the Services and their endpoints."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from sugarlab.sim.apiserver.bootstrap import ApiServerBootstrap
from sugarlab.sim.controllers.cronjobs import CronJobController
from sugarlab.sim.controllers.daemonsets import DaemonSetController
from sugarlab.sim.controllers.disruption import Budgets
from sugarlab.sim.controllers.endpoints import EndpointsController
from sugarlab.sim.controllers.garbage import GarbageCollector
from sugarlab.sim.controllers.jobs import JobController
from sugarlab.sim.controllers.mirroring import EndpointsMirror
from sugarlab.sim.controllers.namespaces import NamespaceController
from sugarlab.sim.controllers.nodes import NodeLifecycle
from sugarlab.sim.controllers.quotas import QuotaController
from sugarlab.sim.controllers.replicas import DeploymentController, ReplicaSetController
from sugarlab.sim.controllers.revisions import RevisionHistory
from sugarlab.sim.controllers.root_ca import RootCaPublisher
from sugarlab.sim.controllers.scheduler import Scheduler
from sugarlab.sim.controllers.serviceaccounts import ServiceAccountController
from sugarlab.sim.controllers.statefulsets import StatefulSetController
from sugarlab.sim.controllers.volumes import VolumeController
from sugarlab.sim.kubelet.leases import NodeLeases
from sugarlab.sim.kubelet.pod_workers import Kubelets
from sugarlab.sim.kubelet.processes import LocalProcesses
from sugarlab.sim.network.cni import PodNetwork
from sugarlab.sim.network.proxy import KubeProxy
from sugarlab.sim.storage.store import Store
from sugarlab.sim.world.k3s_addons import DNS_IP
from sugarlab.sim.world.machines import Machines
from sugarlab.sim.world.spec import ClusterSpec


class Loop(Protocol):
    def reconcile(self) -> None: ...


def reconcile_loops(
    store: Store,
    spec: ClusterSpec,
    machines: Machines,
    processes: LocalProcesses,
    network: PodNetwork,
    state_dir: Path,
    ca_pem: bytes,
) -> list[Loop]:
    return [
        # first, as the publisher reacts to a new namespace at once: its pods find kube-root-ca.crt to mount
        RootCaPublisher(store, ca_pem),
        Scheduler(store, spec.seed),
        Kubelets(store, spec.seed, processes, state_dir, network),
        DeploymentController(store),
        ReplicaSetController(store),
        JobController(store),
        NamespaceController(store),
        StatefulSetController(store),
        VolumeController(store, state_dir),
        GarbageCollector(store),
        Budgets(store),
        NodeLifecycle(store, machines),
        machines,
        ApiServerBootstrap(store, spec.metrics_server),
        ServiceAccountController(store),
        EndpointsController(store),
        EndpointsMirror(store),
        NodeLeases(store),
        ReplicaSetController(store, "ReplicationController"),
        CronJobController(store),
        RevisionHistory(store),
        QuotaController(store),
        DaemonSetController(store),
        KubeProxy(store, network, {DNS_IP}),  # the DNS server answers at its Service's address itself
    ]
