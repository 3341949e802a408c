"""Plan, then apply: what a notebook would change, shown before anything changes.

A plan lists the manifests the notebook applies, each checked by the cluster with a server-side dry
run, then the disruptive actions in the order they run. On a live cluster a notebook changes nothing
unless its own `apply` is True; on the simulator it always applies (a rehearsal). `apply` is one
notebook's choice, not the lab's: approving the join of two workers is not approving five minutes of
stress or fio on every disk, so each changing notebook declares it and it is never recorded for later
notebooks (`sugarlab run -p apply True` approves every notebook of that run).

`show_plan(lab)` is the one call a notebook makes after opening the lab: it checks the notebook's plan with
the cluster and shows it; when the notebook may not change the cluster (live, without `apply = True`),
it records the notebook's `plan` step as plan only and stops the cells below that would change it.

A plan-only run must complete (Papermill and `sugarlab run` treat it as succeeded) yet run none of the
cells that would change the cluster or read what they would have made. IPython passes every cell's
source through `input_transformers_cleanup` before running it
(https://ipython.readthedocs.io/en/stable/config/inputtransforms.html), so such a cell is replaced by
one line saying it did not run and what to do. In JupyterLab the same kernel carries on: a cell that sets
`apply` runs, and once the kernel's `apply` is True the stop lifts itself, so the cells run again from
there carry the plan out without a restart. Cells that only read run after a plan-only stop too: those
that open the lab or show the plan, those that only import, and those whose first line is `READS_ONLY`
(06's events, SSH audit and final snapshot).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from IPython import get_ipython
from IPython.display import Markdown, display

from sugarlab.kube.dry_run import Checked, check
from sugarlab.lab.errors import SugarlabError
from sugarlab.lab.session import Lab
from sugarlab.lab.workspace import Workspace
from sugarlab.steps import edge_ai, workload
from sugarlab.steps.operations import disruption, fio_bench
from sugarlab.steps.storage import nfs_class, tutorial_as_written, writer

NOT_RUN = (
    "plan only: this cell did not run. To carry out the plan: set `apply = True` in the parameters cell "
    "(or any cell), run it, then run this cell and the ones below; no restart needed."
)
READS_ONLY = "# reads only"  # a cell's first line: it changes nothing, so it runs after a plan-only stop too
ASSIGNS_APPLY = re.compile(r"^apply\s*(?::[^=\n]*)?=(?!=)", re.MULTILINE)  # `apply = True`, `apply: bool = True`
STEP = "plan"


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
            else "**Plan only**: nothing changes, and the cells below that would change the cluster do not run; "
            "set `apply = True` and run the cells again to carry it out (no restart needed)."
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


class PlanRefused(SugarlabError):
    """The cluster refused a manifest of the plan in its server-side dry run; nothing was changed."""


def workload_plan(lab: Lab) -> Plan:
    p = lab.params
    return make_plan(
        lab,
        [workload.job_manifest(p)],
        [
            f"delete Job {workload.NAMESPACE}/{workload.JOB} and its pods, if an earlier run left them",
            f"run {p.stress_completions} pods of `stress {' '.join(p.stress_args)}` ({p.stress_parallelism} at once, "
            f"image {p.stress_image}), loading the nodes' CPU, I/O and memory until they finish",
        ],
    )


def storage_plan(lab: Lab) -> Plan:
    p, notes = lab.params, []
    docs = writer.manifests(p)
    try:
        docs.insert(0, nfs_class.manifest(p, nfs_class.choose(lab, nfs_class.detect(lab))))
    except SugarlabError as exc:
        notes.append(f"StorageClass {nfs_class.CLASS_NAME} cannot be made yet: {str(exc).splitlines()[0]}")
    actions = [
        f"replace StorageClass {nfs_class.CLASS_NAME} if its provisioner or parameters differ from the "
        "existing one (a class cannot change in place)",
        f"start the SQLite writer {writer.NAMESPACE}/{writer.POD}, writing a row every {p.write_interval:g} s",
    ]
    failures = {
        "delete-pod": f"delete pod {writer.NAMESPACE}/{writer.POD}; its StatefulSet recreates it",
        "drain-node": "drain the writer's node: cordon it, evict its pods (budgets respected), uncordon it",
        "power-off": "power-off: the simulator only (skipped on a live cluster)",
        "node-down": "stop the writer's node's k3s agent over SSH (`systemctl stop k3s-agent`), then, once its "
        "pods are evicted, its containers (`k3s-killall.sh`), taint it out of service, and start "
        "the agent again",
        "nas-outage": "nas-outage: the simulator only (skipped on a live cluster)",
    }
    if tutorial_as_written.wanted(p):
        actions.insert(0, "apply the tutorial's StatefulSet as written, show it fail, then delete it and its claim")
    actions += [failures[name] for name in p.failures]
    return make_plan(lab, docs, actions, notes)


def edge_ai_plan(lab: Lab) -> Plan:
    p = lab.params
    docs = [
        edge_ai.source_configmap(),
        *edge_ai.deployment_manifests(p, edge_ai.Tuning(replicas=p.edge_replicas, cpu_limit=p.edge_cpu_limit)),
    ]
    return make_plan(
        lab,
        docs,
        [
            f"roll out {p.edge_replicas} inference pods of {p.edge_image} (they install their packages and "
            "download the model first)",
            f"the {p.sweep_size} tuning sweep: redeploy {edge_ai.NAMESPACE}/{edge_ai.NAME} with each setting and "
            f"load it with {p.sweep_requests} requests per point",
        ],
    )


def operations_plan(lab: Lab) -> Plan:
    p = lab.params
    _, budgets = disruption.discover(lab)
    nodes = fio_bench.target_nodes(lab)
    jobs = [fio_bench.job_manifest(p, node) for node in nodes]
    names = ", ".join(n["metadata"]["name"] for n in nodes)
    return make_plan(
        lab,
        [*budgets, *jobs],
        [
            "evict pods covered by a budget until one eviction is refused (an allowed eviction restarts that pod)",
            f"delete the fio Jobs of an earlier run in {fio_bench.NAMESPACE}",
            f"run fio with direct I/O ({p.fio_ioengine}, {p.fio_size}, {p.fio_runtime} s) on every node: {names}, "
            f"on its {p.fio_volume}",
            "delete the fio Jobs and their pods",
        ],
    )


PLANS: dict[str, Callable[[Lab], Plan]] = {
    "03-workload": workload_plan,
    "04-storage": storage_plan,
    "05-edge-ai": edge_ai_plan,
    "06-operations": operations_plan,
}


def show_plan(lab: Lab) -> Plan:
    """Check, show and record this notebook's plan; stop a plan-only notebook's changing cells here.

    The kernel's `apply` counts too: a lab opened before `apply = True` was set in this kernel carries out
    the plan it was shown, as the stop's message promises."""
    plan = PLANS[lab.workspace.notebook](lab)
    plan.applying = plan.applying or kernel_apply()
    display(Markdown(plan.markdown()))
    refused = "; ".join(c.describe() for c in plan.refused)
    if plan.applying and refused:
        lab.workspace.record_step(STEP, False, refused)
        raise PlanRefused(f"the cluster refused the plan, so nothing was changed: {refused}")
    if plan.applying:  # the notebook's own steps record what an applied plan did, once it no longer reads plan only
        PlanOnlyStop.lift()
        replace_plan_only_record(lab.workspace)
        return plan
    lab.workspace.record_step(
        STEP,
        not refused,
        f"plan only: {len(plan.checked)} manifests checked, "
        f"{len(plan.actions)} actions not run" + (f"; {refused}" if refused else ""),
    )
    PlanOnlyStop.install(lab.workspace)
    return plan


