"""Defaulting and validation of the batch/v1 kinds (pkg/apis/batch/v1/defaults.go and the job REST
strategy in pkg/registry/batch/job): the controller-uid selector and labels, completions and parallelism 1,
backoffLimit 6, a pod template whose restartPolicy must be Never or OnFailure, and a CronJob's schedule."""

from __future__ import annotations

import uuid

from sugarlab.common.objects import Obj
from sugarlab.sim.machinery.cron import Schedule, ScheduleError
from sugarlab.sim.machinery.errors import ApiError


def default_job(job: Obj) -> None:
    spec = job.setdefault("spec", {})
    restart = ((spec.get("template") or {}).get("spec") or {}).get("restartPolicy")
    if restart not in ("Never", "OnFailure"):
        raise ApiError.invalid(
            "Job",
            job["metadata"].get("name", ""),
            [
                (
                    "spec.template.spec.restartPolicy",
                    f'Unsupported value: "{restart or ""}": supported values: "OnFailure", "Never"',
                )
            ],
            "batch",
        )
    spec.setdefault("parallelism", 1)
    spec.setdefault("completions", 1)
    spec.setdefault("backoffLimit", 6)
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    job["status"] = {}


def job_selector_labels(job: Obj) -> dict[str, str]:
    uid, name = job["metadata"]["uid"], job["metadata"]["name"]
    return {
        "batch.kubernetes.io/controller-uid": uid,
        "batch.kubernetes.io/job-name": name,
        "controller-uid": uid,
        "job-name": name,
    }


def job_labels(job: Obj) -> None:
    """What the API server adds to a new Job once it has a uid: selector and template labels."""
    labels = job_selector_labels(job)
    job["spec"]["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": job["metadata"]["uid"]}}
    template_meta = job["spec"]["template"].setdefault("metadata", {})
    template_meta["labels"] = {**(template_meta.get("labels") or {}), **labels}


def new_job(job: Obj) -> None:
    """A Job as the API server creates it, whoever asks (pkg/registry/batch/job's PrepareForCreate, which runs
    once the object has its uid): defaults, then the controller-uid selector and labels."""
    default_job(job)
    job["metadata"].setdefault("uid", str(uuid.uuid4()))
    job_labels(job)


def default_cronjob(cronjob: Obj) -> None:
    """SetDefaults_CronJob, and the schedule's validation (a bad one is refused with 422)."""
    spec = cronjob.setdefault("spec", {})
    try:
        Schedule.parse(str(spec.get("schedule", "")))
    except ScheduleError as exc:
        raise ApiError.invalid(
            "CronJob",
            cronjob["metadata"].get("name", ""),
            [("spec.schedule", f'Invalid value: "{spec.get("schedule", "")}": {exc}')],
        ) from None
    spec.setdefault("concurrencyPolicy", "Allow")
    spec.setdefault("suspend", False)
    spec.setdefault("successfulJobsHistoryLimit", 3)
    spec.setdefault("failedJobsHistoryLimit", 1)
    cronjob["status"] = {}
