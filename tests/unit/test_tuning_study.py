"""The edge-AI tuning study's plan and its choice, without a cluster."""

from __future__ import annotations

import pandas as pd
import pytest

from sugarlab.steps import edge_ai


def test_the_small_sweep_measures_what_the_choice_compares_and_replaces_pods_least() -> None:
    plan = edge_ai.sweep("small")
    assert plan[0] == (edge_ai.Tuning(), [1, 8])  # the deployed default first, also one request at a time
    assert {max(concurrencies) for _, concurrencies in plan} == {8}
    assert plan[1][0] == edge_ai.Tuning(replicas=1)  # a scale, before the settings that change the template
    varied = [{k for k, v in vars(t).items() if v != vars(edge_ai.Tuning())[k]} for t, _ in plan[1:]]
    assert varied == [{"replicas"}, {"max_batch"}, {"cpu_limit"}, {"intra_op_threads"}]  # see `sweep`
    assert all(concurrencies == [1, 4, 16] for _, concurrencies in edge_ai.sweep("full"))
    assert str(edge_ai.Tuning(intra_op_threads=1)) == "batch 4, 1 threads, 2 replicas, cpu 2"


def test_choice_prefers_throughput_without_errors_at_the_highest_concurrency() -> None:
    rows = [
        {
            "max_batch": 4,
            "intra_op_threads": 2,
            "replicas": 2,
            "cpu_limit": "2",
            "concurrency": 8,
            "requests": 32,
            "errors": 0,
            "p50_ms": 400,
            "p95_ms": 900,
            "p99_ms": 950,
            "throughput_rps": 6.0,
        },
        {
            "max_batch": 1,
            "intra_op_threads": 2,
            "replicas": 2,
            "cpu_limit": "2",
            "concurrency": 8,
            "requests": 32,
            "errors": 3,
            "p50_ms": 300,
            "p95_ms": 700,
            "p99_ms": 800,
            "throughput_rps": 9.0,
        },
        {
            "max_batch": 4,
            "intra_op_threads": 2,
            "replicas": 1,
            "cpu_limit": "2",
            "concurrency": 8,
            "requests": 32,
            "errors": 0,
            "p50_ms": 350,
            "p95_ms": 800,
            "p99_ms": 820,
            "throughput_rps": 8.0,
        },
        {
            "max_batch": 4,
            "intra_op_threads": 2,
            "replicas": 1,
            "cpu_limit": "2",
            "concurrency": 1,
            "requests": 32,
            "errors": 0,
            "p50_ms": 60,
            "p95_ms": 70,
            "p99_ms": 75,
            "throughput_rps": 15.0,
        },
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


def test_the_report_compares_both_models_with_their_floors() -> None:
    study = pd.DataFrame([{**vars(edge_ai.Tuning()), "concurrency": 8, "requests": 16, "errors": 0, "p50_ms": 90.0}])
    study = study.assign(p95_ms=120.0, p99_ms=130.0, throughput_rps=20.0, provenance="local")
    best, why = edge_ai.choose(study)
    models = pd.DataFrame(
        [
            {
                "model": "efficientnet-lite0 (trained, ImageNet)",
                "p50_ms_alone": 30.0,
                "model_floor_ms": 6.0,
                "preprocess_floor_ms": 8.0,
                "p50_over_floors": 30 / 14,
                "concurrency": 8,
                "throughput_rps": 60.0,
                "errors": 0,
                "provenance": "local",
            },
            {
                "model": "light_resnet50 (synthetic weights)",
                "p50_ms_alone": 60.0,
                "model_floor_ms": 27.0,
                "preprocess_floor_ms": 8.0,
                "p50_over_floors": 60 / 35,
                "concurrency": 8,
                "throughput_rps": 25.0,
                "errors": 0,
                "provenance": "local",
            },
        ]
    )
    report = edge_ai.tuning_report(study, best, why, "local", models)
    chosen, compared = report.split("## Models")
    assert "`MAX_BATCH=4`" in chosen  # the line the report's figures read stays where it was
    assert "efficientnet-lite0 (trained, ImageNet)" in compared and "light_resnet50" in compared
    assert "2.14" in compared and "1.71" in compared  # a lone request against the sum of the floors
