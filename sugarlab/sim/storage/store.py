"""The simulator's object store: what etcd (kine, on k3s) is to a real cluster.

Objects live in memory for speed and are written through to SQLite so the cluster outlives the
server process. Every change gets a new resourceVersion and is offered to watchers; a short history
lets a watch resume from a recent resourceVersion, as the real watch cache does.
"""

from __future__ import annotations

import asyncio
import builtins
import copy
import json
import random
import sqlite3
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sugarlab.common.objects import Obj
from sugarlab.sim.machinery.clock import VirtualClock
from sugarlab.sim.machinery.custom_resources import custom_types
from sugarlab.sim.machinery.errors import ApiError
from sugarlab.sim.machinery.names import name_causes, suffix
from sugarlab.sim.machinery.resources import BY_KIND, RESOURCE_TYPES, ResourceType

HISTORY = 5000


@dataclass(frozen=True)
class WatchEvent:
    type: str  # ADDED, MODIFIED, DELETED
    rt: ResourceType
    rv: int
    object: Obj
    previous: Obj | None = None  # the object before this change, as the watch cache keeps it


def _key(rt: ResourceType, namespace: str, name: str) -> str:
    return f"{rt.key}|{namespace}|{name}"


def _type_key(key: str) -> str:
    """The `ResourceType.key` part of a stored object's key."""
    return key.split("|", 1)[0]


def validate_name(rt: ResourceType, name: str) -> None:
    causes = name_causes(rt.kind, name)
    if causes:
        raise ApiError.invalid(rt.kind, name, causes, rt.group)


