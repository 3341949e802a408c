"""ControllerRevisions: the template history StatefulSets and DaemonSets keep, for `kubectl rollout history`.

As pkg/controller/history in kubernetes/kubernetes: a revision named `<owner>-<hash>` holds the
pod template as a replace patch, is labelled with the owner's selector and
`controller.kubernetes.io/hash`, and is owned by it; returning to an earlier template gives that
revision the next number; at most `revisionHistoryLimit` (10) old revisions are kept beside the current one.
"""

from __future__ import annotations

import copy

from sugarlab.common.objects import Obj
from sugarlab.sim.apis.owned import owned, owner_ref
from sugarlab.sim.controllers.replicas import template_hash
from sugarlab.sim.storage.store import Store

HASH_LABEL = "controller.kubernetes.io/hash"


def revision_data(owner: Obj) -> Obj:
    template = copy.deepcopy(owner["spec"]["template"])
    template["$patch"] = "replace"
    return {"spec": {"template": template}}


class RevisionHistory:
    def __init__(self, store: Store) -> None:
        self.store = store

    def reconcile(self) -> None:
        revisions = self.store.view(self.store.kind("ControllerRevision"))
        for kind in ("StatefulSet", "DaemonSet"):
            for owner in self.store.view(self.store.kind(kind)):
                if "deletionTimestamp" not in owner["metadata"] and (owner.get("spec") or {}).get("template"):
                    self._sync(owner, owned(revisions, owner))

    def _sync(self, owner: Obj, history: list[Obj]) -> None:
        rt, meta = self.store.kind("ControllerRevision"), owner["metadata"]
        data = revision_data(owner)
        latest = max((r.get("revision", 0) for r in history), default=0)
        current = next((r for r in history if r.get("data") == data), None)
        if current is None:
            digest = template_hash(owner["spec"]["template"])
            labels = {**((owner["spec"].get("selector") or {}).get("matchLabels") or {}), HASH_LABEL: digest}
            current = self.store.create(
                rt,
                {
                    "metadata": {
                        "name": f"{meta['name']}-{digest}",
                        "namespace": meta["namespace"],
                        "labels": labels,
                        "ownerReferences": [owner_ref(owner)],
                    },
                    "data": data,
                    "revision": latest + 1,
                },
            )
            history = [*history, current]
        elif current.get("revision", 0) != latest:
            current = self.store.update(
                rt, meta["namespace"], current["metadata"]["name"], lambda r: r.update(revision=latest + 1)
            )
            history = [r for r in history if r["metadata"]["name"] != current["metadata"]["name"]] + [current]
        limit = owner["spec"].get("revisionHistoryLimit", 10)
        old = sorted(
            (r for r in history if r["metadata"]["name"] != current["metadata"]["name"]),
            key=lambda r: r.get("revision", 0),
        )
        for stale in old[: max(len(old) - limit, 0)]:
            self.store.delete(rt, meta["namespace"], stale["metadata"]["name"])
