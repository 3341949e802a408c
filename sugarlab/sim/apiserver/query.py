"""Query parameters checked as kube-apiserver's parameter codec converts them, before a handler reads them.

ListOptions, DeleteOptions and PodLogOptions arrive as query parameters; a value their Go field cannot
hold fails the conversion (strconv.ParseInt / ParseBool) and the handler answers 400 with that error
(`errors.NewBadRequest(err.Error())` in k8s.io/apiserver `pkg/endpoints/handlers/get.go`, `delete.go`).
A resourceVersion that is not a number is refused as APIObjectVersioner.ParseResourceVersion refuses it
(k8s.io/apiserver `pkg/storage/api_object_versioner.go`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from sugarlab.sim.machinery.errors import ApiError
from sugarlab.sim.machinery.names import go_quote

INTEGERS = ("timeoutSeconds", "limit", "gracePeriodSeconds", "tailLines", "sinceSeconds", "limitBytes")
BOOLEANS = (
    "watch",
    "allowWatchBookmarks",
    "follow",
    "previous",
    "timestamps",
    "insecureSkipTLSVerifyBackend",
    "orphanDependents",
    "ignoreStoreReadErrorWithClusterBreakingPotential",
)
# strconv.ParseBool's accepted spellings.
GO_BOOLS = {"1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"}


def check(query: Mapping[str, str]) -> None:
    for name in INTEGERS:
        value = query.get(name)
        if value is not None and not re.fullmatch(r"[+-]?[0-9]+", value):
            raise ApiError.bad_request(f"strconv.ParseInt: parsing {go_quote(value)}: invalid syntax")
    for name in BOOLEANS:
        value = query.get(name)
        if value is not None and value != "" and value not in GO_BOOLS:
            raise ApiError.bad_request(f"strconv.ParseBool: parsing {go_quote(value)}: invalid syntax")
    version = query.get("resourceVersion")
    if version and not version.isdigit():
        raise ApiError.bad_request(
            f"invalid resource version: resourceVersion: Invalid value: {go_quote(version)}: "
            f"strconv.ParseUint: parsing {go_quote(version)}: invalid syntax"
        )
