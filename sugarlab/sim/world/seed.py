"""The cluster a fresh simulator starts with: a Sugarkube controller running k3s and its add-ons.

Everything random comes from one `random.Random(seed)`, so the same spec gives the same cluster.
The objects mirror what a fresh k3s install creates (k3s v1.33 bundled manifests: coredns,
local-path-provisioner, metrics-server, traefik through the helm-controller, klipper-lb's svclb);
`catalogue/seed.yaml` holds their releases, images, containers and the rest of the data.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import model_validator

from sugarlab.common.kubectl import format_time
from sugarlab.common.objects import Obj
from sugarlab.sim.apis.core_defaults import DEFAULT_TOLERATIONS
from sugarlab.sim.apis.pods import running_status, succeeded_status
from sugarlab.sim.machinery.names import suffix
from sugarlab.sim.world import nas
from sugarlab.sim.world.catalogues import Schema, load
from sugarlab.sim.world.k3s_addons import addon_services, with_ports
from sugarlab.sim.world.k3s_crds import k3s_crds
from sugarlab.sim.world.profiles import NODE_PROFILES, NodeProfile
from sugarlab.sim.world.spec import ClusterSpec

Effect = Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]


class Release(Schema):
    k3s: str
    containerd: str


class Condition(Schema):
    type: str
    status: Literal["True", "False", "Unknown"]
    reason: str
    message: str


class Taint(Schema):
    key: str
    value: str
    effect: Effect


class Toleration(Schema):
    key: str
    operator: Literal["Exists", "Equal"]
    effect: Effect | None = None


class Container(Schema):
    name: str
    image: str  # a key of `images`
    cpu: str | None = None
    memory: str | None = None
    memory_limit: str | None = None


class AddonContainers(Schema):
    """The containers of each add-on's pods."""

    coredns: list[Container]
    local_path_provisioner: list[Container]
    metrics_server: list[Container]
    helm_install: list[Container]
    traefik: list[Container]
    svclb_traefik: list[Container]
    csi_nfs_controller: list[Container]
    csi_nfs_node: list[Container]
    nfs_subdir: list[Container]


class Seed(Schema):
    """`catalogue/seed.yaml`."""

    releases: list[Release]
    os_image: str
    home_subnets: list[int]
    worker_taint: Taint
    healthy_conditions: list[Condition]
    images: dict[str, str]
    nfs_subdir_provisioner: str
    control_plane_tolerations: list[Toleration]
    containers: AddonContainers

    @model_validator(mode="after")
    def _images_exist(self) -> Seed:
        for addon, containers in self.containers:
            for container in containers:
                if container.image not in self.images:
                    raise ValueError(
                        f"containers.{addon}: {container.name}'s image {container.image!r} is not in images"
                    )
        return self


_CATALOGUE = load("seed.yaml", Seed)

RELEASES = tuple((release.k3s, release.containerd) for release in _CATALOGUE.releases)
OS_IMAGE = _CATALOGUE.os_image
HOME_SUBNETS = tuple(_CATALOGUE.home_subnets)
PROFILE_ANNOTATION = "sim.sugarlab.io/profile"
WORKER_TAINT = _CATALOGUE.worker_taint.model_dump()
IMAGES = dict(_CATALOGUE.images)
NFS_SUBDIR_PROVISIONER = _CATALOGUE.nfs_subdir_provisioner
CONTROL_PLANE_TOLERATIONS = [t.model_dump(exclude_none=True) for t in _CATALOGUE.control_plane_tolerations]
ADDON_CONTAINERS = _CATALOGUE.containers


@dataclass(frozen=True)
class SeededCluster:
    objects: list[Obj]
    version: str


def uid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


# A healthy kubelet's node conditions: type, status, reason, message.
HEALTHY_CONDITIONS = tuple((c.type, c.status, c.reason, c.message) for c in _CATALOGUE.healthy_conditions)


