"""Tutorial step 6.3, "Benchmark storage throughput on each node": one fio Job per node, read back as a frame.

The tutorial runs one `kubectl create job fio-benchmark`, whose single pod lands wherever the scheduler
puts it (with tainted workers: always the controller) and whose `kubectl logs` holds fio's text report.
Here each node gets its own Job, pinned to it by a required node affinity on `kubernetes.io/hostname`
and tolerating the worker taint (and any other taint that node carries), so every node is measured.
fio prints its JSON report (`--output-format=json`), which `sugarlab.steps.operations.fio_output.parse_fio` reads.

The tutorial's fio command asks for `--iodepth=32` but names no `--ioengine`, so fio uses its
synchronous default (psync) and caps the depth at 1; the Jobs here use `libaio` (a parameter) so that
32 reads are really in flight.

Provenance: `cluster` on a live cluster. On the simulator the report itself says what it is (its
`"sugarlab"` object, see `sugarlab.sim.world.fio`): `local` when real fio ran on this machine, `simulated`
when the node's storage medium was modelled. A local run is cut short (`sugarlab.sim.kubelet.fio_runs`,
`local_argv`: at most 16 MiB for at most 3 s); the results' `shortened` column says from what to what, and
the summary's caption says it under the table. Real fio never adds that object, so on a live cluster the
column is empty and nothing is said.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pandas as pd
import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from sugarlab.kube.apply import create, ensure_namespace
from sugarlab.kube.wait import Pending, Pods, wait_for
from sugarlab.lab.errors import FioOutputError, ParameterError, WaitTimeout
from sugarlab.lab.params import LabParams
from sugarlab.lab.session import Lab, Verdict
from sugarlab.steps.operations.fio_output import COLUMNS, PERCENTILES, fio_command, measured, parse_fio
from sugarlab.views.readable import CAPTION

NAMESPACE, APP = "lab-scale", "fio-benchmark"
MOUNT = "/data"
MANIFESTS = "workloads/lab-scale/fio-benchmark-jobs.yaml"
REPORT, RESULTS = "operations/fio-report.log", "operations/fio-results.csv"
RESULT_COLUMNS = [*COLUMNS, "medium", "diagnosis"]  # what the report requires of operations/fio-results.csv
SHORTENED = "shortened"  # written after them; results written before it existed lack it
MEDIUM_ANNOTATION = "sim.sugarlab.io/storage-medium"  # read by the simulator's fio (sugarlab.sim.world.fio)
HOSTNAME = "kubernetes.io/hostname"


def job_name(node: str) -> str:
    """`fio-benchmark-<node>`, kept to a valid object name (63 characters at most)."""
    return f"{APP}-{re.sub(r'[^a-z0-9-]', '-', node.lower())}"[:63].rstrip("-")


def target_nodes(lab: Lab) -> list[dict[str, Any]]:
    """The nodes to benchmark (`fio_nodes`, or every node), as the API returns them."""
    nodes = {
        n["metadata"]["name"]: n for n in lab.cluster.api.sanitize_for_serialization(lab.cluster.core.list_node().items)
    }
    wanted = lab.params.fio_nodes or sorted(nodes)
    missing = [n for n in wanted if n not in nodes]
    if missing:
        raise ParameterError(
            "fio_nodes",
            lab.params.fio_nodes,
            f"no node called {', '.join(missing)}; the cluster's nodes are {', '.join(sorted(nodes))}",
        )
    return [nodes[n] for n in wanted]


def _toleration(taint: dict[str, Any]) -> dict[str, Any]:
    toleration = {"key": taint["key"], "operator": "Equal", "value": taint.get("value", ""), "effect": taint["effect"]}
    return toleration if taint.get("value") else {"key": taint["key"], "operator": "Exists", "effect": taint["effect"]}


def job_manifest(p: LabParams, node: dict[str, Any]) -> dict[str, Any]:
    name = node["metadata"]["name"]
    key, rest = p.worker_taint.split("=", 1)
    value, effect = rest.split(":")
    tolerations = [{"key": key, "operator": "Equal", "value": value, "effect": effect}]
    tolerations += [
        _toleration(t)
        for t in (node.get("spec") or {}).get("taints") or []
        if t["key"] != key and t["effect"] in ("NoSchedule", "NoExecute")
    ]
    volume: dict[str, Any] = (
        {"name": "data", "emptyDir": {}}
        if p.fio_volume == "emptyDir"
        else {"name": "data", "hostPath": {"path": p.fio_host_path, "type": "DirectoryOrCreate"}}
    )
    command = fio_command(
        f"{MOUNT}/benchmark/testfile",
        size=p.fio_size,
        runtime_s=p.fio_runtime,
        iodepth=p.fio_iodepth,
        ioengine=p.fio_ioengine,
    )
    labels = {"app": APP, "sugarlab.io/node": name[:63]}
    affinity = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {
                        "matchExpressions": [
                            {
                                "key": HOSTNAME,
                                "operator": "In",
                                "values": [node["metadata"].get("labels", {}).get(HOSTNAME, name)],
                            }
                        ]
                    }
                ]
            }
        }
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": job_name(name), "namespace": NAMESPACE, "labels": labels},
        "spec": {
            "backoffLimit": 0,
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "restartPolicy": "Never",
                    "affinity": affinity,
                    "tolerations": tolerations,
                    "containers": [
                        {
                            "name": "fio",
                            "image": p.fio_image,
                            "command": command,
                            "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}},
                            "volumeMounts": [{"name": "data", "mountPath": MOUNT}],
                        }
                    ],
                    "volumes": [volume],
                },
            },
        },
    }


def set_simulated_media(lab: Lab, nodes: list[dict[str, Any]]) -> None:
    """Simulator only: give nodes the storage media of `fio_sim_media` (others keep their profile's)."""
    if not lab.cluster.rehearsal:
        return
    names = {n["metadata"]["name"] for n in nodes}
    unknown = sorted(set(lab.params.fio_sim_media) - names)
    if unknown:
        raise ParameterError(
            "fio_sim_media",
            lab.params.fio_sim_media,
            f"no benchmarked node called {', '.join(unknown)} (nodes: {', '.join(sorted(names))})",
        )
    for node in nodes:
        name, annotations = node["metadata"]["name"], node["metadata"].get("annotations") or {}
        medium = lab.params.fio_sim_media.get(name)
        if annotations.get(MEDIUM_ANNOTATION) != medium:  # None removes an earlier run's choice
            lab.cluster.core.patch_node(name, {"metadata": {"annotations": {MEDIUM_ANNOTATION: medium}}})


def launch(lab: Lab, manifests: list[dict[str, Any]]) -> None:
    """Write the manifests, remove an earlier run's Jobs, and create one Job per node."""
    lab.workspace.write_text(MANIFESTS, yaml.safe_dump_all(manifests, sort_keys=False))
    ensure_namespace(lab.cluster, NAMESPACE)
    delete(lab, wait=True)
    for manifest in manifests:
        create(lab.cluster, manifest, NAMESPACE)


def delete(lab: Lab, wait: bool = False) -> int:
    """Delete the benchmark's Jobs and their pods (`kubectl delete job`); return how many Jobs there were."""
    core, batch = lab.cluster.core, client.BatchV1Api(lab.cluster.api)
    jobs = batch.list_namespaced_job(NAMESPACE, label_selector=f"app={APP}").items
    for job in jobs:
        try:
            batch.delete_namespaced_job(job.metadata.name, NAMESPACE, propagation_policy="Background")
        except ApiException as error:
            if error.status != 404:
                raise

    def gone() -> bool | Pending:
        left = (
            len(batch.list_namespaced_job(NAMESPACE, label_selector=f"app={APP}").items),
            len(core.list_namespaced_pod(NAMESPACE, label_selector=f"app={APP}").items),
        )
        return Pending(seen=f"{left[0]} Jobs and {left[1]} pods") if any(left) else True

    if wait:
        wait_for(gone, f"the earlier {APP} Jobs in {NAMESPACE} and their pods to go", 60)
    return len(jobs)


def _finished(job: Any) -> str | None:
    for condition in job.status.conditions or []:
        if condition.type in ("Complete", "Failed") and condition.status == "True":
            return str(condition.type)
    return None


def wait(lab: Lab, nodes: list[str], progress: bool = True) -> dict[str, str]:
    """Until every node's Job has completed or failed, or `fio_timeout` cluster seconds have passed.
    Returns node -> Complete, Failed or Running (still going at the timeout)."""
    batch = client.BatchV1Api(lab.cluster.api)
    outcome = {node: "Running" for node in nodes}

    def finished() -> dict[str, str] | Pending:
        for node in (n for n, state in outcome.items() if state == "Running"):
            outcome[node] = _finished(batch.read_namespaced_job(job_name(node), NAMESPACE)) or "Running"
        done = sum(state != "Running" for state in outcome.values())
        return outcome if done == len(nodes) else Pending(done, len(nodes), value=outcome)

    try:
        return wait_for(
            finished,
            "fio Jobs finished",
            lab.params.fio_timeout,
            speed=lab.cluster.speed,
            interval=min(5.0 / lab.cluster.speed, 1.0),
            progress=progress,
            pods=Pods(lab.cluster.core, NAMESPACE, f"app={APP}", "fio_image"),
            counts=lambda ended: (
                sum(state == "Complete" for state in ended.values()),
                len(nodes),
            ),  # a failed one: red
        )
    except WaitTimeout as late:  # the Jobs still running are reported as such
        return dict(late.last.value)


def _json_report(text: str) -> dict[str, Any]:
    """fio's JSON report in a log ({} when it holds none)."""
    decoder = json.JSONDecoder()
    for match in re.finditer(r"\{", text):
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict) and "jobs" in value:
            return value
    return {}


