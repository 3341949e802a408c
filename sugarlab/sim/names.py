"""Kinds whose names follow their own rules rather than DNS subdomains: RBAC objects take any path
segment (pkg/apis/rbac/validation ValidateRBACName), so `system:node` is a name; an APIService is
`<version>.<group>`, `v1.` for the core group (kube-aggregator's ValidateAPIServiceName)."""

from __future__ import annotations

import re

_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
RBAC_KINDS = {"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"}


def has_own_rules(kind: str) -> bool:
    return kind in RBAC_KINDS or kind == "APIService"


def name_problem(kind: str, name: str) -> str | None:
    """The API server's message when `name` is not valid for `kind` (one that `has_own_rules`), else None."""
    if kind in RBAC_KINDS:
        if name in (".", ".."):
            return f'Invalid value: "{name}": may not be \'{name}\''
        bad = next((s for s in ("/", "%") if s in name), None)
        return None if bad is None else f"Invalid value: \"{name}\": may not contain '{bad}'"
    version, dot, group = name.partition(".")
    if dot and version and (not group or _SUBDOMAIN.match(group)) and _SUBDOMAIN.match(version):
        return None
    return f'Invalid value: "{name}": must be in the form: <version>.<group>'
