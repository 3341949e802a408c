"""The CronJob controller, after pkg/controller/cronjob/cronjob_controllerv2.go (kubernetes/kubernetes).

At each scheduled minute of cluster time it creates a Job named `<cronjob>-<minutes since the epoch>`
from the job template, owned by the CronJob, unless the CronJob is suspended or its
`concurrencyPolicy` forbids it (`Forbid` skips while a Job is active, `Replace` deletes the active
ones first). It keeps `status.active`, `lastScheduleTime` and `lastSuccessfulTime`, and deletes
finished Jobs beyond `successfulJobsHistoryLimit` (3) and `failedJobsHistoryLimit` (1).
"""

from __future__ import annotations

import copy
from datetime import datetime

from sugarlab.common.kubectl import format_time, parse_time
from sugarlab.common.objects import Obj
from sugarlab.sim.apis.batch_defaults import new_job
from sugarlab.sim.apis.owned import owned, owner_ref
from sugarlab.sim.machinery.cron import Schedule
from sugarlab.sim.machinery.errors import ApiError
from sugarlab.sim.storage import events
from sugarlab.sim.storage.deletion import delete_object
from sugarlab.sim.storage.store import Store

SCHEDULED = "batch.kubernetes.io/cronjob-scheduled-timestamp"
COMPONENT = "cronjob-controller"


def _finished(job: Obj) -> str | None:
    for condition in (job.get("status") or {}).get("conditions") or []:
        if condition.get("type") in ("Complete", "Failed") and condition.get("status") == "True":
            finished: str = condition["type"]
            return finished
    return None


def _reference(job: Obj) -> Obj:
    meta = job["metadata"]
    return {
        "kind": "Job",
        "namespace": meta["namespace"],
        "name": meta["name"],
        "uid": meta["uid"],
        "apiVersion": "batch/v1",
        "resourceVersion": meta.get("resourceVersion", ""),
    }


class CronJobController:
    def __init__(self, store: Store) -> None:
        self.store = store

    def reconcile(self) -> None:
        jobs = self.store.view(self.store.kind("Job"))
        for cronjob in self.store.view(self.store.kind("CronJob")):
            if "deletionTimestamp" not in cronjob["metadata"]:
                self._sync(copy.deepcopy(cronjob), [copy.deepcopy(j) for j in owned(jobs, cronjob)])

    def _sync(self, cronjob: Obj, jobs: list[Obj]) -> None:
        spec, status = cronjob["spec"], dict(cronjob.get("status") or {})
        running = [j for j in jobs if not _finished(j) and "deletionTimestamp" not in j["metadata"]]
        for job in jobs:
            state = _finished(job)
            if state and any(a["uid"] == job["metadata"]["uid"] for a in status.get("active") or []):
                events.record(
                    self.store,
                    cronjob,
                    "SawCompletedJob",
                    f"Saw completed job: {job['metadata']['name']}, condition: {state}",
                    COMPONENT,
                )
                if state == "Complete" and job["status"].get("completionTime"):
                    status["lastSuccessfulTime"] = job["status"]["completionTime"]
        now = self.store.clock.now()
        last = parse_time(status.get("lastScheduleTime") or cronjob["metadata"]["creationTimestamp"])
        due = Schedule.parse(spec["schedule"]).latest(last, now)
        if due is not None and not spec.get("suspend"):
            deadline = spec.get("startingDeadlineSeconds")
            if deadline is None or (now - due).total_seconds() <= deadline:
                running = self._run(cronjob, due, running)
            status["lastScheduleTime"] = format_time(due)
        status["active"] = [_reference(j) for j in running]
        if not status["active"]:
            status.pop("active")
        self._prune(cronjob, jobs)
        if status != (cronjob.get("status") or {}):
            self.store.update(
                self.store.kind("CronJob"),
                cronjob["metadata"]["namespace"],
                cronjob["metadata"]["name"],
                lambda o: o.update(status=status),
            )

    def _run(self, cronjob: Obj, due: datetime, running: list[Obj]) -> list[Obj]:
        policy, namespace = cronjob["spec"]["concurrencyPolicy"], cronjob["metadata"]["namespace"]
        if policy == "Forbid" and running:
            events.record(
                self.store,
                cronjob,
                "JobAlreadyActive",
                "Not starting job because prior execution is running and concurrency policy is Forbid",
                COMPONENT,
            )
            return running
        if policy == "Replace":
            for job in running:
                delete_object(self.store, self.store.kind("Job"), namespace, job["metadata"]["name"])
                events.record(
                    self.store, cronjob, "SuccessfulDelete", f"Deleted job {job['metadata']['name']}", COMPONENT
                )
            running = []
        template = copy.deepcopy(cronjob["spec"].get("jobTemplate") or {})
        meta = template.get("metadata") or {}
        name = f"{cronjob['metadata']['name']}-{int(due.timestamp()) // 60}"
        job = {
            "metadata": {
                "name": name,
                "namespace": namespace,
                "labels": meta.get("labels") or {},
                "annotations": {**(meta.get("annotations") or {}), SCHEDULED: format_time(due)},
                "ownerReferences": [owner_ref(cronjob)],
            },
            "spec": template.get("spec") or {},
        }
        try:
            new_job(job)
            created = self.store.create(self.store.kind("Job"), job)
        except ApiError as exc:
            events.record(
                self.store, cronjob, "FailedCreate", f"Error creating job: {exc.message}", COMPONENT, warning=True
            )
            return running
        events.record(self.store, cronjob, "SuccessfulCreate", f"Created job {name}", COMPONENT)
        return [*running, created]

    def _prune(self, cronjob: Obj, jobs: list[Obj]) -> None:
        for state, limit in (
            ("Complete", cronjob["spec"].get("successfulJobsHistoryLimit")),
            ("Failed", cronjob["spec"].get("failedJobsHistoryLimit")),
        ):
            done = sorted(
                (j for j in jobs if _finished(j) == state and "deletionTimestamp" not in j["metadata"]),
                key=lambda j: j["metadata"]["creationTimestamp"],
            )
            for job in done[: max(len(done) - limit, 0)] if limit is not None else []:
                delete_object(self.store, self.store.kind("Job"), job["metadata"]["namespace"], job["metadata"]["name"])
                events.record(
                    self.store, cronjob, "SuccessfulDelete", f"Deleted job {job['metadata']['name']}", COMPONENT
                )
