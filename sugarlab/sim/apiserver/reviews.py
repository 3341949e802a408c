"""The authentication.k8s.io reviews, answered in their responses and never stored: a TokenReview says
whether a bearer token authenticates here and as whom (pkg/registry/authentication/tokenreview/storage.go),
a SelfSubjectReview who is asking (pkg/registry/authentication/selfsubjectreview/rest.go, what `kubectl
auth whoami` prints). The one credential the simulator accepts is its token (`apiserver.auth`)."""

from __future__ import annotations

from sugarlab.common.objects import Obj
from sugarlab.sim.apiserver.auth import ADMIN, API_AUDIENCES, accepts
from sugarlab.sim.machinery.errors import ApiError


def token_review(review: Obj, token: str) -> Obj:
    offered = (review.get("spec") or {}).get("token") or ""
    if not offered:
        raise ApiError.bad_request("token is required for TokenReview in authentication")
    wanted = (review.get("spec") or {}).get("audiences") or list(API_AUDIENCES)
    # A token that knows no audience of its own is good for the API server's (WrapAudienceAgnosticToken).
    audiences = [a for a in API_AUDIENCES if a in wanted]
    status: Obj = {"user": {}}
    if audiences and accepts(offered, token):
        status = {"authenticated": True, "user": dict(ADMIN), "audiences": audiences}
    return _answer(review, status)


def self_subject_review(review: Obj) -> Obj:
    return _answer(review, {"userInfo": dict(ADMIN)})


def _answer(review: Obj, status: Obj) -> Obj:
    meta = review.get("metadata") or {}
    return {
        "kind": review["kind"],
        "apiVersion": review["apiVersion"],
        "metadata": {**meta, "creationTimestamp": None},
        **({"spec": review["spec"]} if "spec" in review else {}),
        "status": status,
    }
