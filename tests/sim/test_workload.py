"""The stress Job: its manifest, how it is watched, its logs, and the comparison with the baseline."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pandas as pd
import pytest
import yaml

from sugarlab.kube.inventory import list_nodes_frame, list_pods_frame
from sugarlab.lab.errors import MissingBaseline
from sugarlab.lab.session import Lab
from sugarlab.steps import baseline, baseline_comparison, workload


def test_missing_baseline_names_the_notebook_to_run_first(shared_lab: Callable[..., Lab]) -> None:
    lab = shared_lab()
    with pytest.raises(MissingBaseline, match=re.escape("run notebooks/01-baseline.ipynb first")):
        baseline_comparison.load_baseline(lab)


def test_stress_job_is_watched_logged_and_compared(open_sim_lab: Callable[..., Lab]) -> None:
    lab = open_sim_lab(
        sim_workers=2,
        worker_profile="pi4-8gb",
        stress_args=["--cpu", "2", "--vm", "1", "--vm-bytes", "128M", "--timeout", "2m"],
    )
    baseline.save(lab, baseline.capture(lab.cluster))
    workload.launch(lab, workload.job_manifest(lab.params))
    observation = workload.observe(lab, progress=False)
    workload.save_observation(lab, observation)
    # The pods stress for 120 s; scheduling, start-up and the watch add the rest. At speed 120 a
    # simulated minute is half a real second, so a loaded test machine stretches it: keep the bound loose.
    assert observation.runtime_s is not None and 120 <= observation.runtime_s < 300
    spread = workload.pods_per_node(observation)
    pods_on = dict(zip(spread["node"], spread["pods"], strict=True))  # spread over every node, one apart at most
    assert set(pods_on) == {"sugarkube0", "sugarkube1", "sugarkube2"} and sorted(pods_on.values()) == [1, 1, 2]
    manifest = yaml.safe_load(lab.workspace.read_text(workload.MANIFEST))
    assert manifest["metadata"] == {"name": "stress-load", "namespace": "lab-scale"}
    assert "stress-load-" in lab.workspace.read_text(workload.DISTRIBUTION)
    report = workload.gather_logs(lab)
    assert report.count("successful run completed in 120s") == 4

    peak = baseline_comparison.peak_usage(observation.node_usage)
    busiest = max(pods_on, key=lambda node: pods_on[node])
    assert peak.loc[busiest, "cpu_percent"] > 90  # 2 pods x 3 busy workers on 4 cores
    assert all(60 < peak.loc[node, "cpu_percent"] < 90 for node in pods_on if node != busiest)  # 3 on 4 cores
    pods = workload.pod_usage_summary(observation).set_index("name")
    held = 129 * 2**20  # one --vm worker holding 128M, and the process itself
    assert len(pods) == 4 and ((pods["peak_memory_bytes"] - held).abs() < 0.05 * held).all()
    assert (pods["peak_cpu_cores"] > 1.5).all()  # two busy pods share a 4-core worker
    nodes = list_nodes_frame(lab.cluster)
    per_node = baseline_comparison.compare_nodes(
        baseline_comparison.load_baseline(lab), nodes, list_pods_frame(lab.cluster), peak
    )
    assert (per_node.set_index("node").loc[busiest, "delta_cpu_cores"]) > 3
    cluster = baseline_comparison.compare_cluster(baseline_comparison.load_baseline(lab), nodes, per_node).set_index(
        "measure"
    )
    assert cluster.loc["allocatable CPU (cores)", "post_expansion"] == 12

    old_pods = {pod.metadata.uid for pod in lab.cluster.core.list_namespaced_pod("lab-scale").items}
    workload.launch(lab, workload.job_manifest(lab.params))  # a rerun replaces the Job and its pods
    deadline = time.monotonic() + 30
    while len(new_pods := lab.cluster.core.list_namespaced_pod("lab-scale").items) < 4:
        assert time.monotonic() < deadline, "the new Job's pods did not appear"
        time.sleep(0.2)
    assert len(new_pods) == 4 and not {pod.metadata.uid for pod in new_pods} & old_pods


def test_cluster_comparison_counts_what_the_expansion_added() -> None:
    baseline_rows = pd.DataFrame(
        [
            {
                "kind": "node",
                "name": "sugarkube0",
                "node": "sugarkube0",
                "cpu_cores": 0.1,
                "cpu_percent": 2.5,
                "memory_bytes": 1.5e9,
                "cpu_allocatable": 4.0,
                "memory_allocatable": 8e9,
            },
            {"kind": "pod", "name": "coredns", "node": "sugarkube0", "cpu_cores": 0.004, "memory_bytes": 1.7e7},
        ]
    )
    nodes_now = pd.DataFrame(
        {"name": ["sugarkube0", "worker-a"], "cpu_allocatable": [4.0, 4.0], "memory_allocatable": [8e9, 8e9]}
    )
    pods_now = pd.DataFrame({"node": ["sugarkube0", "worker-a", "worker-a"], "phase": ["Running"] * 3})
    load = pd.DataFrame(
        {"cpu_cores": [0.12, 3.9], "cpu_percent": [3.0, 97.5], "memory_bytes": [1.5e9, 9e8]},
        index=pd.Index(["sugarkube0", "worker-a"], name="name"),
    )
    per_node = baseline_comparison.compare_nodes(baseline_rows, nodes_now, pods_now, load).set_index("node")
    assert per_node.loc["worker-a", "new"] and not per_node.loc["sugarkube0", "new"]
    assert per_node.loc["worker-a", "delta_cpu_cores"] == pytest.approx(3.9)
    cluster = baseline_comparison.compare_cluster(baseline_rows, nodes_now, per_node.reset_index()).set_index("measure")
    assert cluster.loc["nodes", "delta"] == 1
    assert cluster.loc["running pods", "post_expansion"] == 3
