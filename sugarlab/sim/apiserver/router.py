"""The API server's route table: a request's path, split into segments, against patterns tried in order.

A pattern's segment is a literal, `{name}` (any one segment) or, last, `{name...}` (the remaining segments,
none or more). The first pattern that matches handles the request; no match is the API server's 404.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from sugarlab.sim.apiserver.context import Context


@dataclass(frozen=True)
class Match:
    values: dict[str, str]
    rest: list[str]  # what a trailing `{name...}` took


Handler = Callable[[Context, Request, Match], Awaitable[Response]]


@dataclass(frozen=True)
class Route:
    pattern: str
    handler: Handler

    def match(self, parts: list[str]) -> Match | None:
        segments = self.pattern.strip("/").split("/")
        values: dict[str, str] = {}
        for i, segment in enumerate(segments):
            if segment.endswith("...}"):
                return Match(values, parts[i:])
            if i >= len(parts):
                return None
            if segment.startswith("{"):
                values[segment.strip("{}")] = parts[i]
            elif segment != parts[i]:
                return None
        return Match(values, []) if len(parts) == len(segments) else None


def route(routes: list[Route], parts: list[str]) -> tuple[Handler, Match] | None:
    for candidate in routes:
        found = candidate.match(parts)
        if found is not None:
            return candidate.handler, found
    return None