def node_object(
    name: str,
    profile: NodeProfile,
    ip: str,
    index: int,
    version: str,
    runtime: str,
    created: str,
    rng: random.Random,
    *,
    controller: bool,
    taints: list[Obj] | None = None,
) -> Obj:
    labels = {
        "beta.kubernetes.io/arch": "arm64",
        "beta.kubernetes.io/instance-type": "k3s",
        "beta.kubernetes.io/os": "linux",
        "kubernetes.io/arch": "arm64",
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "node.kubernetes.io/instance-type": "k3s",
    }
    if controller:
        labels |= {"node-role.kubernetes.io/control-plane": "true", "node-role.kubernetes.io/master": "true"}
    resources = {
        "cpu": str(profile.cpu_cores),
        "ephemeral-storage": f"{profile.root_fs_ki}Ki",
        "hugepages-1Gi": "0",
        "hugepages-2Mi": "0",
        "hugepages-32Mi": "0",
        "hugepages-64Ki": "0",
        "memory": f"{profile.memory_ki}Ki",
        "pods": "110",
    }
    allocatable = resources | {
        "ephemeral-storage": str(profile.allocatable_storage_ki * 1024),
        "memory": f"{profile.allocatable_memory_ki}Ki",
    }
    conditions = HEALTHY_CONDITIONS
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "uid": uid(rng),
            "creationTimestamp": created,
            "labels": labels,
            "annotations": {
                "alpha.kubernetes.io/provided-node-ip": ip,
                "flannel.alpha.coreos.com/backend-type": "vxlan",
                "flannel.alpha.coreos.com/kube-subnet-manager": "true",
                "flannel.alpha.coreos.com/public-ip": ip,
                "k3s.io/hostname": name,
                "k3s.io/internal-ip": ip,
                "node.alpha.kubernetes.io/ttl": "0",
                "volumes.kubernetes.io/controller-managed-attach-detach": "true",
                PROFILE_ANNOTATION: profile.name,
            },
        },
        "spec": {
            "podCIDR": f"10.42.{index}.0/24",
            "podCIDRs": [f"10.42.{index}.0/24"],
            "providerID": f"k3s://{name}",
            **({"taints": taints} if taints else {}),
        },
        "status": {
            "capacity": resources,
            "allocatable": allocatable,
            "conditions": [
                {
                    "type": t,
                    "status": s,
                    "reason": r,
                    "message": m,
                    "lastHeartbeatTime": created,
                    "lastTransitionTime": created,
                }
                for t, s, r, m in conditions
            ],
            "addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "architecture": "arm64",
                "bootID": uid(rng),
                "containerRuntimeVersion": runtime,
                "kernelVersion": profile.kernel,
                "kubeProxyVersion": version,
                "kubeletVersion": version,
                "machineID": f"{rng.getrandbits(128):032x}",
                "operatingSystem": "linux",
                "osImage": OS_IMAGE,
                "systemUUID": f"{rng.getrandbits(128):032x}",
            },
        },
    }


def _container(
    name: str, image: str, cpu: str | None = None, memory: str | None = None, memory_limit: str | None = None
) -> Obj:
    resources: Obj = {}
    if cpu or memory:
        resources["requests"] = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v}
    if memory_limit:
        resources["limits"] = {"memory": memory_limit}
    return {"name": name, "image": image, "imagePullPolicy": "IfNotPresent", "resources": resources}


def _containers(containers: list[Container]) -> list[Obj]:
    """The seeded containers of an add-on's pod, with the ports its manifest declares."""
    return [with_ports(_container(c.name, IMAGES[c.image], c.cpu, c.memory, c.memory_limit)) for c in containers]


