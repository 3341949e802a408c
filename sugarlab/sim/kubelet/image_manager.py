"""The kubelet's image manager: each node's images, pulls with their events, and the waiting states of failures.

What the kubelet does (pkg/kubelet/images/image_manager.go `EnsureImageExists`, `shouldPullImage`): before a
container starts, its image must be on the node. `imagePullPolicy` decides: `IfNotPresent` pulls only an
image the node lacks ("Container image ... already present on machine" otherwise), `Always` asks the registry
each time (for an image the node holds, only its manifest: quick), `Never` fails with `ErrImageNeverPull`
unless the image is there. A pull is a `Pulling` event, then `Pulled` with its time and the image's size,
or `Failed` with containerd's error: the container waits in `ErrImagePull`, and the pod+image's back-off
(pkg/kubelet/kubelet.go: a flowcontrol.Backoff of `backOffPeriod` 10 s doubling to `MaxImageBackOff` 300 s,
keyed `<pod uid>_<image>`) holds later pulls off, the container waiting in `ImagePullBackOff` meanwhile
(pkg/kubelet/kuberuntime/kuberuntime_container.go `startContainer`: "Error: ErrImagePull", "Error:
ImagePullBackOff" events). The pod worker syncs the pod again soon after a failure and then every 10 s
(pkg/kubelet/pod_workers.go, `workerBackOffPeriod`), so a failing pod shows `ErrImagePull` briefly, then
`ImagePullBackOff`, then pulls again when its back-off has passed. Pulls on a node run one at a time
(`serializeImagePulls`, true by default), so a pull's time "including waiting" counts the pulls before it.

A pull takes the registry's round trips plus the image's size at the node's pull rate
(`world/profiles.py`); what a reference resolves to, or how it fails, is the registry's (`world/registry.py`).
Each node holds k3s's system images from the start, and reports what it holds in `status.images`
(pkg/kubelet/nodestatus/setters.go `Images`: largest first, at most 50, each named by digest and tags).

Simplified: a pod's images are all ensured before any of its containers starts (the kubelet starts each
container after its own image, and init containers before the others' images are pulled), so a pod with one
image failing starts none of its containers; each back-off's events are recorded once, not at every sync.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from sugarlab.common.objects import Obj
from sugarlab.sim.apis.pods import waiting_status
from sugarlab.sim.machinery.durations import go_duration
from sugarlab.sim.storage import events
from sugarlab.sim.storage.store import Store
from sugarlab.sim.world.profiles import NODE_PROFILES
from sugarlab.sim.world.registry import (
    K3S_IMAGES,
    Image,
    InvalidReference,
    PullError,
    Reference,
    parse,
    resolve,
)
from sugarlab.sim.world.seed import PROFILE_ANNOTATION

BACKOFF_S, MAX_BACKOFF_S = 10.0, 300.0  # pkg/kubelet/kubelet.go backOffPeriod, MaxImageBackOff
# pod_workers.go: a pod whose sync failed (ErrImagePull among the errors) is queued again after the kubelet's
# backOffPeriod, 10 s (plus up to half again of jitter, left out): so ErrImagePull shows that long before the
# next sync finds the image's back-off and reports ImagePullBackOff
SYNC_S = 10.0
REGISTRY_S = 0.6  # a token, the image index and the manifest: a few round trips from a home connection
MAX_NODE_IMAGES, MAX_NAMES = 50, 5  # nodeStatusMaxImages, MaxNamesPerImageInNodeStatus
PULL_MB_PER_S = 6.0  # a node without a known profile pulls as a Pi 4 does

Waiting = tuple[str, str]  # a container's waiting reason and message ("" for none)
PULLING: Waiting = ("", "")  # a pull under way: the container's status stays as it is


@dataclass
class _Pull:
    """A pull under way: asked for at `asked`, begun when the node's puller was free, done at `ends`."""

    asked: float
    begins: float
    ends: float
    result: Image | PullError
    host: str


@dataclass
class _Backoff:
    """One entry of client-go's flowcontrol.Backoff."""

    period: float
    last_update: float
    error: str
    reported: bool = False  # its BackOff events are recorded


