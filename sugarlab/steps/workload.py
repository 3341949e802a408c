"""Tutorial step 3, "Deploy a workload that exercises the cluster": the stress Job, watched as it runs.

The tutorial's Job carries no toleration, so with workers tainted `sugarkube.io/role=worker:NoSchedule`
every pod would land on the controller. The manifest here adds the toleration (a parameter), which is
what lets the load spread over the new workers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from sugarlab.kube.apply import create, ensure_namespace
from sugarlab.kube.inventory import list_pods_frame, server_now
from sugarlab.kube.top import top_nodes, top_pods
from sugarlab.kube.wait import Pending, Pods, wait_for
from sugarlab.lab.errors import MetricsUnavailable, WaitTimeout
from sugarlab.lab.params import LabParams
from sugarlab.lab.session import Lab, Verdict
from sugarlab.views.tables import pods_table

NAMESPACE, JOB = "lab-scale", "stress-load"
MANIFEST = "workloads/lab-scale/stress-load-job.yaml"
DISTRIBUTION = "expansion/pod-distribution.txt"
REPORT = "expansion/stress-load-report.log"


def job_manifest(p: LabParams) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "restartPolicy": "Never",
        "containers": [{"name": "stress", "image": p.stress_image, "args": list(p.stress_args)}],
        # The load must reach every node the pods may use, the new workers included. kube-scheduler's default
        # spreading covers only pods of Services and workload controllers, not Jobs (kubernetes.io, "Pod Topology
        # Spread Constraints", cluster-level default constraints), and its LeastAllocated
        # score alone can put every stress pod on the emptiest node, say when a rerun finds the lab's other
        # pods on the workers. Tainted nodes the pods do not tolerate are no domain (`Honor`), so a Job
        # without the toleration still runs, all on the controller, as the tutorial's does.
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": "kubernetes.io/hostname",
                "whenUnsatisfiable": "DoNotSchedule",
                "nodeTaintsPolicy": "Honor",
                "labelSelector": {"matchLabels": {"app": JOB}},
            }
        ],
    }
    if p.tolerate_worker_taint:
        key, rest = p.worker_taint.split("=", 1)
        value, effect = rest.split(":")
        spec["tolerations"] = [{"key": key, "operator": "Equal", "value": value, "effect": effect}]
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": JOB, "namespace": NAMESPACE},
        "spec": {
            "parallelism": p.stress_parallelism,
            "completions": p.stress_completions,
            "template": {"metadata": {"labels": {"app": JOB}}, "spec": spec},
        },
    }


def launch(lab: Lab, manifest: dict[str, Any]) -> None:
    """Write the manifest where the tutorial keeps it, then (re)create the namespace's Job."""
    lab.workspace.write_text(MANIFEST, yaml.safe_dump(manifest, sort_keys=False))
    core, batch = lab.cluster.core, client.BatchV1Api(lab.cluster.api)
    ensure_namespace(lab.cluster, NAMESPACE)
    try:
        batch.delete_namespaced_job(JOB, NAMESPACE, propagation_policy="Foreground")
    except ApiException as error:
        if error.status != 404:
            raise

    def gone() -> bool | Pending:
        left = len(core.list_namespaced_pod(NAMESPACE, label_selector=f"job-name={JOB}").items)
        return (
            Pending(seen=f"{left} pods, Job {'still there' if _job_exists(batch) else 'gone'}")
            if left or _job_exists(batch)
            else True
        )

    wait_for(gone, f"the previous Job {NAMESPACE}/{JOB} and its pods to go", 60, speed=1.0)
    create(lab.cluster, manifest, NAMESPACE)


def _job_exists(batch: client.BatchV1Api) -> bool:
    try:
        batch.read_namespaced_job(JOB, NAMESPACE)
    except ApiException as error:
        if error.status == 404:
            return False
        raise
    return True


@dataclass
class Observation:
    placement: pd.DataFrame  # at, node, phase, pods
    node_usage: pd.DataFrame  # at, name, cpu_cores, cpu_percent, memory_bytes, memory_percent, provenance
    pod_usage: pd.DataFrame  # at, namespace, name, cpu_cores, memory_bytes, provenance (the Job's pods)
    snapshots: list[str]  # `kubectl get pods -o wide` at each sample, with its time
    job: dict[str, Any]

    @property
    def runtime_s(self) -> float | None:
        status = self.job.get("status", {})
        if not status.get("completionTime"):
            return None
        return float((pd.Timestamp(status["completionTime"]) - pd.Timestamp(status["startTime"])).total_seconds())


