"""Object names checked as kube-apiserver checks them, with its messages.

Namespaces are RFC 1123 labels, most other objects RFC 1123 subdomains (ValidateNamespaceName and
NameIsDNSSubdomain in k8s.io/apimachinery `pkg/api/validation`); the messages are those of
`pkg/util/validation/validation.go` (IsDNS1123Label, IsDNS1123Subdomain, RegexError, MaxLenError).
"""

from __future__ import annotations

import re

LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
SUBDOMAIN_FMT = LABEL_FMT + "(\\." + LABEL_FMT + ")*"
LABEL_MSG = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
             "start and end with an alphanumeric character")
SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                 "and must start and end with an alphanumeric character")


def _regex_error(message: str, fmt: str, *examples: str) -> str:
    shown = "".join(f"{' or ' if i else ''}'{example}', " for i, example in enumerate(examples))
    return f"{message} (e.g. {shown}regex used for validation is '{fmt}')"


def dns1123_label(value: str) -> list[str]:
    errors = ["must be no more than 63 characters"] if len(value) > 63 else []
    if not re.fullmatch(LABEL_FMT, value):
        errors.append("must not contain dots" if re.fullmatch(SUBDOMAIN_FMT, value)
                      else _regex_error(LABEL_MSG, LABEL_FMT, "my-name", "123-abc"))
    return errors


def dns1123_subdomain(value: str) -> list[str]:
    errors = ["must be no more than 253 characters"] if len(value) > 253 else []
    if not re.fullmatch(SUBDOMAIN_FMT, value):
        errors.append(_regex_error(SUBDOMAIN_MSG, SUBDOMAIN_FMT, "example.com"))
    return errors


def name_causes(kind: str, name: str) -> list[tuple[str, str]]:
    """The (field, message) causes of a 422 for this object name; empty when the name is fine."""
    if not name:
        return [("metadata.name", "Required value: name or generateName is required")]
    problems = dns1123_label(name) if kind == "Namespace" else dns1123_subdomain(name)
    return [("metadata.name", f"Invalid value: {go_quote(name)}: {problem}") for problem in problems]


def go_quote(value: str) -> str:
    """Go's %q of a string, as field.Invalid shows the value."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
