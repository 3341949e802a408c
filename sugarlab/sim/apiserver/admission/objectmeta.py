"""ObjectMeta checked as kube-apiserver checks it on create (ValidateObjectMetaAccessor in k8s.io/apimachinery
`pkg/api/validation/objectmeta.go`): the name, then the owner references."""

from __future__ import annotations

import re
from typing import Any

from sugarlab.sim.machinery.names import go_quote, name_causes


def _owner_causes(index: int, ref: Any) -> list[tuple[str, str]]:
    """validateOwnerReference: what a garbage collector needs to follow the reference."""
    path = f"metadata.ownerReferences[{index}]"
    ref = ref if isinstance(ref, dict) else {}
    causes = []
    api_version = ref.get("apiVersion") or ""
    if not api_version:
        causes.append((f"{path}.apiVersion", "Required value: must not be empty"))
    elif not re.fullmatch(r"([^/]+/)?[^/]+", api_version):  # schema.ParseGroupVersion
        message = f"Invalid value: {go_quote(api_version)}: must be <group>/<version> or <version>"
        causes.append((f"{path}.apiVersion", message))
    causes += [
        (f"{path}.{key}", "Required value: must not be empty") for key in ("kind", "name", "uid") if not ref.get(key)
    ]
    return causes


def meta_causes(kind: str, meta: dict[str, Any]) -> list[tuple[str, str]]:
    causes = [] if meta.get("generateName") else name_causes(kind, meta.get("name") or "")
    for index, ref in enumerate(meta.get("ownerReferences") or []):
        causes += _owner_causes(index, ref)
    return causes
