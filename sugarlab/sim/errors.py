"""API errors as the real server reports them: a `Status` object with code, reason and details."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    def __init__(self, code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details or {}

    def status(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": self.message, "reason": self.reason, "code": self.code,
        }
        if self.details:
            body["details"] = self.details
        return body

    @classmethod
    def not_found(cls, resource: str, name: str, group: str = "") -> "ApiError":
        qualified = f"{resource}.{group}" if group else resource
        return cls(404, "NotFound", f'{qualified} "{name}" not found',
                   {"name": name, "group": group, "kind": resource})

    @classmethod
    def already_exists(cls, resource: str, name: str, group: str = "") -> "ApiError":
        qualified = f"{resource}.{group}" if group else resource
        return cls(409, "AlreadyExists", f'{qualified} "{name}" already exists',
                   {"name": name, "group": group, "kind": resource})

    @classmethod
    def conflict(cls, resource: str, name: str, why: str) -> "ApiError":
        return cls(409, "Conflict", f'Operation cannot be fulfilled on {resource} "{name}": {why}',
                   {"name": name, "kind": resource})

    @classmethod
    def invalid(cls, kind: str, name: str, causes: list[tuple[str, str]]) -> "ApiError":
        text = "; ".join(f"{field}: {msg}" for field, msg in causes)
        return cls(422, "Invalid", f'{kind} "{name}" is invalid: {text}', {
            "name": name, "kind": kind,
            "causes": [{"reason": "FieldValueInvalid", "message": msg, "field": field} for field, msg in causes],
        })

    @classmethod
    def bad_request(cls, message: str, reason: str = "BadRequest") -> "ApiError":
        return cls(400, reason, message)

    @classmethod
    def method_not_allowed(cls, message: str) -> "ApiError":
        return cls(405, "MethodNotAllowed", message)
