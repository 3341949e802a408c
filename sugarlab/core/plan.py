"""Plan, then apply: what a notebook would change, shown before anything changes.

A plan lists the manifests the notebook applies, each checked by the cluster with a server-side dry
run, then the disruptive actions in the order they run. On a live cluster a notebook changes nothing
unless its own `apply` is True; on the simulator it always applies (a rehearsal). `apply` is one
notebook's choice, not the lab's: approving the join of two workers is not approving five minutes of
stress or fio on every disk, so each changing notebook declares it and it is never recorded for later
notebooks (`sugarlab run -p apply True` approves every notebook of that run).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sugarlab.core.lab import Lab
from sugarlab.kube.dry_run import Checked, check


@dataclass
class Plan:
    notebook: str
    applying: bool
    checked: list[Checked] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def refused(self) -> list[Checked]:
        return [c for c in self.checked if not c.ok]

    def markdown(self) -> str:
        mode = (
            "**Applying** this plan."
            if self.applying
            else "**Plan only**: nothing below runs and nothing changes; set `apply = True` to carry it out."
        )
        lines = [f"### What {self.notebook} changes", "", mode, "", "Manifests:", ""]
        lines += [f"{i}. {c.describe()}" for i, c in enumerate(self.checked, 1)] or ["(none)"]
        lines += ["", "Then, in this order:", ""]
        lines += [f"{i}. {action}" for i, action in enumerate(self.actions, 1)] or ["(nothing else)"]
        lines += ["", *[f"*{note}*" for note in self.notes]]
        return "\n".join(lines).rstrip() + "\n"


def make_plan(lab: Lab, manifests: list[dict[str, Any]], actions: list[str], notes: list[str] | None = None) -> Plan:
    """Check each manifest (a namespace the lab would create first, as `ensure_namespace` does) by dry run."""
    existing = {n.metadata.name for n in lab.cluster.core.list_namespace().items}
    docs: list[dict[str, Any]] = []
    for ns in dict.fromkeys(m["metadata"].get("namespace") for m in manifests):
        if ns and ns not in existing:
            docs.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    docs += manifests
    return Plan(lab.workspace.notebook, lab.applying, [check(lab.cluster, doc) for doc in docs], actions, notes or [])
