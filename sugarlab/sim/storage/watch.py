"""Watch, as kube-apiserver's watch cache serves it (k8s.io/apiserver/pkg/storage/cacher).

- Start: with no resourceVersion or "0", the current objects first as ADDED events; with a
  version, the changes after it, or one ERROR event with 410 Expired when the history kept no longer
  reaches back so far (watch_cache_history.go: `too old resource version: N (oldest-1)`); a version
  ahead of the store waits for the changes that reach it.
- Selectors: an object that starts to match is ADDED, one that stops matching is DELETED, carrying
  its previous state at the event's resourceVersion (cache_watcher.go, convertToWatchEvent).
- Bookmarks with `allowWatchBookmarks=true`: an object of the kind holding only the current
  resourceVersion, about once a minute and 2 s before the watch's deadline (nextBookmarkTime).
  `sendInitialEvents` is refused as a 1.33 server refuses it, where the WatchList gate is off
  (`sugarlab.sim.storage.list_options`).
- `as=Table` (kubectl get -w): each object as a Table of one row; the first event carries the column
  definitions, later ones none (handlers/response.go, watchEmbeddedEncoder), and `includeObject`
  picks what each row embeds.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

from starlette.responses import StreamingResponse

from sugarlab.common.objects import Obj
from sugarlab.sim.machinery.errors import ApiError
from sugarlab.sim.machinery.resources import ResourceType
from sugarlab.sim.storage import list_options
from sugarlab.sim.storage.store import Store, WatchEvent

WATCH_TIMEOUT_S = 1800  # kube-apiserver's --min-request-timeout
BOOKMARK_EVERY_S = 60.0  # the cacher's defaultBookmarkFrequency
BOOKMARK_BEFORE_DEADLINE_S = 2.0
INCLUDE_OBJECT = ("Object", "Metadata", "None", "")
Tabulate = Callable[[list[Obj], datetime, str], Obj]


def include_object(query: Any) -> str:
    value = query.get("includeObject") or ""
    if value not in INCLUDE_OBJECT:
        raise ApiError.bad_request(f'unrecognized includeObject value: "{value}"')
    return value


def embed(table: Obj, objects: list[Obj], include: str) -> Obj:
    """Set what each row of `table` carries, as `includeObject` asks (Metadata by default)."""
    for row, obj in zip(table["rows"], objects, strict=True):
        if include == "Object":
            row["object"] = obj
        elif include == "None":
            row["object"] = None
    return table


class Watch:
    """One watch request: its filter, start point and encoding."""

    def __init__(
        self,
        store: Store,
        rt: ResourceType,
        namespace: str | None,
        query: Any,
        matches: Callable[[Obj], bool],
        tabulate: Tabulate | None,
    ) -> None:
        list_options.validate(query, watching=True)
        self.store, self.rt, self.namespace, self.matches = store, rt, namespace, matches
        self.tabulate, self.include = tabulate, include_object(query)
        self.bookmarks = query.get("allowWatchBookmarks") in ("true", "1")
        self.since = list_options.resource_version(query)
        raw_timeout = query.get("timeoutSeconds")
        try:
            self.timeout = min(float(raw_timeout), WATCH_TIMEOUT_S) if raw_timeout else WATCH_TIMEOUT_S
        except ValueError:
            raise ApiError.bad_request(f'timeoutSeconds: "{raw_timeout}" is not a number') from None
        self.headers_sent = False

    def _in_scope(self, obj: Obj) -> bool:
        return self.namespace is None or obj["metadata"].get("namespace", "") == self.namespace

    def filtered(self, event: WatchEvent) -> tuple[str, Obj] | None:
        """The event this watcher sees for a change in the store, if any."""
        if event.rt != self.rt or not self._in_scope(event.object):
            return None
        now = event.type != "DELETED" and self.matches(event.object)
        before = event.previous is not None and self.matches(event.previous)
        if now:
            return ("MODIFIED" if before else "ADDED"), event.object
        if before:
            assert event.previous is not None
            gone = json.loads(json.dumps(event.previous))
            gone["metadata"]["resourceVersion"] = str(event.rv)
            return "DELETED", gone
        return None

    def line(self, kind: str, obj: Obj) -> bytes:
        if self.tabulate is not None and kind in ("ADDED", "MODIFIED", "DELETED"):
            table = embed(
                self.tabulate([obj], self.store.clock.now(), obj["metadata"]["resourceVersion"]), [obj], self.include
            )
            if self.headers_sent:
                table["columnDefinitions"] = None
            self.headers_sent = True
            obj = table
        return (json.dumps({"type": kind, "object": obj}) + "\n").encode()

    def bookmark(self) -> bytes:
        rv = str(self.store.resource_version)
        return self.line(
            "BOOKMARK",
            {
                "kind": self.rt.kind,
                "apiVersion": self.rt.api_version,
                "metadata": {"resourceVersion": rv, "creationTimestamp": None},
            },
        )

    def backlog(self) -> tuple[list[bytes], bool]:
        """The events before the live ones, and whether the start was too old (the watch then ends)."""
        if self.since == 0:
            return [self.line("ADDED", o) for o in self.store.list(self.rt, self.namespace) if self.matches(o)], False
        events = self.store.events_since(self.since)
        if events is None:
            expired = ApiError(
                410, "Expired", f"too old resource version: {self.since} ({self.store.oldest_kept() - 1})"
            )
            return [(json.dumps({"type": "ERROR", "object": expired.status()}) + "\n").encode()], True
        return [self.line(*seen) for seen in map(self.filtered, events) if seen is not None], False

    def response(self, on_open: Callable[[int], None]) -> StreamingResponse:
        """The streamed events; `on_open` hears +1 when the stream starts and -1 when it ends."""
        queue = self.store.subscribe()
        backlog, expired = self.backlog()
        start_rv = self.store.resource_version

        async def stream() -> AsyncIterator[bytes]:
            on_open(1)
            try:
                for chunk in backlog:
                    yield chunk
                if expired:
                    return
                deadline = time.monotonic() + self.timeout
                next_bookmark = self._next_bookmark(time.monotonic(), deadline)
                while (remaining := deadline - time.monotonic()) > 0:
                    wait = min(remaining, next_bookmark - time.monotonic()) if self.bookmarks else remaining
                    try:
                        event = await asyncio.wait_for(queue.get(), max(wait, 0))
                    except TimeoutError:
                        if self.bookmarks and time.monotonic() >= next_bookmark:
                            yield self.bookmark()
                            next_bookmark = self._next_bookmark(time.monotonic(), deadline)
                        continue
                    if event.rv <= max(start_rv, self.since):
                        continue  # already in the backlog, or before the version asked for
                    seen = self.filtered(event)
                    if seen is not None:
                        yield self.line(*seen)
            finally:
                on_open(-1)
                self.store.unsubscribe(queue)

        return StreamingResponse(stream(), media_type="application/json")

    @staticmethod
    def _next_bookmark(now: float, deadline: float) -> float:
        beat = now + BOOKMARK_EVERY_S
        before_deadline = deadline - BOOKMARK_BEFORE_DEADLINE_S
        if before_deadline < beat:
            beat = before_deadline if before_deadline > now else deadline + 1  # too late: none
        return beat
