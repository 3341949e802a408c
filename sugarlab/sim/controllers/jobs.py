"""The Job controller: runs a Job's pods to its completions, within its parallelism and backoff limit."""

from __future__ import annotations

from sugarlab.common.kubectl import new_condition
from sugarlab.common.objects import Obj
from sugarlab.sim.apis.batch_defaults import job_selector_labels
from sugarlab.sim.apis.owned import create_pod
from sugarlab.sim.storage import events
from sugarlab.sim.storage.store import Store

ACTIVE = ("Pending", "Running")


def finished(job: Obj) -> bool:
    return any(
        c["type"] in ("Complete", "Failed") and c["status"] == "True"
        for c in job.get("status", {}).get("conditions", [])
    )


class JobController:
    def __init__(self, store: Store) -> None:
        self.store = store

    def reconcile(self) -> None:
        pods_by_owner: dict[str, list[Obj]] = {}
        for pod in self.store.view(self.store.kind("Pod")):
            for ref in pod["metadata"].get("ownerReferences", []):
                pods_by_owner.setdefault(ref["uid"], []).append(pod)
        for job in self.store.view(self.store.kind("Job")):
            if not finished(job) and not job["spec"].get("suspend") and "deletionTimestamp" not in job["metadata"]:
                self._sync(job, pods_by_owner.get(job["metadata"]["uid"], []))

    def _sync(self, job: Obj, pods: list[Obj]) -> None:
        spec, now = job["spec"], self.store.clock.stamp()
        active = [
            p
            for p in pods
            if p.get("status", {}).get("phase", "Pending") in ACTIVE and "deletionTimestamp" not in p["metadata"]
        ]
        succeeded = sum(p.get("status", {}).get("phase") == "Succeeded" for p in pods)
        failed = sum(p.get("status", {}).get("phase") == "Failed" for p in pods)
        conditions: list[Obj] = []
        if failed > spec["backoffLimit"]:
            conditions = [
                _job_condition(
                    "FailureTarget", now, "BackoffLimitExceeded", "Job has reached the specified backoff limit"
                ),
                _job_condition("Failed", now, "BackoffLimitExceeded", "Job has reached the specified backoff limit"),
            ]
        elif succeeded >= spec["completions"]:
            conditions = [
                _job_condition(
                    "SuccessCriteriaMet", now, "CompletionsReached", "Reached expected number of succeeded pods"
                ),
                _job_condition("Complete", now, "CompletionsReached", "Reached expected number of succeeded pods"),
            ]
        else:
            wanted = min(spec["parallelism"], spec["completions"] - succeeded) - len(active)
            for _ in range(max(wanted, 0)):
                active.append(create_pod(self.store, job, "job-controller", job_selector_labels(job)))
        ready = sum(
            any(c["type"] == "Ready" and c["status"] == "True" for c in p.get("status", {}).get("conditions", []))
            for p in active
        )

        def record(obj: Obj) -> None:
            status = obj.setdefault("status", {})
            status.setdefault("startTime", now)
            status.update(
                {
                    "active": len(active) if not conditions else 0,
                    "succeeded": succeeded,
                    "failed": failed,
                    "ready": ready if not conditions else 0,
                    "terminating": 0,
                }
            )
            for key in [k for k in ("active", "succeeded", "failed") if not status[k]]:
                del status[key]  # the real controller omits zero counts
            if conditions:
                status["conditions"] = conditions
                if conditions[-1]["type"] == "Complete":
                    status["completionTime"] = now

        updated = self.store.update(
            self.store.kind("Job"), job["metadata"]["namespace"], job["metadata"]["name"], record
        )
        if conditions:
            reason = "Completed" if conditions[-1]["type"] == "Complete" else "BackoffLimitExceeded"
            message = "Job completed" if reason == "Completed" else "Job has reached the specified backoff limit"
            events.record(self.store, updated, reason, message, "job-controller", warning=reason != "Completed")


def _job_condition(kind: str, now: str, reason: str, message: str) -> Obj:
    """A Job condition as pkg/controller/job newCondition writes it: True, probed and changed now."""
    return new_condition(kind, "True", now, lastProbeTime=now, reason=reason, message=message)
