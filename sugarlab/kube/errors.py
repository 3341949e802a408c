"""The API server's refusals as sugarlab errors that carry its `Status`.

Every client `connect` builds raises `ApiError` where the official client raises `ApiException`.
`ApiError` is both, so code that tells a 404 from a 409 by `error.status` keeps working, while a
notebook sees a `ClusterError` (a `SugarlabError`) whose message is the server's own: the failing
request, the HTTP code, the `Status` reason and message (k8s.io/apimachinery
pkg/apis/meta/v1/types.go, `Status`: kind, status, message, reason, details, code).
"""

from __future__ import annotations

import json
from typing import Any

from kubernetes.client.exceptions import ApiException

from sugarlab.lab.errors import ClusterError


def _status_object(body: object) -> dict[str, Any]:
    """The `Status` in a response body, or {} when the body is not one (a proxy's HTML page, say)."""
    if isinstance(body, bytes):
        body = body.decode(errors="replace")
    try:
        parsed = json.loads(body) if isinstance(body, str) else None
    except json.JSONDecodeError:
        return {}
    return parsed if isinstance(parsed, dict) and parsed.get("kind") == "Status" else {}


class ApiError(ClusterError, ApiException):  # type: ignore[misc]  # the client is untyped (see pyproject.toml)
    """The API server answered a request with an error; `api_status` is its `Status` object."""

    def __init__(self, request: str, cause: ApiException) -> None:
        ApiException.__init__(self, status=cause.status, reason=cause.reason)
        self.body, self.headers = cause.body, cause.headers
        self.request = request  # such as "GET /api/v1/namespaces/lab/pods/writer-0"
        self.api_status = _status_object(cause.body)
        ClusterError.__init__(self, str(self))

    @property
    def status_reason(self) -> str:
        """The machine-readable reason (`NotFound`, `AlreadyExists`, `Forbidden`, ...), or ''."""
        return str(self.api_status.get("reason", ""))

    @property
    def status_message(self) -> str:
        return str(self.api_status.get("message", "")) or str(self.reason or "")

    def __str__(self) -> str:
        reason = f" {self.status_reason}" if self.status_reason else ""
        return f"{self.request}: {self.status}{reason}: {self.status_message}"
