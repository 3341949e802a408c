"""Notebook 05's answer as a person reads it: the model, its note, then the top classes as a table."""

from __future__ import annotations

from sugarlab.steps.edge_ai import answer_markdown, answer_table

LABELLED = {
    "class_index": 817,
    "confidence": 0.4123,
    "model": "resnet50-v2-7.onnx",
    "top": [
        {"index": 817, "probability": 0.4123, "label": "sports car"},
        {"index": 511, "probability": 0.2, "label": "convertible"},
    ],
    "batch_size": 1,
    "timing_ms": {"total": 41.7},
}


def test_a_labelled_answer_reads_as_a_table_of_index_label_and_probability() -> None:
    assert answer_table(LABELLED).to_dict("records") == [
        {"class index": 817, "label": "sports car", "probability": 0.4123},
        {"class index": 511, "label": "convertible", "probability": 0.2},
    ]
    shown = answer_markdown(LABELLED)
    assert shown.startswith("**Model:** resnet50-v2-7.onnx, answered in 42 ms\n")
    assert "Note" not in shown and "no class labels" not in shown
    rows = [
        [cell.strip() for cell in line.strip("|").split("|")] for line in shown.splitlines() if line.startswith("|")
    ]
    assert rows[0] == ["class index", "label", "probability"]
    assert rows[2:] == [["817", "sports car", "41.2%"], ["511", "convertible", "20.0%"]]


def test_an_unlabelled_answer_says_classes_go_by_index() -> None:
    answer = LABELLED | {"top": [{"index": 3, "probability": 0.9}]}
    shown = answer_markdown(answer)
    assert "The model carries no class labels: classes are named by their index." in shown
    assert shown.splitlines()[-1].replace(" ", "") == "|3|90.0%|"