def _note(report: dict[str, Any]) -> dict[str, Any]:
    """The `"sugarlab"` object the simulator adds to a fio report ({} in real fio output)."""
    note = report.get("sugarlab")
    return note if isinstance(note, dict) else {}


def shortened(report: dict[str, Any]) -> str:
    """What the simulator cut from the command before running fio for real on its machine, as
    `--runtime=60 --size=1G cut to --runtime=3 --size=16M`: the options it asked for, from the note's
    `cut_from` (`sugarlab.sim.kubelet.fio_runs.local_argv`), and those fio ran with, from fio's own
    `job options`. "" when nothing was cut, as in any real fio report."""
    cut = _note(report).get("cut_from") or {}
    if not cut:
        return ""
    ran = (report.get("jobs") or [{}])[0].get("job options") or {}
    asked = " ".join(f"--{key}={value}" for key, value in sorted(cut.items()))
    used = " ".join(f"--{key}={ran.get(key, '?')}" for key in sorted(cut))
    return f"{asked} cut to {used}"


def _pod_log(lab: Lab, node: str) -> tuple[str, str]:
    """The newest pod of the node's Job: (a header for the report, its log)."""
    pods = lab.cluster.core.list_namespaced_pod(NAMESPACE, label_selector=f"job-name={job_name(node)}").items
    if not pods:
        return f"{job_name(node)}: no pod", ""
    pod = max(pods, key=lambda p: p.metadata.creation_timestamp)
    header = f"pod {pod.metadata.name} on {pod.spec.node_name or '<none>'} ({pod.status.phase})"
    try:
        return header, lab.cluster.core.read_namespaced_pod_log(pod.metadata.name, NAMESPACE)
    except ApiException as error:
        return header, f"(no log: {error.reason})"