def observe(lab: Lab, progress: bool = True) -> Observation:
    """Sample placement and usage every `sample_every` cluster seconds until the Job ends or times out."""
    p = lab.params
    batch = client.BatchV1Api(lab.cluster.api)
    placement, usage, pod_usage, snapshots = [], [], [], []

    def sample() -> Any:
        job, _, headers = batch.read_namespaced_job_with_http_info(JOB, NAMESPACE)
        at = server_now(headers)
        pods = list_pods_frame(lab.cluster, NAMESPACE)
        pods = pods[pods["name"].str.startswith(f"{JOB}-")]
        snapshots.append(f"# {at.isoformat()}\n{pods_table(pods)}")
        for (node, phase), group in pods.groupby(["node", "phase"]):
            placement.append({"at": at, "node": node, "phase": phase, "pods": len(group)})
        try:
            usage.append(top_nodes(lab.cluster).assign(at=at))
            pod_usage.append(top_pods(lab.cluster, NAMESPACE).assign(at=at))
        except MetricsUnavailable:
            pass
        finished = any(c.type in ("Complete", "Failed") and c.status == "True" for c in job.status.conditions or [])
        return job if finished else Pending(job.status.succeeded or 0, p.stress_completions, value=job)

    try:
        job = wait_for(
            sample,
            "stress-load completions",
            p.stress_timeout,
            speed=lab.cluster.speed,
            interval=p.sample_every / lab.cluster.speed,
            progress=progress,
            pods=Pods(lab.cluster.core, NAMESPACE, f"job-name={JOB}", "stress_image"),
            counts=lambda job: (job.status.succeeded or 0, p.stress_completions),  # a failed Job ends short
        )
    except WaitTimeout as late:  # what was observed until then is the result
        job = late.last.value
    return Observation(
        pd.DataFrame(placement, columns=["at", "node", "phase", "pods"]),
        _joined(usage),
        _joined(pod_usage),
        snapshots,
        lab.cluster.api.sanitize_for_serialization(job),
    )


def _joined(frames: list[pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def save_observation(lab: Lab, observation: Observation) -> None:
    lab.workspace.write_text(DISTRIBUTION, "\n".join(observation.snapshots))


def gather_logs(lab: Lab) -> str:
    """Every stress pod's log (`kubectl logs job/stress-load` shows only one), written to the report."""
    pods = lab.cluster.core.list_namespaced_pod(NAMESPACE, label_selector=f"job-name={JOB}").items
    parts = []
    for pod in sorted(pods, key=lambda p: p.metadata.name):
        log = lab.cluster.core.read_namespaced_pod_log(pod.metadata.name, NAMESPACE)
        parts.append(f"==> {pod.metadata.name} on {pod.spec.node_name} ({pod.status.phase}) <==\n{log}")
    report = "\n".join(parts)
    lab.workspace.write_text(REPORT, report)
    return report


def pod_usage_summary(observation: Observation) -> pd.DataFrame:
    """Mean and peak CPU and memory of each stress pod over the samples that saw it running."""
    usage = observation.pod_usage
    if usage.empty:
        return pd.DataFrame()
    usage = usage.astype({"cpu_cores": float, "memory_bytes": float})
    return (
        usage.groupby("name")
        .agg(
            mean_cpu_cores=("cpu_cores", "mean"),
            peak_cpu_cores=("cpu_cores", "max"),
            peak_memory_bytes=("memory_bytes", "max"),
            samples=("at", "count"),
        )
        .reset_index()
    )


def pods_per_node(observation: Observation) -> pd.DataFrame:
    """Where the Job's pods ran: nodes by phase at the busiest sample."""
    running = observation.placement[observation.placement["phase"] == "Running"]
    if running.empty:
        return pd.DataFrame(columns=["node", "pods"])
    busiest = running.groupby("at")["pods"].sum().idxmax()
    return running[running["at"] == busiest].groupby("node", as_index=False)["pods"].sum()


def spread_verdict(spread: pd.DataFrame) -> Verdict:
    """The load spread when the busiest moment had pods on at least two nodes."""
    return Verdict(len(spread) >= 2, f"busiest moment: {dict(zip(spread['node'], spread['pods'], strict=True))}")


def runtime_verdict(observation: Observation) -> Verdict:
    runtime = observation.runtime_s
    return Verdict(runtime is not None, f"runtime {runtime:.0f} s" if runtime else "did not complete")
