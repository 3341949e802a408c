"""Secrets as kube-apiserver stores them: `stringData` is merged into `data`, base64-encoded, and
dropped (pkg/apis/core/v1/conversion.go, Convert_v1_Secret_To_core_Secret); the type defaults to Opaque."""

from __future__ import annotations

import base64

from sugarlab.common.objects import Obj
from sugarlab.sim.machinery.errors import ApiError


def normalize_secret(secret: Obj) -> None:
    strings = secret.pop("stringData", None) or {}
    if not isinstance(strings, dict) or not all(isinstance(v, str) for v in strings.values()):
        raise ApiError.bad_request(
            'Secret in version "v1" cannot be handled as a Secret: stringData must map keys to strings'
        )
    if strings:
        data = secret.get("data") or {}
        data.update({k: base64.b64encode(v.encode()).decode() for k, v in strings.items()})
        secret["data"] = data
    secret.setdefault("type", "Opaque")
