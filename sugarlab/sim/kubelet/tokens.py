"""The token a projected volume's `serviceAccountToken` source writes: the claims of the bound token the
kubelet asks kube-apiserver for (TokenRequest; pkg/serviceaccount/claims.go `Claims`, k3s's issuer and
audiences), but unsigned (`alg: none`). The simulator's API accepts only its kubeconfig's token and a
container reaches no network, so nothing could present it; a client that checks it learns it is not a
real one rather than trusting it."""

from __future__ import annotations

import base64
import json
from datetime import datetime

from sugarlab.common.objects import Obj

ISSUER = "https://kubernetes.default.svc.cluster.local"  # k3s's --service-account-issuer
AUDIENCES = [ISSUER, "k3s"]  # k3s's --api-audiences


def _segment(value: Obj) -> str:
    return base64.urlsafe_b64encode(json.dumps(value, separators=(",", ":")).encode()).rstrip(b"=").decode()


def bound_token(pod: Obj, account_uid: str, expiration_s: int, now: datetime) -> str:
    """A JWT naming the pod, its node and its ServiceAccount, valid `expiration_s` from `now`."""
    meta, spec = pod["metadata"], pod["spec"]
    namespace, account = meta["namespace"], spec.get("serviceAccountName") or "default"
    issued = int(now.timestamp())
    claims = {
        "aud": AUDIENCES,
        "exp": issued + expiration_s,
        "iat": issued,
        "iss": ISSUER,
        "kubernetes.io": {
            "namespace": namespace,
            "node": {"name": spec.get("nodeName", "")},
            "pod": {"name": meta["name"], "uid": meta.get("uid", "")},
            "serviceaccount": {"name": account, "uid": account_uid},
        },
        "nbf": issued,
        "sub": f"system:serviceaccount:{namespace}:{account}",
    }
    return f"{_segment({'alg': 'none', 'typ': 'JWT'})}.{_segment(claims)}."
