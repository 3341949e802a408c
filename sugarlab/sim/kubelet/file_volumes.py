"""Volumes whose content is API data written as files: configMap, secret, downwardAPI and projected.

As the kubelet's volume plugins do (pkg/volume/configmap, secret, downwardapi and projected: each
`MakePayload` / `CollectData`): every key becomes a file named like the key, or only the listed
`items` at their `path`s, with the item's `mode` or the volume's `defaultMode` (0644 by default,
`v1.ConfigMapVolumeSourceDefaultMode` and its siblings). A missing source fails the mount unless it is
`optional`, with the kubelet's message. The files are laid out as pkg/volume/util/atomic_writer.go
lays them out: a timestamped `..<time>` directory holding them, a `..data` link to it, and one link
per top-level name, so a later write swaps every file at once. The directory is mounted read-only.

A projected volume's `serviceAccountToken` source writes the token at its `path`: an unsigned one
(`sugarlab.sim.kubelet.tokens`), since the simulator's API accepts no service-account tokens.
"""

from __future__ import annotations

import base64
import os
import shutil
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path, PurePosixPath

from sugarlab.common.objects import Obj
from sugarlab.sim.kubelet.containers import SandboxMissing
from sugarlab.sim.kubelet.downward import pod_field
from sugarlab.sim.kubelet.nas_outage import MOUNT_RETRY_S
from sugarlab.sim.kubelet.tokens import bound_token
from sugarlab.sim.storage import events
from sugarlab.sim.storage.store import Store

DEFAULT_MODE = 0o644
DATA_LINK = "..data"
KINDS = ("configMap", "secret", "downwardAPI", "projected")
Payload = dict[str, tuple[bytes, int]]  # path in the volume -> (content, mode)


class MountFailed(SandboxMissing):
    """A volume's source is missing: the kubelet's `MountVolume.SetUp failed for volume ...` message."""


def is_file_volume(volume: Obj) -> bool:
    return any(kind in volume for kind in KINDS)


def _keys(data: Obj | None, binary: Obj | None, decode: bool) -> dict[str, bytes]:
    """The keys of a ConfigMap (`data` text, `binaryData` base64) or a Secret (`data` base64)."""
    found = {key: base64.b64decode(value) if decode else str(value).encode() for key, value in (data or {}).items()}
    found |= {key: base64.b64decode(value) for key, value in (binary or {}).items()}
    return found


def keyed_files(keys: dict[str, bytes], source: Obj, mode: int, what: str) -> Payload:
    """The files of one source: every key, or only the listed items (configmap.MakePayload)."""
    items = source.get("items") or []
    if not items:
        return {key: (value, mode) for key, value in keys.items()}
    payload: Payload = {}
    for item in items:
        if item["key"] not in keys:
            if source.get("optional"):
                continue
            raise MountFailed(f"{what} references non-existent config key: {item['key']}")
        payload[item["path"]] = (keys[item["key"]], item.get("mode", mode))
    return payload


def _object_source(store: Store, pod: Obj, source: Obj, kind: str, mode: int) -> Payload:
    """A configMap or secret source: its object's keys (`configMap.name`, `secret.secretName`)."""
    name = source.get("secretName" if kind == "Secret" and "secretName" in source else "name", "")
    found = store.find(store.kind(kind), pod["metadata"]["namespace"], name)
    if found is None:
        if source.get("optional"):
            return {}
        raise MountFailed(f'{kind.lower()} "{name}" not found')
    if kind == "Secret":
        keys = _keys(found.get("data"), None, decode=True)
        keys |= {key: str(value).encode() for key, value in (found.get("stringData") or {}).items()}
    else:
        keys = _keys(found.get("data"), found.get("binaryData"), decode=False)
    return keyed_files(keys, source, mode, kind.lower())


def _downward(pod: Obj, source: Obj, mode: int) -> Payload:
    """The `fieldRef` items of a downwardAPI source; `resourceFieldRef` items are left out."""
    return {
        item["path"]: (pod_field(pod, item["fieldRef"]["fieldPath"]).encode(), item.get("mode", mode))
        for item in source.get("items") or []
        if "fieldRef" in item
    }