def _failed_row(node: str, provenance: str, diagnosis: str) -> dict[str, Any]:
    row: dict[str, Any] = {column: math.nan for column in COLUMNS}
    return row | {
        "node": node,
        "job": APP,
        "rw": None,
        "bs": None,
        "iodepth": None,
        "ioengine": None,
        "error": None,
        "fio_version": None,
        "provenance": provenance,
        "medium": None,
        "diagnosis": diagnosis,
        SHORTENED: "",
    }


def collect(lab: Lab, outcome: dict[str, str]) -> tuple[pd.DataFrame, str]:
    """Every node's fio report: the results frame (one row per node) and the raw text of every log."""
    rows, parts = [], []
    for node, state in outcome.items():
        header, log = _pod_log(lab, node)
        parts.append(f"==> {node}: Job {job_name(node)} {state}, {header} <==\n{log.rstrip()}\n")
        report = _json_report(log)
        note = _note(report)
        provenance = str(note.get("provenance") or lab.cluster.provenance)
        try:
            frame = parse_fio(log, node=node, provenance=provenance)
        except FioOutputError as error:
            diagnosis = (
                f"Job {state}: {error.reason}"
                if state != "Running"
                else f"still running after {lab.params.fio_timeout:.0f} cluster seconds (fio_timeout)"
            )
            rows.append(_failed_row(node, provenance, diagnosis))
            continue
        row = frame.iloc[0].to_dict()
        problem = f"fio error {row['error']}" if row["error"] else ("" if state == "Complete" else f"Job {state}")
        medium = note.get("medium_title") or note.get("medium")
        rows.append(row | {"medium": medium, "diagnosis": problem, SHORTENED: shortened(report)})
    columns = [*RESULT_COLUMNS, SHORTENED]
    results = pd.DataFrame(rows, columns=columns).astype({"iodepth": "Int64", "error": "Int64"})
    return results, "\n".join(parts)