class ImageManager:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._held: dict[str, dict[str, Image]] = {}  # node -> "repo:tag" and "repo@digest" -> image
        self._pulls: dict[tuple[str, str], _Pull] = {}  # (pod uid, container) -> its pull under way
        self._ensured: set[tuple[str, str]] = set()  # (pod uid, container) whose image is on the node
        self._waiting: dict[tuple[str, str], Waiting] = {}  # (pod uid, container) -> why it waits
        self._next_sync: dict[tuple[str, str], float] = {}
        self._backoff: dict[str, _Backoff] = {}  # "<pod uid>_<image>" -> its back-off
        self._puller_free: dict[str, float] = {}  # node -> when its (serial) puller is free

    def tend_nodes(self, nodes: list[Obj], pods: list[Obj]) -> None:
        """Know each node's images (k3s's, and those of pods it already runs) and keep `status.images` true."""
        for node in nodes:
            name = node["metadata"]["name"]
            if name not in self._held:
                self._held[name] = {}
                running = (
                    parse(c["image"])
                    for p in pods
                    if p["spec"].get("nodeName") == name and (p.get("status") or {}).get("phase") == "Running"
                    for c in p["spec"]["containers"]
                    if _parses(c["image"])
                )
                for reference in (*K3S_IMAGES, *running):
                    try:
                        self._hold(name, resolve(reference, _arch(node)))
                    except PullError:
                        continue  # a seeded pod's image the registry lacks: it could not run there
            images = self._status_images(name)
            if (node.get("status") or {}).get("images") != images:
                self.store.update(self.store.kind("Node"), "", name, functools.partial(_set_images, images=images))

    def ready(self, pod: Obj, node: Obj, now: float) -> bool:
        """Whether every image of `pod` is on `node`; until then pull them, writing why its containers wait."""
        uid = pod["metadata"]["uid"]
        changed: dict[str, Waiting] = {}
        done = True
        for container in [*(pod["spec"].get("initContainers") or []), *pod["spec"]["containers"]]:
            key = (uid, container["name"])
            if key in self._ensured:
                continue
            if now < self._next_sync.get(key, 0.0):
                done = False
                continue
            waiting = self._ensure(pod, container, node, now)
            if waiting is None:
                self._ensured.add(key)
                if self._waiting.pop(key, None):  # it pulled after failing: it is being created now
                    changed[container["name"]] = _creating(pod, container["name"])
                continue
            done = False
            if waiting == PULLING:
                continue
            if self._waiting.get(key) != waiting:
                self._waiting[key] = changed[container["name"]] = waiting
        if changed:
            self.store.update(
                self.store.kind("Pod"),
                pod["metadata"]["namespace"],
                pod["metadata"]["name"],
                lambda obj: _write_waiting(obj, changed),
            )
        return done

    def image_id(self, node: str, image: str) -> str:
        """The `imageID` containerd reports for a container of `image` on `node`: its repository digest."""
        held = self._held.get(node, {}).get(_name(parse(image))) if _parses(image) else None
        return held.repo_digest if held else ""

    def forget(self, uid: str) -> None:
        for key in [k for k in {*self._pulls, *self._ensured, *self._waiting, *self._next_sync} if k[0] == uid]:
            self._pulls.pop(key, None)
            self._ensured.discard(key)
            self._waiting.pop(key, None)
            self._next_sync.pop(key, None)
        for backoff_key in [k for k in self._backoff if k.startswith(f"{uid}_")]:
            del self._backoff[backoff_key]

    # -- one container's image -------------------------------------------------------------------------------
    def _ensure(self, pod: Obj, container: Obj, node: Obj, now: float) -> Waiting | None:
        """EnsureImageExists: None when the image is on the node, else why the container waits."""
        image, host = container["image"], node["metadata"]["name"]
        key = (pod["metadata"]["uid"], container["name"])
        try:
            reference = parse(image)
        except InvalidReference as e:
            message = f'Failed to apply default image tag "{image}": {e}'
            if key not in self._waiting:
                self._event(pod, host, "InspectFailed", message, warning=True)
                self._event(pod, host, "Failed", "Error: InvalidImageName", warning=True)
            self._next_sync[key] = now + SYNC_S
            return ("InvalidImageName", message)
        pull = self._pulls.get(key)
        if pull is not None:
            return self._finish(pod, image, key, host, pull, now)
        held = self._held.setdefault(host, {}).get(_name(reference))
        policy = container.get("imagePullPolicy") or ("Always" if reference.tag == "latest" else "IfNotPresent")
        if held is not None and policy != "Always":
            self._event(pod, host, "Pulled", f'Container image "{image}" already present on machine')
            return None
        if held is None and policy == "Never":
            message = f'Container image "{image}" is not present with pull policy of Never'
            if key not in self._waiting:
                self._event(pod, host, "ErrImageNeverPull", message, warning=True)
                self._event(pod, host, "Failed", "Error: ErrImageNeverPull", warning=True)
            self._next_sync[key] = now + SYNC_S
            return ("ErrImageNeverPull", message)
        backoff = self._backoff.get(f"{key[0]}_{image}")
        if backoff is not None and now - backoff.last_update < backoff.period:
            if not backoff.reported:
                backoff.reported = True
                self._event(pod, host, "BackOff", f'Back-off pulling image "{image}"')
                self._event(pod, host, "Failed", "Error: ImagePullBackOff", warning=True)
            self._next_sync[key] = now + SYNC_S
            return ("ImagePullBackOff", f'Back-off pulling image "{image}": ErrImagePull: {backoff.error}')
        self._event(pod, host, "Pulling", f'Pulling image "{image}"')
        begins = max(now, self._puller_free.get(host, 0.0))
        result: Image | PullError
        try:
            result = resolve(reference, _arch(node))
            # serialized pulls (the kubelet's default): one queued behind a pull of the same image finds its
            # layers in containerd's content store, and only resolves the manifest
            queued = any(p.host == host and p.result == result for p in self._pulls.values())
            seconds = REGISTRY_S + (0.0 if held or queued else result.size / (_pull_rate(node) * 1e6))
        except PullError as e:
            result, seconds = e, REGISTRY_S
        self._pulls[key] = _Pull(now, begins, begins + seconds, result, host)
        self._puller_free[host] = begins + seconds
        return self._waiting.get(key) or PULLING

    def _finish(self, pod: Obj, image: str, key: tuple[str, str], host: str, pull: _Pull, now: float) -> Waiting | None:
        if now < pull.ends:
            return self._waiting.get(key) or PULLING
        del self._pulls[key]
        if isinstance(pull.result, PullError):
            error = str(pull.result)
            self._event(pod, host, "Failed", f'Failed to pull image "{image}": {error}', warning=True)
            self._event(pod, host, "Failed", "Error: ErrImagePull", warning=True)
            backoff_key = f"{key[0]}_{image}"
            previous = self._backoff.get(backoff_key)
            expired = previous is None or now - previous.last_update > 2 * MAX_BACKOFF_S
            period = BACKOFF_S if expired or previous is None else min(previous.period * 2, MAX_BACKOFF_S)
            self._backoff[backoff_key] = _Backoff(period, now, error)
            self._next_sync[key] = now + SYNC_S
            return ("ErrImagePull", error)
        self._hold(host, pull.result)
        took, waited = _truncated(pull.ends - pull.begins), _truncated(pull.ends - pull.asked)
        self._event(
            pod,
            host,
            "Pulled",
            f'Successfully pulled image "{image}" in {took} ({waited} including waiting). '
            f"Image size: {pull.result.size} bytes.",
        )
        self._backoff.pop(f"{key[0]}_{image}", None)
        return None

    # -- the node's images ----------------------------------------------------------------------------------
    def _hold(self, node: str, image: Image) -> None:
        held = self._held.setdefault(node, {})
        for name in (*image.repo_tags, image.repo_digest):
            held[name] = image

    def _status_images(self, node: str) -> list[Obj]:
        """`status.images`: one entry per image (digest), its digest and tags as names, largest first."""
        by_digest: dict[str, list[str]] = {}
        sizes: dict[str, int] = {}
        for image in self._held.get(node, {}).values():
            names = by_digest.setdefault(image.repo_digest, [image.repo_digest])
            names.extend(t for t in image.repo_tags if t not in names)
            sizes[image.repo_digest] = image.size
        ordered = sorted(by_digest, key=lambda d: (-sizes[d], d))[:MAX_NODE_IMAGES]
        return [{"names": by_digest[d][:MAX_NAMES], "sizeBytes": sizes[d]} for d in ordered]

    def _event(self, pod: Obj, host: str, reason: str, message: str, warning: bool = False) -> None:
        events.record(self.store, pod, reason, message, "kubelet", host=host, warning=warning)


