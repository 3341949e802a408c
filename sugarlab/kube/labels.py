"""The labels that mark an object as the lab's, so `sugarlab clean` removes exactly what the lab made.

`app.kubernetes.io/managed-by` and `app.kubernetes.io/part-of` are Kubernetes' recommended labels
(https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/); `sugarlab.dev/run`
names the lab workspace (a run's id under `sugarlab run`) that made the object. Pod templates and
claim templates get the two fixed labels, so the pods and claims controllers make are found too; the
run label stays off templates, because a Job's template cannot change and a changed Deployment
template would roll its pods.
"""

from __future__ import annotations

import copy
import re
from typing import Any

MANAGED_BY, PART_OF, RUN = "app.kubernetes.io/managed-by", "app.kubernetes.io/part-of", "sugarlab.dev/run"
LAB_LABELS = {MANAGED_BY: "sugarlab", PART_OF: "tutorial-13"}
LAB_SELECTOR = ",".join(f"{key}={value}" for key, value in LAB_LABELS.items())
KEPT_ANNOTATION = "sugarlab.dev/kept-by-clean"  # a volume clean kept because its class retains data

# A label value: at most 63 characters, alphanumerics with -, _ or . inside (apimachinery's
# validation.IsValidLabelValue).
_LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")


def run_labels(run: str) -> dict[str, str]:
    """The lab's labels with the run label, when `run` names one."""
    if not _LABEL_VALUE.match(run):
        raise ValueError(f"run id {run!r} is not a valid label value (63 characters of [A-Za-z0-9-_.])")
    return {**LAB_LABELS, RUN: run} if run else dict(LAB_LABELS)


def labelled(doc: dict[str, Any], run: str) -> dict[str, Any]:
    """A copy of the manifest `doc` carrying the lab's labels, and its templates the fixed two."""
    out = copy.deepcopy(doc)
    _add(out.setdefault("metadata", {}), run_labels(run))
    spec = out.get("spec") or {}
    for template in _templates(spec):
        _add(template.setdefault("metadata", {}), LAB_LABELS)
    return out


def _templates(spec: dict[str, Any]) -> list[dict[str, Any]]:
    found = [
        t
        for t in (spec.get("template"), (spec.get("jobTemplate") or {}).get("spec", {}).get("template"))
        if isinstance(t, dict)
    ]
    found += [t for t in spec.get("volumeClaimTemplates") or [] if isinstance(t, dict)]
    return found


def _add(metadata: dict[str, Any], labels: dict[str, str]) -> None:
    metadata["labels"] = {**(metadata.get("labels") or {}), **labels}