def payload(store: Store, pod: Obj, volume: Obj) -> Payload:
    """Every file of a file volume, with its mode (raises MountFailed as the kubelet fails the mount)."""
    if "configMap" in volume:
        source = volume["configMap"]
        return _object_source(store, pod, source, "ConfigMap", source.get("defaultMode", DEFAULT_MODE))
    if "secret" in volume:
        source = volume["secret"]
        return _object_source(store, pod, source, "Secret", source.get("defaultMode", DEFAULT_MODE))
    if "downwardAPI" in volume:
        return _downward(pod, volume["downwardAPI"], volume["downwardAPI"].get("defaultMode", DEFAULT_MODE))
    projected = volume["projected"]
    mode, files = projected.get("defaultMode", DEFAULT_MODE), Payload()
    for source in projected.get("sources") or []:
        if "configMap" in source:
            files |= _object_source(store, pod, source["configMap"], "ConfigMap", mode)
        elif "secret" in source:
            files |= _object_source(store, pod, source["secret"], "Secret", mode)
        elif "downwardAPI" in source:
            files |= _downward(pod, source["downwardAPI"], mode)
        elif "serviceAccountToken" in source:
            files |= _token(store, pod, source["serviceAccountToken"], mode)
    return files


def _token(store: Store, pod: Obj, source: Obj, mode: int) -> Payload:
    """A `serviceAccountToken` source (pkg/volume/projected `collectData`): the token at `path`, valid
    `expirationSeconds` (an hour by default)."""
    name = pod["spec"].get("serviceAccountName") or "default"
    account = store.find(store.kind("ServiceAccount"), pod["metadata"]["namespace"], name)
    uid = account["metadata"]["uid"] if account else ""
    token = bound_token(pod, uid, source.get("expirationSeconds", 3600), store.clock.now())
    return {source["path"]: (token.encode(), mode)}


def _top_names(paths: Iterable[str]) -> set[str]:
    return {PurePosixPath(path).parts[0] for path in paths}


def write(directory: Path, files: Payload, now: datetime) -> None:
    """Lay out `files` in `directory` as the atomic writer does, replacing whatever an earlier write left."""
    directory.mkdir(parents=True, exist_ok=True)
    stamped = directory / f"..{now:%Y_%m_%d_%H_%M_%S.%f}"
    stamped.mkdir(exist_ok=True)
    for path, (content, mode) in files.items():
        target = stamped / PurePosixPath(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        os.chmod(target, mode)
    link = directory / f"{DATA_LINK}_tmp"
    link.unlink(missing_ok=True)
    link.symlink_to(stamped.name)
    link.replace(directory / DATA_LINK)
    wanted = _top_names(files)
    for entry in directory.iterdir():
        if entry.name.startswith(".."):
            if entry.is_dir() and not entry.is_symlink() and entry != stamped:
                shutil.rmtree(entry)
        elif entry.name not in wanted:
            entry.unlink()
    for name in wanted:
        if not (directory / name).is_symlink():
            (directory / name).symlink_to(f"{DATA_LINK}/{name}")


def _set_up(store: Store, pod: Obj, volume: Obj) -> Payload:
    try:
        return payload(store, pod, volume)
    except MountFailed as failed:
        raise MountFailed(f'MountVolume.SetUp failed for volume "{volume["name"]}" : {failed}') from None


def mount_source(store: Store, directory: Path, pod: Obj, volume: Obj) -> Path:
    """Write a file volume's content under `directory` (its own per pod and volume) and return it."""
    write(directory, _set_up(store, pod, volume), store.clock.now())
    return directory


class PendingMounts:
    """Pods with a file volume whose source is missing wait in ContainerCreating, as the kubelet's volume
    manager holds them (every volume of the pod, mounted by a container or not), with a `FailedMount` event
    at each retry of its back-off (capped at 2m2s: pkg/util/goroutinemap/exponentialbackoff)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._reported: dict[str, float] = {}  # pod uid -> when its last FailedMount was recorded

    def holds(self, pod: Obj, host: str, now: datetime) -> bool:
        failures = []
        for volume in (v for v in pod["spec"].get("volumes") or [] if is_file_volume(v)):
            try:
                _set_up(self.store, pod, volume)
            except MountFailed as failed:
                failures.append(str(failed))
        uid = pod["metadata"]["uid"]
        if not failures:
            self._reported.pop(uid, None)
            return False
        if now.timestamp() - self._reported.get(uid, float("-inf")) >= MOUNT_RETRY_S:
            self._reported[uid] = now.timestamp()
            for failure in failures:
                events.record(self.store, pod, "FailedMount", failure, "kubelet", warning=True, host=host)
        return True

    def forget(self, uid: str) -> None:
        self._reported.pop(uid, None)
