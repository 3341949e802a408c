"""API errors as the real server reports them: a `Status` object with code, reason and details.

Messages, reasons and details follow the constructors of k8s.io/apimachinery `pkg/api/errors/errors.go`
(NewNotFound, NewAlreadyExists, NewConflict, NewInvalid, NewForbidden, NewBadRequest,
NewRequestEntityTooLargeError, NewInternalError, NewGenericServerResponse); the body is written as
kube-apiserver's JSON serializer writes it (see `sugarlab.sim.machinery.status_json`).
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from sugarlab.sim.machinery.status_json import go_json

# field.ErrorType.String() -> its CauseType (k8s.io/apimachinery pkg/util/validation/field/errors.go).
_CAUSE_TYPES = {
    "Not found": "FieldValueNotFound",
    "Required value": "FieldValueRequired",
    "Duplicate value": "FieldValueDuplicate",
    "Invalid value": "FieldValueInvalid",
    "Unsupported value": "FieldValueNotSupported",
    "Forbidden": "FieldValueForbidden",
    "Too long": "FieldValueTooLong",
    "Too many": "FieldValueTooMany",
    "Internal error": "InternalError",
}


def _qualified(name: str, group: str) -> str:
    """schema.GroupResource.String() and GroupKind.String(): `name.group`, or `name` in the core group."""
    return f"{name}.{group}" if group else name


def _details(name: str, group: str, kind: str) -> dict[str, Any]:
    """StatusDetails in its field order (name, group, kind), leaving out the empty ones (`omitempty`)."""
    return {k: v for k, v in (("name", name), ("group", group), ("kind", kind)) if v}


def _cause_type(body: str) -> str:
    return next((cause for prefix, cause in _CAUSE_TYPES.items() if body.startswith(prefix)), "FieldValueInvalid")


def aggregate(messages: list[str]) -> str:
    """utilerrors.Aggregate's Error(): one message as it is, several de-duplicated within brackets."""
    unique = list(dict.fromkeys(messages))
    return unique[0] if len(unique) == 1 else "[" + ", ".join(unique) + "]"


class ApiError(Exception):
    def __init__(self, code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> None:
        """`details` None leaves them out; `{}` writes `"details":{}`, as Go writes a non-nil, empty StatusDetails."""
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details

    def status(self) -> dict[str, Any]:
        """The Status, with its keys in the order of metav1.Status's fields."""
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
        }
        if self.reason:  # `omitempty`: a plain Go error reaches the client with no reason
            body["reason"] = self.reason
        if self.details is not None:
            body["details"] = self.details
        body["code"] = self.code
        return body

    def response(self) -> Response:
        return Response(go_json(self.status()), status_code=self.code, media_type="application/json")

    @classmethod
    def not_found(cls, resource: str, name: str, group: str = "") -> ApiError:
        return cls(
            404, "NotFound", f'{_qualified(resource, group)} "{name}" not found', _details(name, group, resource)
        )

    @classmethod
    def already_exists(cls, resource: str, name: str, group: str = "") -> ApiError:
        return cls(
            409,
            "AlreadyExists",
            f'{_qualified(resource, group)} "{name}" already exists',
            _details(name, group, resource),
        )

    @classmethod
    def conflict(cls, resource: str, name: str, why: str, group: str = "") -> ApiError:
        return cls(
            409,
            "Conflict",
            f'Operation cannot be fulfilled on {_qualified(resource, group)} "{name}": {why}',
            _details(name, group, resource),
        )

    @classmethod
    def invalid(cls, kind: str, name: str, causes: list[tuple[str, str]], group: str = "") -> ApiError:
        """`causes` are (field, ErrorBody()) pairs, e.g. ("spec.replicas", "Invalid value: -1: must be ...")."""
        message = f'{_qualified(kind, group)} "{name}" is invalid'
        if causes:
            message += ": " + aggregate([f"{field}: {body}" if field else body for field, body in causes])
        details = _details(name, group, kind)
        details["causes"] = [{"reason": _cause_type(body), "message": body, "field": field} for field, body in causes]
        return cls(422, "Invalid", message, details)

    @classmethod
    def forbidden(
        cls, resource: str, name: str, why: str, group: str = "", causes: list[dict[str, str]] | None = None
    ) -> ApiError:
        subject = f'{_qualified(resource, group)} "{name}"' if name else _qualified(resource, group)
        details = _details(name, group, resource) | ({"causes": causes} if causes else {})
        return cls(403, "Forbidden", f"{subject} is forbidden: {why}", details)

    @classmethod
    def bad_request(cls, message: str, reason: str = "BadRequest") -> ApiError:
        return cls(400, reason, message)

    @classmethod
    def method_not_allowed(cls, message: str) -> ApiError:
        return cls(405, "MethodNotAllowed", message, {})

    @classmethod
    def no_route(cls, code: int) -> ApiError:
        """What kube-apiserver answers when no route matches the path (404) or the method (405): go-restful's
        ServiceError through NewGenericServerResponse (k8s.io/apiserver `pkg/server/handler.go`)."""
        if code == 405:
            return cls(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {})
        return cls(404, "NotFound", "the server could not find the requested resource", {})

    @classmethod
    def unauthorized(cls) -> ApiError:
        # What the authentication filter answers (k8s.io/apiserver pkg/endpoints/handlers/responsewriters).
        return cls(401, "Unauthorized", "Unauthorized")

    @classmethod
    def too_large(cls, limit: int) -> ApiError:
        return cls(413, "RequestEntityTooLarge", f"Request entity too large: limit is {limit}")

    @classmethod
    def internal(cls, error: str) -> ApiError:
        return cls(500, "InternalError", f"Internal error occurred: {error}", {"causes": [{"message": error}]})
