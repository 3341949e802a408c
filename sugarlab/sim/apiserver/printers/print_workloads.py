"""Printers of the workload kinds (apps, batch, autoscaling, policy), after
pkg/printers/internalversion/printers.go (kubernetes/kubernetes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sugarlab.common.kubectl import age, condition_true, human_duration, parse_time, since
from sugarlab.common.objects import Obj
from sugarlab.sim.apiserver.printers.cells import (
    NONE,
    UNSET,
    bool_ptr,
    containers,
    format_labels,
    format_selector,
    selector_string,
)
from sugarlab.sim.apiserver.printers.columns import AGE, CONTAINERS, IMAGES, NAME, SELECTOR, Column, Printer


def _name(obj: Obj) -> str:
    name: str = obj["metadata"]["name"]
    return name


def _template_spec(obj: Obj) -> Obj:
    return ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}


def deployment_cells(d: Obj, now: datetime) -> list[Any]:
    spec, status = d.get("spec") or {}, d.get("status") or {}
    names, images = containers(_template_spec(d))
    return [
        _name(d),
        f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}",
        status.get("updatedReplicas", 0),
        status.get("availableReplicas", 0),
        age(d, now),
        names,
        images,
        selector_string(spec.get("selector")),
    ]


def replicaset_cells(rs: Obj, now: datetime) -> list[Any]:
    spec, status = rs.get("spec") or {}, rs.get("status") or {}
    names, images = containers(_template_spec(rs))
    return [
        _name(rs),
        spec.get("replicas", 1),
        status.get("replicas", 0),
        status.get("readyReplicas", 0),
        age(rs, now),
        names,
        images,
        format_selector(spec.get("selector")),
    ]


def daemonset_cells(ds: Obj, now: datetime) -> list[Any]:
    status = ds.get("status") or {}
    names, images = containers(_template_spec(ds))
    return [
        _name(ds),
        status.get("desiredNumberScheduled", 0),
        status.get("currentNumberScheduled", 0),
        status.get("numberReady", 0),
        status.get("updatedNumberScheduled", 0),
        status.get("numberAvailable", 0),
        format_labels(_template_spec(ds).get("nodeSelector")),
        age(ds, now),
        names,
        images,
        format_selector((ds.get("spec") or {}).get("selector")),
    ]


def statefulset_cells(sts: Obj, now: datetime) -> list[Any]:
    names, images = containers(_template_spec(sts))
    return [
        _name(sts),
        f"{(sts.get('status') or {}).get('readyReplicas', 0)}/{(sts.get('spec') or {}).get('replicas', 1)}",
        age(sts, now),
        names,
        images,
    ]


def revision_cells(rev: Obj, now: datetime) -> list[Any]:
    owner = next((o for o in rev["metadata"].get("ownerReferences") or [] if o.get("controller")), None)
    controller = NONE
    if owner is not None:
        group = owner["apiVersion"].rpartition("/")[0]
        controller = (
            f"{owner['kind']}.{group}".lower() + f"/{owner['name']}"
            if group
            else f"{owner['kind'].lower()}/{owner['name']}"
        )
    return [_name(rev), controller, rev.get("revision", 0), age(rev, now)]


def job_cells(job: Obj, now: datetime) -> list[Any]:
    spec, status = job.get("spec") or {}, job.get("status") or {}
    succeeded = status.get("succeeded", 0)
    if spec.get("completions") is not None:
        completions = f"{succeeded}/{spec['completions']}"
    elif (spec.get("parallelism") or 0) > 1:
        completions = f"{succeeded}/1 of {spec['parallelism']}"
    else:
        completions = f"{succeeded}/1"
    start, end = parse_time(status.get("startTime")), parse_time(status.get("completionTime"))
    duration = "" if start is None else human_duration((end or now) - start)
    if condition_true(job, "Complete"):
        state = "Complete"
    elif condition_true(job, "Failed"):
        state = "Failed"
    elif "deletionTimestamp" in job["metadata"]:
        state = "Terminating"
    elif condition_true(job, "Suspended"):
        state = "Suspended"
    elif condition_true(job, "FailureTarget"):
        state = "FailureTarget"
    else:
        state = "Running"
    names, images = containers(_template_spec(job))
    return [
        _name(job),
        state,
        completions,
        duration,
        age(job, now),
        names,
        images,
        format_selector(spec.get("selector")),
    ]


def cronjob_cells(cj: Obj, now: datetime) -> list[Any]:
    spec, status = cj.get("spec") or {}, cj.get("status") or {}
    job_spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    names, images = containers((job_spec.get("template") or {}).get("spec"))
    last = since(status["lastScheduleTime"], now) if status.get("lastScheduleTime") else NONE
    return [
        _name(cj),
        spec.get("schedule", ""),
        spec.get("timeZone") or NONE,
        bool_ptr(spec.get("suspend")),
        len(status.get("active") or []),
        last,
        age(cj, now),
        names,
        images,
        format_selector(job_spec.get("selector")),
    ]


def _metric(spec: Obj, status: Obj | None) -> str:
    """printers.go formatHPAMetrics, for the Resource and Pods metric sources."""
    kind = spec.get("type")
    if kind == "Resource":
        source, current = spec["resource"], (status or {}).get("resource") or {}
        target = source.get("target") or {}
        if target.get("averageValue") is not None:
            now_value = (current.get("current") or {}).get("averageValue", "<unknown>")
            return f"{source['name']}: {now_value}/{target['averageValue']}"
        utilization = (current.get("current") or {}).get("averageUtilization")
        wanted = target.get("averageUtilization")
        return (
            f"{source['name']}: {'<unknown>' if utilization is None else f'{utilization}%'}/"
            f"{'<auto>' if wanted is None else f'{wanted}%'}"
        )
    if kind == "Pods":
        current = (((status or {}).get("pods") or {}).get("current") or {}).get("averageValue", "<unknown>")
        return f"{current}/{spec['pods']['target'].get('averageValue', '')}"
    return "<unknown type>"


def hpa_cells(hpa: Obj, now: datetime) -> list[Any]:
    spec, status = hpa.get("spec") or {}, hpa.get("status") or {}
    metrics, current = spec.get("metrics") or [], status.get("currentMetrics") or []
    shown = [_metric(m, current[i] if i < len(current) else None) for i, m in enumerate(metrics)]
    targets = NONE if not shown else ", ".join(shown[:2]) + (f" + {len(shown) - 2} more..." if len(shown) > 2 else "")
    ref = spec.get("scaleTargetRef") or {}
    min_pods = str(spec["minReplicas"]) if spec.get("minReplicas") is not None else UNSET
    return [
        _name(hpa),
        f"{ref.get('kind', '')}/{ref.get('name', '')}",
        targets,
        min_pods,
        spec.get("maxReplicas", 0),
        status.get("currentReplicas", 0),
        age(hpa, now),
    ]


def budget_cells(pdb: Obj, now: datetime) -> list[Any]:
    spec = pdb.get("spec") or {}
    return [
        _name(pdb),
        str(spec["minAvailable"]) if spec.get("minAvailable") is not None else "N/A",
        str(spec["maxUnavailable"]) if spec.get("maxUnavailable") is not None else "N/A",
        (pdb.get("status") or {}).get("disruptionsAllowed", 0),
        age(pdb, now),
    ]


WORKLOAD_PRINTERS: dict[str, Printer] = {
    "Deployment": Printer(
        (
            NAME,
            Column("Ready", description="Number of the pod with ready state"),
            Column("Up-to-date"),
            Column("Available"),
            AGE,
            CONTAINERS,
            IMAGES,
            SELECTOR,
        ),
        deployment_cells,
    ),
    "ReplicaSet": Printer(
        (
            NAME,
            Column("Desired", "integer"),
            Column("Current", "integer"),
            Column("Ready", "integer"),
            AGE,
            CONTAINERS,
            IMAGES,
            SELECTOR,
        ),
        replicaset_cells,
    ),
    "DaemonSet": Printer(
        (
            NAME,
            Column("Desired", "integer"),
            Column("Current", "integer"),
            Column("Ready", "integer"),
            Column("Up-to-date", "integer"),
            Column("Available", "integer"),
            Column("Node Selector"),
            AGE,
            CONTAINERS,
            IMAGES,
            SELECTOR,
        ),
        daemonset_cells,
    ),
    "StatefulSet": Printer(
        (NAME, Column("Ready", description="Number of the pod with ready state"), AGE, CONTAINERS, IMAGES),
        statefulset_cells,
    ),
    "ControllerRevision": Printer(
        (NAME, Column("Controller", description="Controller of the object"), Column("Revision"), AGE), revision_cells
    ),
    "Job": Printer(
        (
            NAME,
            Column("Status", description="Status of the job."),
            Column("Completions"),
            Column("Duration", description="Time required to complete the job."),
            AGE,
            CONTAINERS,
            IMAGES,
            SELECTOR,
        ),
        job_cells,
    ),
    "CronJob": Printer(
        (
            NAME,
            Column("Schedule"),
            Column("Timezone"),
            Column("Suspend", "boolean"),
            Column("Active", "integer"),
            Column("Last Schedule"),
            AGE,
            CONTAINERS,
            IMAGES,
            SELECTOR,
        ),
        cronjob_cells,
    ),
    "HorizontalPodAutoscaler": Printer(
        (NAME, Column("Reference"), Column("Targets"), Column("MinPods"), Column("MaxPods"), Column("Replicas"), AGE),
        hpa_cells,
    ),
    "PodDisruptionBudget": Printer(
        (
            NAME,
            Column("Min Available", description="The minimum number of pods that must be available."),
            Column("Max Unavailable", description="The maximum number of pods that may be unavailable."),
            Column(
                "Allowed Disruptions",
                "integer",
                description="Calculated number of pods that may be disrupted at this time.",
            ),
            AGE,
        ),
        budget_cells,
    ),
}
