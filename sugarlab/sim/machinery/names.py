"""Object names checked as kube-apiserver checks them, with its messages.

Namespaces are RFC 1123 labels, most other objects RFC 1123 subdomains (ValidateNamespaceName and
NameIsDNSSubdomain in k8s.io/apimachinery `pkg/api/validation`); the messages are those of
`pkg/util/validation/validation.go` (IsDNS1123Label, IsDNS1123Subdomain, RegexError, MaxLenError).
Some kinds follow rules of their own: RBAC objects take any path segment (pkg/apis/rbac/validation
ValidateRBACName), so `system:node` is a name; an APIService is `<version>.<group>`, `v1.` for the
core group (kube-aggregator's ValidateAPIServiceName). Generated names take a random suffix as
k8s.io/apiserver's storage/names SimpleNameGenerator makes it.
"""

from __future__ import annotations

import random
import re

LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
SUBDOMAIN_FMT = LABEL_FMT + "(\\." + LABEL_FMT + ")*"
LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
    "start and end with an alphanumeric character"
)
SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character"
)
RBAC_KINDS = {"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"}


def regex_error(message: str, fmt: str, *examples: str) -> str:
    """Go's RegexError, double spaces and all."""
    shown = " or ".join(f"'{example}', " for example in examples)
    return f"{message} (e.g. {shown}regex used for validation is '{fmt}')"


def dns1123_label(value: str) -> list[str]:
    errors = ["must be no more than 63 characters"] if len(value) > 63 else []
    if not re.fullmatch(LABEL_FMT, value):
        errors.append(
            "must not contain dots"
            if re.fullmatch(SUBDOMAIN_FMT, value)
            else regex_error(LABEL_MSG, LABEL_FMT, "my-name", "123-abc")
        )
    return errors


def dns1123_subdomain(value: str) -> list[str]:
    errors = ["must be no more than 253 characters"] if len(value) > 253 else []
    if not re.fullmatch(SUBDOMAIN_FMT, value):
        errors.append(regex_error(SUBDOMAIN_MSG, SUBDOMAIN_FMT, "example.com"))
    return errors


def has_own_rules(kind: str) -> bool:
    return kind in RBAC_KINDS or kind == "APIService"


def _own_rule_problem(kind: str, name: str) -> str | None:
    """The API server's message when `name` is not valid for `kind` (one that `has_own_rules`), else None."""
    if kind in RBAC_KINDS:
        if name in (".", ".."):
            return f"Invalid value: {go_quote(name)}: may not be '{name}'"
        bad = next((s for s in ("/", "%") if s in name), None)
        return None if bad is None else f"Invalid value: {go_quote(name)}: may not contain '{bad}'"
    version, dot, group = name.partition(".")
    if dot and version and (not group or not dns1123_subdomain(group)) and not dns1123_subdomain(version):
        return None
    return f"Invalid value: {go_quote(name)}: must be in the form: <version>.<group>"


def name_causes(kind: str, name: str) -> list[tuple[str, str]]:
    """The (field, message) causes of a 422 for this object name; empty when the name is fine."""
    if not name:
        return [("metadata.name", "Required value: name or generateName is required")]
    if has_own_rules(kind):
        problem = _own_rule_problem(kind, name)
        return [] if problem is None else [("metadata.name", problem)]
    problems = dns1123_label(name) if kind == "Namespace" else dns1123_subdomain(name)
    return [("metadata.name", f"Invalid value: {go_quote(name)}: {problem}") for problem in problems]


def go_quote(value: str) -> str:
    """Go's %q of a string, as field.Invalid shows the value."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


# Kubernetes' rand.String alphabet (k8s.io/apimachinery/pkg/util/rand): no vowels, no confusables.
NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def suffix(rng: random.Random, length: int = 5) -> str:
    return "".join(rng.choice(NAME_ALPHABET) for _ in range(length))