class _Builder:
    def __init__(self, spec: ClusterSpec, start: datetime) -> None:
        self.rng = random.Random(spec.seed)
        self.spec = spec
        self.objects: list[Obj] = []
        self.version, self.runtime = self.rng.choice(RELEASES)
        self.subnet = self.rng.choice(HOME_SUBNETS)
        age = timedelta(days=self.rng.randint(9, 60), hours=self.rng.randint(0, 23), minutes=self.rng.randint(0, 59))
        self.start = start
        self.boot = start - age
        self.next_host = self.rng.randint(20, 120)

    def stamp(self, after_boot_s: float) -> str:
        return format_time(self.boot + timedelta(seconds=after_boot_s))

    def add(self, obj: Obj) -> Obj:
        self.objects.append(obj)
        return obj

    def host_ip(self) -> str:
        self.next_host += self.rng.randint(1, 9)
        return f"192.168.{self.subnet}.{self.next_host}"

    def namespaces(self) -> None:
        for name in ("default", "kube-system", "kube-public", "kube-node-lease"):
            self.add(
                {
                    "apiVersion": "v1",
                    "kind": "Namespace",
                    "metadata": {
                        "name": name,
                        "uid": uid(self.rng),
                        "creationTimestamp": self.stamp(0),
                        "labels": {"kubernetes.io/metadata.name": name},
                    },
                    "spec": {"finalizers": ["kubernetes"]},
                    "status": {"phase": "Active"},
                }
            )

    def nodes(self) -> list[tuple[Obj, str]]:
        nodes = [
            (
                node_object(
                    "sugarkube0",
                    NODE_PROFILES[self.spec.controller_profile],
                    self.host_ip(),
                    0,
                    self.version,
                    self.runtime,
                    self.stamp(0),
                    self.rng,
                    controller=True,
                ),
                "10.42.0",
            )
        ]
        for i in range(1, self.spec.workers + 1):
            joined = self.stamp(3600 * i)
            nodes.append(
                (
                    node_object(
                        f"sugarkube{i}",
                        NODE_PROFILES[self.spec.worker_profile],
                        self.host_ip(),
                        i,
                        self.version,
                        self.runtime,
                        joined,
                        self.rng,
                        controller=False,
                        taints=[WORKER_TAINT],
                    ),
                    f"10.42.{i}",
                )
            )
        for node, _ in nodes:
            self.add(node)
        return nodes

    def pod_spec(
        self, containers: list[Obj], tolerations: list[Obj], priority: str | None, restart: str, account: str
    ) -> Obj:
        return {
            "containers": containers,
            "restartPolicy": restart,
            "schedulerName": "default-scheduler",
            "serviceAccountName": account,
            "terminationGracePeriodSeconds": 30,
            "tolerations": tolerations,
            **({"priorityClassName": priority} if priority else {}),
        }

    def owner(
        self,
        kind: str,
        name: str,
        labels: dict[str, str],
        selector: dict[str, str],
        template: Obj,
        created_s: float,
        status: Obj,
        *,
        owner: Obj | None = None,
        **spec: Any,
    ) -> Obj:
        """Add the workload object that owns seeded pods; return the ownerReference to it."""
        api_version = "batch/v1" if kind == "Job" else "apps/v1"
        meta: Obj = {
            "name": name,
            "namespace": "kube-system",
            "uid": uid(self.rng),
            "creationTimestamp": self.stamp(created_s),
            "labels": labels,
            "generation": 1,
        }
        if owner:
            meta["ownerReferences"] = [owner]
        self.add(
            {
                "apiVersion": api_version,
                "kind": kind,
                "metadata": meta,
                "status": status,
                "spec": {
                    **spec,
                    "selector": {"matchLabels": selector},
                    "template": {"metadata": {"labels": selector}, "spec": template},
                },
            }
        )
        return {
            "apiVersion": api_version,
            "kind": kind,
            "name": name,
            "uid": meta["uid"],
            "controller": True,
            "blockOwnerDeletion": True,
        }

    def pod(
        self,
        name: str,
        node: Obj,
        pod_ip: str | None,
        labels: dict[str, str],
        spec: Obj,
        owner: Obj,
        started_s: float,
        finished_s: float | None = None,
    ) -> Obj:
        pod: Obj = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": name,
                "namespace": "kube-system",
                "uid": uid(self.rng),
                "creationTimestamp": self.stamp(started_s - 4),
                "labels": labels,
                "ownerReferences": [owner],
            },
            "spec": {
                **spec,
                "nodeName": node["metadata"]["name"],
                "tolerations": spec["tolerations"] + DEFAULT_TOLERATIONS,
            },
        }
        host_ip = node["status"]["addresses"][0]["address"]
        if finished_s is not None:
            pod["status"] = succeeded_status(pod, host_ip, self.stamp(started_s), self.stamp(finished_s), self.rng)
        else:
            pod["status"] = running_status(pod, host_ip, pod_ip or host_ip, self.stamp(started_s), self.rng)
        return self.add(pod)

    def deployment_pod(
        self,
        app: str,
        node: Obj,
        ip: str,
        containers: list[Obj],
        started_s: float,
        selector: dict[str, str] | None = None,
        host_network: bool = False,
    ) -> Obj:
        selector = selector or {"app": app}
        template_hash = suffix(self.rng, 10)
        replica_set = f"{app}-{template_hash}"
        spec = self.pod_spec(containers, CONTROL_PLANE_TOLERATIONS, "system-cluster-critical", "Always", app)
        if host_network:
            spec["hostNetwork"] = True
        ready = {
            "type": "Available",
            "status": "True",
            "lastUpdateTime": self.stamp(started_s),
            "lastTransitionTime": self.stamp(started_s),
            "reason": "MinimumReplicasAvailable",
            "message": "Deployment has minimum availability.",
        }
        progressed = {
            **ready,
            "type": "Progressing",
            "reason": "NewReplicaSetAvailable",
            "message": f'ReplicaSet "{replica_set}" has successfully progressed.',
        }
        counts = {"replicas": 1, "readyReplicas": 1, "availableReplicas": 1, "observedGeneration": 1}
        deployment = self.owner(
            "Deployment",
            app,
            selector,
            selector,
            spec,
            started_s - 6,
            {**counts, "updatedReplicas": 1, "conditions": [ready, progressed]},
            replicas=1,
            revisionHistoryLimit=10,
            progressDeadlineSeconds=600,
            strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
        )
        pod_labels = selector | {"pod-template-hash": template_hash}
        replicas = self.owner(
            "ReplicaSet",
            replica_set,
            pod_labels,
            pod_labels,
            spec,
            started_s - 5,
            {**counts, "fullyLabeledReplicas": 1},
            owner=deployment,
            replicas=1,
        )
        return self.pod(f"{replica_set}-{suffix(self.rng)}", node, ip, pod_labels, spec, replicas, started_s)

    def system_pods(self, controller: Obj, pod_prefix: str) -> None:
        ip = iter(f"{pod_prefix}.{n}" for n in range(2, 250))
        self.deployment_pod(
            "coredns",
            controller,
            next(ip),
            _containers(ADDON_CONTAINERS.coredns),
            21,
            selector={"k8s-app": "kube-dns"},
        )
        self.deployment_pod(
            "local-path-provisioner",
            controller,
            next(ip),
            _containers(ADDON_CONTAINERS.local_path_provisioner),
            22,
        )
        if self.spec.metrics_server:
            self.deployment_pod(
                "metrics-server",
                controller,
                next(ip),
                _containers(ADDON_CONTAINERS.metrics_server),
                23,
                selector={"k8s-app": "metrics-server"},
            )
        for job, done in (("helm-install-traefik-crd", 48), ("helm-install-traefik", 61)):
            labels = {"helmcharts.helm.cattle.io/chart": job.removeprefix("helm-install-")}
            spec = self.pod_spec(_containers(ADDON_CONTAINERS.helm_install), [], None, "OnFailure", f"helm-{job}")
            complete = {
                "type": "Complete",
                "status": "True",
                "lastProbeTime": self.stamp(done),
                "lastTransitionTime": self.stamp(done),
                "reason": "CompletionsReached",
                "message": "Reached expected number of succeeded pods",
            }
            owner = self.owner(
                "Job",
                job,
                labels,
                labels,
                spec,
                23,
                {
                    "startTime": self.stamp(23),
                    "completionTime": self.stamp(done),
                    "succeeded": 1,
                    "ready": 0,
                    "terminating": 0,
                    "conditions": [{**complete, "type": "SuccessCriteriaMet"}, complete],
                },
                parallelism=1,
                completions=1,
                backoffLimit=1000,
                completionMode="NonIndexed",
                suspend=False,
            )
            self.pod(f"{job}-{suffix(self.rng)}", controller, None, labels, spec, owner, 24, finished_s=done)
        self.deployment_pod(
            "traefik",
            controller,
            next(ip),
            _containers(ADDON_CONTAINERS.traefik),
            70,
            selector={"app.kubernetes.io/instance": "traefik-kube-system", "app.kubernetes.io/name": "traefik"},
        )
        daemonset = f"svclb-traefik-{self.rng.getrandbits(32):08x}"
        selector = {"app": "svclb-traefik", "svccontroller.k3s.cattle.io/svcname": "traefik"}
        spec = self.pod_spec(
            _containers(ADDON_CONTAINERS.svclb_traefik),
            CONTROL_PLANE_TOLERATIONS[:2],
            None,
            "Always",
            "svclb",
        )
        owner = self.owner(
            "DaemonSet",
            daemonset,
            selector,
            selector,
            spec,
            71,
            {
                "currentNumberScheduled": 1,
                "desiredNumberScheduled": 1,
                "numberAvailable": 1,
                "numberMisscheduled": 0,
                "numberReady": 1,
                "observedGeneration": 1,
                "updatedNumberScheduled": 1,
            },
            updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}},
        )
        self.pod(f"{daemonset}-{suffix(self.rng)}", controller, next(ip), selector, spec, owner, 72)
        own = random.Random(f"{self.spec.seed}:services")  # leaves the rest of the seeded cluster as it was
        for service in addon_services(
            self.spec.metrics_server,
            [controller["status"]["addresses"][0]["address"]],
            own,
            lambda: {"uid": uid(own), "creationTimestamp": self.stamp(21)},
        ):
            self.add(service)

    def storage(self, nodes: list[tuple[Obj, str]]) -> None:
        """k3s's default `local-path` class, and the NFS provisioner the operator installed, if any."""
        controller, pod_prefix = nodes[0]
        self.add(
            {
                "apiVersion": "storage.k8s.io/v1",
                "kind": "StorageClass",
                "metadata": {
                    "name": "local-path",
                    "uid": uid(self.rng),
                    "creationTimestamp": self.stamp(20),
                    "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
                },
                "provisioner": "rancher.io/local-path",
                "reclaimPolicy": "Delete",
                "volumeBindingMode": "WaitForFirstConsumer",
            }
        )
        installed_s = 2 * 86400.0  # a couple of days after the cluster was built
        host_ip = controller["status"]["addresses"][0]["address"]
        if self.spec.nfs_provisioner == "csi-driver-nfs":
            self.add(
                {
                    "apiVersion": "storage.k8s.io/v1",
                    "kind": "CSIDriver",
                    "metadata": {
                        "name": "nfs.csi.k8s.io",
                        "uid": uid(self.rng),
                        "creationTimestamp": self.stamp(installed_s),
                    },
                    "spec": {
                        "attachRequired": False,
                        "fsGroupPolicy": "File",
                        "podInfoOnMount": False,
                        "volumeLifecycleModes": ["Persistent", "Ephemeral"],
                    },
                }
            )
            containers = _containers(ADDON_CONTAINERS.csi_nfs_controller)
            # csi-nfs-controller.yaml runs the controller with `hostNetwork: true`: its IP is the node's
            self.deployment_pod("csi-nfs-controller", controller, host_ip, containers, installed_s, host_network=True)
            self.csi_nfs_node([node for node, _ in nodes], installed_s)
        elif self.spec.nfs_provisioner == "nfs-subdir":
            [container] = _containers(ADDON_CONTAINERS.nfs_subdir)
            container["env"] = [
                {"name": "PROVISIONER_NAME", "value": NFS_SUBDIR_PROVISIONER},
                {"name": "NFS_SERVER", "value": nas.SERVER},
                {"name": "NFS_PATH", "value": nas.EXPORT},
            ]
            self.deployment_pod(
                "nfs-subdir-external-provisioner", controller, f"{pod_prefix}.10", [container], installed_s
            )
            self.add(
                {
                    "apiVersion": "storage.k8s.io/v1",
                    "kind": "StorageClass",
                    "metadata": {
                        "name": "nfs-client",
                        "uid": uid(self.rng),
                        "creationTimestamp": self.stamp(installed_s),
                    },
                    "provisioner": NFS_SUBDIR_PROVISIONER,
                    "reclaimPolicy": "Delete",
                    "volumeBindingMode": "Immediate",
                    "allowVolumeExpansion": True,
                    "parameters": {"archiveOnDelete": "true"},
                }
            )

    def csi_nfs_node(self, nodes: list[Obj], installed_s: float) -> None:
        """csi-driver-nfs v4.11.0's node plugin (deploy/v4.11.0/csi-nfs-node.yaml): a DaemonSet on the host's
        network that tolerates every taint, so one pod on each node; the DaemonSet controller follows joins."""
        selector = {"app": "csi-nfs-node"}
        containers = _containers(ADDON_CONTAINERS.csi_nfs_node)
        spec = self.pod_spec(containers, [{"operator": "Exists"}], "system-node-critical", "Always", "csi-nfs-node-sa")
        spec |= {
            "hostNetwork": True,
            "dnsPolicy": "ClusterFirstWithHostNet",
            "nodeSelector": {"kubernetes.io/os": "linux"},
        }
        count = len(nodes)
        owner = self.owner(
            "DaemonSet",
            "csi-nfs-node",
            selector,
            selector,
            spec,
            installed_s,
            {
                "currentNumberScheduled": count,
                "desiredNumberScheduled": count,
                "numberAvailable": count,
                "numberMisscheduled": 0,
                "numberReady": count,
                "observedGeneration": 1,
                "updatedNumberScheduled": count,
            },
            updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}},
        )
        for node in nodes:
            host_ip = node["status"]["addresses"][0]["address"]
            self.pod(f"csi-nfs-node-{suffix(self.rng)}", node, host_ip, selector, spec, owner, installed_s + 5)


def seed_cluster(spec: ClusterSpec, start: datetime) -> SeededCluster:
    """The cluster as it stands at virtual time `start`; everything but absolute times follows `spec`."""
    builder = _Builder(spec, start)
    builder.namespaces()
    nodes = builder.nodes()
    builder.system_pods(*nodes[0])
    builder.storage(nodes)
    crd_rng = random.Random(f"{spec.seed}/crds")  # its own, so the rest of the seed draws what it always drew
    builder.objects += k3s_crds(builder.stamp, lambda: uid(crd_rng))
    return SeededCluster(builder.objects, builder.version)
