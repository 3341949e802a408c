"""The lab's labels: on every manifest it applies, the fixed two on templates, a valid run id."""

from __future__ import annotations

from pathlib import Path

import pytest

from sugarlab.kube.labels import LAB_LABELS, RUN, labelled, run_labels
from sugarlab.lab.params import validate_parameters
from sugarlab.lab.workspace import Workspace
from sugarlab.steps import workload


def test_a_job_is_labelled_and_its_pods_template_gets_the_fixed_labels_only() -> None:
    job = workload.job_manifest(validate_parameters({}))
    out = labelled(job, "20261130-202848-ab12")
    assert out["metadata"]["labels"] == {**LAB_LABELS, RUN: "20261130-202848-ab12"}
    assert out["spec"]["template"]["metadata"]["labels"] == {"app": "stress-load", **LAB_LABELS}
    assert "labels" not in job["metadata"]  # the builder's manifest is left as it was


def test_claim_templates_are_labelled_and_own_labels_are_kept() -> None:
    sts = {
        "kind": "StatefulSet",
        "metadata": {"name": "db", "labels": {"app": "db"}},
        "spec": {"volumeClaimTemplates": [{"metadata": {"name": "data"}}], "template": {"metadata": {}}},
    }
    out = labelled(sts, "")
    assert out["metadata"]["labels"] == {"app": "db", **LAB_LABELS}
    assert out["spec"]["volumeClaimTemplates"][0]["metadata"]["labels"] == LAB_LABELS


def test_a_run_id_that_is_no_label_value_is_refused() -> None:
    with pytest.raises(ValueError, match="not a valid label value"):
        run_labels("has space")


def test_a_workspace_keeps_its_lab_id(tmp_path: Path) -> None:
    first = Workspace(tmp_path).create().lab_id("run-1")
    assert first == "run-1" and Workspace(tmp_path).lab_id("run-2") == "run-1"
    assert run_labels(Workspace(tmp_path / "other").create().lab_id())[RUN]
