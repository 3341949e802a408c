"""Each changing notebook's plan: the manifests it applies and its disruptive actions, in order.

`show(lab)` is the one call a notebook makes after opening the lab: it checks the plan with the
cluster and shows it; when the notebook may not change the cluster (live, without `apply = True`), it
records the notebook's `plan` step as plan only and ends the notebook there (`sugarlab.views.plan_only`).
"""

from __future__ import annotations

from collections.abc import Callable

from sugarlab.core.errors import SugarlabError
from sugarlab.core.lab import Lab
from sugarlab.core.plan import Plan, make_plan
from sugarlab.steps import edge_ai, workload
from sugarlab.steps.operations import disruption, fio_bench
from sugarlab.steps.storage import nfs_class, tutorial_as_written, writer
from sugarlab.views import plan_only


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


def show(lab: Lab) -> Plan:
    """Check, show and record this notebook's plan; end a plan-only notebook here."""
    plan = PLANS[lab.workspace.notebook](lab)
    plan_only.show(plan.markdown())
    refused = "; ".join(c.describe() for c in plan.refused)
    if plan.applying and refused:
        lab.workspace.record_step("plan", False, refused)
        raise PlanRefused(f"the cluster refused the plan, so nothing was changed: {refused}")
    if not plan.applying:  # the notebook's own steps record what an applied plan did
        lab.workspace.record_step(
            "plan",
            not refused,
            f"plan only: {len(plan.checked)} manifests checked, "
            f"{len(plan.actions)} actions not run" + (f"; {refused}" if refused else ""),
        )
        plan_only.skip_remaining_cells()
    return plan
