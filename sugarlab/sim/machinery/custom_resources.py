"""The resource types that CustomResourceDefinitions declare, as apiextensions-apiserver serves them: one
per served version of every established CRD (its names, scope, subresources and printer columns;
staging/src/k8s.io/apiextensions-apiserver/pkg/apiserver/customresource_discovery_controller.go), and the
status that establishes a CRD (pkg/controller/status/naming_controller.go and
pkg/controller/establish/establishing_controller.go)."""

from __future__ import annotations

from collections.abc import Iterable

from sugarlab.common.objects import Obj
from sugarlab.sim.machinery.resources import ALL_VERBS, PrinterColumn, ResourceType

# A version without additionalPrinterColumns prints its age (serveDefaultColumnsIfEmpty in
# apiextensions-apiserver pkg/apiserver/customresource_handler.go).
AGE_COLUMN = PrinterColumn(
    "Age",
    "date",
    ".metadata.creationTimestamp",
    description=(
        "CreationTimestamp is a timestamp representing the server time when this object was created. It is not "
        "guaranteed to be set in happens-before order across separate operations. Clients may not set this value. "
        "It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. "
        "More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"
    ),
)


def _accepted_names(spec: Obj) -> Obj:
    names = dict(spec["names"])
    names.setdefault("singular", names["kind"].lower())
    names.setdefault("listKind", f"{names['kind']}List")
    return names


def established_status(crd: Obj, now: str) -> Obj:
    """The status the naming and establishing controllers give a CRD whose names conflict with none."""
    spec = crd["spec"]
    stored = [v["name"] for v in spec.get("versions") or [] if v.get("storage")]
    previous = {c["type"]: c for c in (crd.get("status") or {}).get("conditions") or []}

    def condition(kind: str, reason: str, message: str) -> Obj:
        before = previous.get(kind, {})
        held = before.get("lastTransitionTime") if before.get("status") == "True" else None
        return {
            "type": kind,
            "status": "True",
            "lastTransitionTime": held or now,
            "reason": reason,
            "message": message,
        }

    return {
        "conditions": [
            condition("NamesAccepted", "NoConflicts", "no conflicts found"),
            condition("Established", "InitialNamesAccepted", "the initial names have been accepted"),
        ],
        "acceptedNames": _accepted_names(spec),
        "storedVersions": sorted(set(((crd.get("status") or {}).get("storedVersions") or []) + stored)),
    }


def established(crd: Obj) -> bool:
    conditions = (crd.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Established" and c.get("status") == "True" for c in conditions)


def _columns(version: Obj) -> tuple[PrinterColumn, ...]:
    declared = version.get("additionalPrinterColumns") or []
    if not declared:
        return (AGE_COLUMN,)
    return tuple(
        PrinterColumn(
            c["name"],
            c.get("type", "string"),
            c["jsonPath"],
            int(c.get("priority", 0)),
            c.get("description", ""),
            c.get("format", ""),
        )
        for c in declared
    )


def custom_types(crds: Iterable[Obj]) -> tuple[ResourceType, ...]:
    """The types of the established CRDs among `crds`, one per served version."""
    found: list[ResourceType] = []
    for crd in crds:
        if not established(crd):
            continue
        spec = crd["spec"]
        names = spec["names"]
        for version in spec.get("versions") or []:
            if not version.get("served", True):
                continue
            found.append(
                ResourceType(
                    spec["group"],
                    version["name"],
                    names["kind"],
                    names["plural"],
                    spec.get("scope") == "Namespaced",
                    short_names=tuple(names.get("shortNames") or ()),
                    subresources=tuple(s for s in ("status", "scale") if s in (version.get("subresources") or {})),
                    verbs=ALL_VERBS,
                    categories=tuple(names.get("categories") or ()),
                    columns=_columns(version),
                    singular=names.get("singular") or names["kind"].lower(),
                    custom=True,
                )
            )
    return tuple(found)