def save(lab: Lab, results: pd.DataFrame, raw: str) -> None:
    """`operations/fio-report.log` (every node's fio output) and `operations/fio-results.csv`."""
    lab.workspace.write_text(REPORT, raw)
    lab.workspace.write_text(RESULTS, results.to_csv(index=False))


def shortened_caption(results: pd.DataFrame) -> str:
    """Under the summary when the simulator cut fio short, why `runtime_s` is not the planned runtime;
    "" otherwise (a live cluster's results, or results that predate the `shortened` column)."""
    cuts = sorted({str(c) for c in results.get(SHORTENED, pd.Series(dtype=object)).fillna("") if c})
    if not cuts:
        return ""
    return (
        f"Shortened by the simulator: {'; '.join(cuts)}. The simulator runs fio for real on the machine "
        "running it (provenance local) and caps each run's size and runtime (sugarlab/sim/kubelet/fio_runs.py, "
        "local_argv), so that a rehearsal, whose clock runs faster than real time, neither waits a real minute "
        "nor writes a gigabyte to that one disk for each node: runtime_s is the capped run's, and the figures "
        "are that machine's disk, not a Raspberry Pi's. On your cluster fio runs as planned."
    )


def summary(results: pd.DataFrame) -> pd.DataFrame:
    """What a reader compares between nodes, per job and direction it moved data in: IOPS, MiB/s, latency
    percentiles in ms, runtime, errors; its caption (`attrs["caption"]`, shown under the table) says when
    the simulator shortened the runs (`shortened_caption`)."""
    rows = measured(results)
    frame = pd.DataFrame(
        {
            "node": rows["node"],
            "medium": rows["medium"],
            "workload": rows["workload"],
            "iops": rows["iops"].round(0),
            "MiB/s": (rows["bw_kib_s"] / 1024).round(1),
        }
    )
    for name in PERCENTILES:
        frame[f"clat {name.replace('_', '.')} ms"] = (rows[f"clat_{name}_us"] / 1000).round(3)
    frame = frame.assign(
        runtime_s=rows["runtime_ms"] / 1000,
        error=rows["error"],
        diagnosis=rows["diagnosis"],
        provenance=rows["provenance"],
    )
    caption = shortened_caption(results)
    if caption:
        frame.attrs[CAPTION] = caption
    return frame


def verdict(results: pd.DataFrame) -> Verdict:
    """Passed when every node's fio ran and reported; the detail gives each node's IOPS or diagnosis."""
    return Verdict(
        bool(results["diagnosis"].fillna("").eq("").all()),
        "; ".join(
            f"{r.node}: {r.iops:,.0f} {r.workload} IOPS ({r.provenance})"
            if r.diagnosis == ""
            else f"{r.node}: {r.diagnosis}"
            for r in measured(results).itertuples()
        ),
    )
