"""The inference service deployed: manifests, rollout on the simulator, the service proxy, the study's verdict."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from sugarlab.steps import edge_ai


def test_service_rolls_out_and_answers_through_the_proxy(open_sim_lab) -> None:
    lab = open_sim_lab(sim_workers=1, worker_profile="pi4-8gb", edge_replicas=1)
    configmap = edge_ai.source_configmap()
    docs = edge_ai.deployment_manifests(lab.params, edge_ai.Tuning(replicas=1))
    edge_ai.write_manifests(lab, configmap, docs)
    edge_ai.apply(lab, [configmap, *docs])
    deployment = edge_ai.wait_rollout(lab, progress=False)
    assert deployment["status"]["availableReplicas"] == 1
    pods = lab.cluster.core.list_namespaced_pod("edge-ai").items
    assert [p.spec.node_name for p in pods] == ["sugarkube1"]  # the toleration lets it onto the worker
    image, what = edge_ai.sample_image(lab)
    with edge_ai.service_client(lab) as http:
        answer = edge_ai.infer(http, image)
        assert len(answer["top"]) == 5 and "meaningless" in answer["note"]
        edge_ai.log_inference(lab, answer, what)
        result, usage = edge_ai.load_with_usage(lab, http, image, concurrency=4, requests=12)
    assert result.errors == 0 and len(result.latencies_ms) == 12
    assert set(usage["provenance"]) == {"local"} and (usage["memory_bytes"] > 50e6).all()
    assert yaml.safe_load(lab.workspace.read_text(edge_ai.INFERENCE_LOG))["provenance"] == "local"
    assert len(list(yaml.safe_load_all(lab.workspace.read_text(edge_ai.DEPLOYMENT)))) == 2


def test_the_small_sweep_measures_what_the_choice_compares_and_replaces_pods_least() -> None:
    plan = edge_ai.sweep("small")
    assert plan[0] == (edge_ai.Tuning(), [1, 8])  # the deployed default first, also one request at a time
    assert {max(concurrencies) for _, concurrencies in plan} == {8}
    assert plan[1][0] == edge_ai.Tuning(replicas=1)  # a scale, before the settings that change the template
    varied = [{k for k, v in vars(t).items() if v != vars(edge_ai.Tuning())[k]} for t, _ in plan[1:]]
    assert varied == [{"replicas"}, {"max_batch"}, {"intra_op_threads"}, {"cpu_limit"}]
    assert all(concurrencies == [1, 4, 16] for _, concurrencies in edge_ai.sweep("full"))


def test_choice_prefers_throughput_without_errors_at_the_highest_concurrency() -> None:
    rows = [
        {"max_batch": 4, "intra_op_threads": 2, "replicas": 2, "cpu_limit": "2", "concurrency": 8, "requests": 32,
         "errors": 0, "p50_ms": 400, "p95_ms": 900, "p99_ms": 950, "throughput_rps": 6.0},
        {"max_batch": 1, "intra_op_threads": 2, "replicas": 2, "cpu_limit": "2", "concurrency": 8, "requests": 32,
         "errors": 3, "p50_ms": 300, "p95_ms": 700, "p99_ms": 800, "throughput_rps": 9.0},
        {"max_batch": 4, "intra_op_threads": 2, "replicas": 1, "cpu_limit": "2", "concurrency": 8, "requests": 32,
         "errors": 0, "p50_ms": 350, "p95_ms": 800, "p99_ms": 820, "throughput_rps": 8.0},
        {"max_batch": 4, "intra_op_threads": 2, "replicas": 1, "cpu_limit": "2", "concurrency": 1, "requests": 32,
         "errors": 0, "p50_ms": 60, "p95_ms": 70, "p99_ms": 75, "throughput_rps": 15.0},
    ]
    study = pd.DataFrame(rows).assign(provenance="local")
    best, why = edge_ai.choose(study)
    assert (best["replicas"], best["throughput_rps"]) == (1, 8.0)  # the faster one had errors
    assert edge_ai.Tuning.of(best) == edge_ai.Tuning(replicas=1)
    assert "8.0 requests/s" in why and "6.0 requests/s" in why
    report = edge_ai.tuning_report(study, best, why, "local")
    assert "not on a Raspberry Pi" in report and report.count("\n|") == 2 + len(study)  # header, rule, rows
    failing_default = study.copy()
    failing_default.loc[0, "errors"] = 2
    assert "2 errors for the default setting" in edge_ai.choose(failing_default)[1]
    with pytest.raises(Exception, match="every setting had errors"):
        edge_ai.choose(study.assign(errors=1))


def test_missing_sample_image_names_the_parameter(shared_lab, tmp_path) -> None:
    from sugarlab.core.errors import ParameterError

    lab = shared_lab(edge_sample_image=str(tmp_path / "nope.jpg"))
    with pytest.raises(ParameterError, match="'edge_sample_image'"):
        edge_ai.sample_image(lab)