class Store:
    def __init__(self, path: Path, clock: VirtualClock) -> None:
        self.clock = clock
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # No fsync per commit: in WAL mode the database stays consistent, and only a power cut can lose the last
        # writes (sqlite.org/pragma.html#pragma_synchronous); each controller tick writes, often.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS objects (key TEXT PRIMARY KEY, body TEXT NOT NULL)")
        self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        self._objects: dict[str, Obj] = {}
        # The same objects by type, so that a controller reading one type does not scan the others (the
        # events alone run to thousands): each tick the controllers read every type more than once.
        self._by_type: dict[str, dict[str, Obj]] = {}
        for key, body in self._db.execute("SELECT key, body FROM objects"):
            self._put(key, json.loads(body))
        self._rv = int(self.meta("resourceVersion", 0))
        self._history: deque[WatchEvent] = deque(maxlen=HISTORY)
        self._subscribers: set[asyncio.Queue[WatchEvent]] = set()
        self._custom: tuple[ResourceType, ...] | None = None  # what the CRDs declare, until one changes

    # -- metadata of the store itself -------------------------------------------------------------
    def meta(self, key: str, default: Any = None) -> Any:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def set_meta(self, key: str, value: Any) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, json.dumps(value)))

    @property
    def resource_version(self) -> int:
        return self._rv

    def close(self) -> None:
        self._db.close()

    # -- reads ------------------------------------------------------------------------------------
    def get(self, rt: ResourceType, namespace: str, name: str) -> Obj:
        obj = self._objects.get(_key(rt, namespace, name))
        if obj is None:
            raise ApiError.not_found(rt.plural, name, rt.group)
        return copy.deepcopy(obj)

    def find(self, rt: ResourceType, namespace: str, name: str) -> Obj | None:
        obj = self._objects.get(_key(rt, namespace, name))
        return copy.deepcopy(obj) if obj is not None else None

    def list(self, rt: ResourceType, namespace: str | None = None) -> builtins.list[Obj]:
        return [copy.deepcopy(o) for o in self.view(rt, namespace)]

    def view(self, rt: ResourceType, namespace: str | None = None) -> builtins.list[Obj]:
        """The stored objects themselves, for controllers that only read: change them through `update`."""
        of_type = self._by_type.get(rt.key, {})
        prefix = f"{rt.key}|{namespace}|" if namespace is not None else ""
        return [of_type[k] for k in sorted(k for k in of_type if k.startswith(prefix))]

    def kind(self, kind: str) -> ResourceType:
        return BY_KIND[kind]

    def custom_types(self) -> tuple[ResourceType, ...]:
        """The types the stored CustomResourceDefinitions declare."""
        if self._custom is None:
            self._custom = custom_types(self.view(BY_KIND["CustomResourceDefinition"]))
        return self._custom

    def type_of(self, api_version: str, kind: str) -> ResourceType:
        """The served type of `kind` in `api_version`, built-in or custom."""
        for rt in RESOURCE_TYPES + self.custom_types():
            if (rt.api_version, rt.kind) == (api_version, kind):
                return rt
        raise ApiError.bad_request(f'no kind "{kind}" is registered for version "{api_version}"')

    def stored_types(self) -> tuple[ResourceType, ...]:
        """Every type whose objects this store may hold, once each (a custom resource's versions share its
        objects): the built-in ones and the custom ones."""
        return tuple({rt.key: rt for rt in reversed(RESOURCE_TYPES + self.custom_types())}.values())[::-1]

    # -- writes -----------------------------------------------------------------------------------
    def create(self, rt: ResourceType, obj: Obj) -> Obj:
        obj = copy.deepcopy(obj)
        meta = obj.setdefault("metadata", {})
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + suffix(random.Random())
        name, namespace = meta.get("name", ""), meta.get("namespace", "") if rt.namespaced else ""
        validate_name(rt, name)
        if rt.namespaced:
            self._check_namespace(namespace)
        else:
            meta.pop("namespace", None)
        key = _key(rt, namespace, name)
        if key in self._objects:
            raise ApiError.already_exists(rt.plural, name, rt.group)
        meta.setdefault("uid", str(uuid.uuid4()))
        meta.setdefault("creationTimestamp", self.clock.stamp())
        if rt.has_generation:
            meta["generation"] = 1
        else:
            meta.pop("generation", None)
        obj["apiVersion"], obj["kind"] = rt.api_version, rt.kind
        return self._write("ADDED", rt, key, obj)

    def replace(self, rt: ResourceType, obj: Obj, *, expect_rv: str | None = None) -> Obj:
        meta = obj.get("metadata", {})
        name, namespace = meta.get("name", ""), meta.get("namespace", "") if rt.namespaced else ""
        key = _key(rt, namespace, name)
        current = self._objects.get(key)
        if current is None:
            raise ApiError.not_found(rt.plural, name, rt.group)
        if expect_rv and expect_rv != current["metadata"]["resourceVersion"]:
            raise ApiError.conflict(
                rt.plural,
                name,
                "the object has been modified; please apply your changes to the latest version and try again",
                rt.group,
            )
        obj = copy.deepcopy(obj)
        for fixed in ("uid", "creationTimestamp"):
            obj["metadata"][fixed] = current["metadata"][fixed]
        if not rt.has_generation:
            obj["metadata"].pop("generation", None)
        elif obj.get("spec") != current.get("spec"):
            obj["metadata"]["generation"] = current["metadata"].get("generation", 1) + 1
        else:
            obj["metadata"]["generation"] = current["metadata"].get("generation", 1)
        obj["apiVersion"], obj["kind"] = rt.api_version, rt.kind
        obj["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
        if obj == current:
            return copy.deepcopy(current)  # a no-op update does not bump the resourceVersion
        return self._write("MODIFIED", rt, key, obj)

    def update(self, rt: ResourceType, namespace: str, name: str, change: Callable[[Obj], None]) -> Obj:
        """Read-modify-write for controllers: `change` edits a copy in place."""
        obj = self.get(rt, namespace, name)
        change(obj)
        return self.replace(rt, obj)

    def delete(self, rt: ResourceType, namespace: str, name: str) -> Obj:
        key = _key(rt, namespace, name)
        obj = self._drop(key)
        if obj is None:
            raise ApiError.not_found(rt.plural, name, rt.group)
        self._rv += 1
        previous = copy.deepcopy(obj)
        obj["metadata"]["resourceVersion"] = str(self._rv)
        self._db.execute("BEGIN")
        self._db.execute("DELETE FROM objects WHERE key = ?", (key,))
        self.set_meta("resourceVersion", self._rv)
        self._db.execute("COMMIT")
        self._publish(WatchEvent("DELETED", rt, self._rv, obj, previous))
        return copy.deepcopy(obj)

    def _check_namespace(self, namespace: str) -> None:
        ns = self._objects.get(_key(BY_KIND["Namespace"], "", namespace))
        if ns is None:
            raise ApiError.not_found("namespaces", namespace)
        if ns.get("status", {}).get("phase") == "Terminating":
            raise ApiError(
                403,
                "Forbidden",
                f"unable to create new content in namespace {namespace} because it is being terminated",
            )

    def _write(self, kind: str, rt: ResourceType, key: str, obj: Obj) -> Obj:
        self._rv += 1
        obj["metadata"]["resourceVersion"] = str(self._rv)
        previous = self._objects.get(key)  # replaced below, never changed in place
        self._put(key, obj)
        self._db.execute("BEGIN")
        self._db.execute("INSERT OR REPLACE INTO objects VALUES (?, ?)", (key, json.dumps(obj)))
        self.set_meta("resourceVersion", self._rv)
        self._db.execute("COMMIT")
        self._publish(WatchEvent(kind, rt, self._rv, copy.deepcopy(obj), previous))
        return copy.deepcopy(obj)

    def _put(self, key: str, obj: Obj) -> None:
        self._objects[key] = obj
        self._by_type.setdefault(_type_key(key), {})[key] = obj

    def _drop(self, key: str) -> Obj | None:
        self._by_type.get(_type_key(key), {}).pop(key, None)
        return self._objects.pop(key, None)

    # -- watch ------------------------------------------------------------------------------------
    def _publish(self, event: WatchEvent) -> None:
        if event.rt.kind == "CustomResourceDefinition":
            self._custom = None
        self._history.append(event)
        for queue in self._subscribers:
            queue.put_nowait(event)

    def subscribe(self) -> asyncio.Queue[WatchEvent]:
        queue: asyncio.Queue[WatchEvent] = asyncio.Queue()
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[WatchEvent]) -> None:
        self._subscribers.discard(queue)

    def oldest_kept(self) -> int:
        """The resourceVersion of the oldest change the history still holds."""
        return self._history[0].rv if self._history else self._rv + 1

    def events_since(self, rv: int) -> builtins.list[WatchEvent] | None:
        """Events after `rv`, or None when `rv` is older than the history kept (410 Gone)."""
        if rv >= self._rv:
            return []
        if not self._history or self._history[0].rv > rv + 1:
            return None
        return [e for e in self._history if e.rv > rv]