def kernel_apply() -> bool:
    """Whether this IPython kernel's `apply` is True (False outside IPython)."""
    shell = get_ipython()
    return shell is not None and shell.user_ns.get("apply") is True


def replace_plan_only_record(workspace: Workspace) -> None:
    """A plan carried out after a plan-only stop no longer stands as plan only in the workspace's steps."""
    step = next((s for s in workspace.steps() if (s.notebook, s.step) == (workspace.notebook, STEP)), None)
    if step is not None and step.detail.startswith("plan only:"):
        workspace.record_step(STEP, True, "applied after a plan-only stop (apply = True set in the same kernel)")


def runs_when_plan_only(source: str) -> bool:
    """Whether a cell runs after a plan-only stop: it sets `apply`, opens the lab, shows the plan, only
    imports, or is marked `READS_ONLY`."""
    if source.lstrip().startswith(READS_ONLY) or ASSIGNS_APPLY.search(source):
        return True
    if "open_lab(" in source or "show_plan(" in source:
        return True
    code = "".join(line for line in source.splitlines(keepends=True) if not line.lstrip().startswith("%"))
    try:
        body = ast.parse(code).body
    except SyntaxError:
        return False
    return bool(body) and all(isinstance(statement, ast.Import | ast.ImportFrom) for statement in body)


@dataclass
class PlanOnlyStop:
    """The input transformer of a plan-only stop: a cell that would change the cluster prints `NOT_RUN`
    instead of running, until the kernel's `apply` is True."""

    workspace: Workspace
    has_side_effects: ClassVar[bool] = True  # IPython's check_complete then leaves it out (inputtransformer2.py)

    def __call__(self, lines: list[str]) -> list[str]:
        if kernel_apply():
            PlanOnlyStop.lift()
            replace_plan_only_record(self.workspace)
            return lines
        return lines if runs_when_plan_only("".join(lines)) else [f"print({NOT_RUN!r})\n"]

    @staticmethod
    def install(workspace: Workspace) -> None:
        """Stop the changing cells after this one (one stop per kernel; none outside IPython)."""
        shell = get_ipython()
        if shell is not None:
            PlanOnlyStop.lift()
            shell.input_transformers_cleanup.append(PlanOnlyStop(workspace))

    @staticmethod
    def lift() -> None:
        shell = get_ipython()
        if shell is not None:
            cleanup = shell.input_transformers_cleanup
            cleanup[:] = [t for t in cleanup if not isinstance(t, PlanOnlyStop)]