def _name(reference: Reference) -> str:
    """The name a node's image store knows `reference` by: `repo@digest` when it has a digest, else `repo:tag`."""
    return (
        f"{reference.repository}@{reference.digest}" if reference.digest else f"{reference.repository}:{reference.tag}"
    )


def _parses(image: str) -> bool:
    try:
        parse(image)
    except InvalidReference:
        return False
    return True


def _arch(node: Obj) -> str:
    labels = node["metadata"].get("labels") or {}
    return str(labels.get("kubernetes.io/arch") or node["status"]["nodeInfo"]["architecture"])


def _pull_rate(node: Obj) -> float:
    profile = NODE_PROFILES.get((node["metadata"].get("annotations") or {}).get(PROFILE_ANNOTATION, ""))
    return profile.image_pull_mb_per_s if profile else PULL_MB_PER_S


def _truncated(seconds: float) -> str:
    """The kubelet prints pull times as Go durations truncated to the millisecond: `2.021s`, `604ms`."""
    return go_duration(round(seconds * 1e6) // 1000 * 1_000_000)  # rounded to the microsecond first: 0.6 s is 600ms


def _creating(pod: Obj, name: str) -> Waiting:
    init = any(c["name"] == name for c in pod["spec"].get("initContainers") or [])
    return ("PodInitializing" if init else "ContainerCreating", "")


def _set_images(node: Obj, images: list[Obj]) -> None:
    node.setdefault("status", {})["images"] = images


def _write_waiting(pod: Obj, waiting: dict[str, Waiting]) -> None:
    """Set the waiting state of the named containers (init containers too), creating their statuses if need be."""
    status = pod.setdefault("status", {})
    for field, containers in (
        ("initContainerStatuses", pod["spec"].get("initContainers") or []),
        ("containerStatuses", pod["spec"]["containers"]),
    ):
        if not any(c["name"] in waiting for c in containers):
            continue
        known = {s["name"]: s for s in status.get(field) or []}
        statuses = []
        for container in containers:
            current = known.get(container["name"]) or waiting_status(
                container, "PodInitializing" if field == "initContainerStatuses" else "ContainerCreating"
            )
            if container["name"] in waiting:
                reason, message = waiting[container["name"]]
                current = {
                    **current,
                    "state": {"waiting": {"reason": reason, **({"message": message} if message else {})}},
                }
            statuses.append(current)
        status[field] = statuses
