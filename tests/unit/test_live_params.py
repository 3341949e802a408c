"""The live runbook's example parameters file is one `sugarlab run -f` accepts, and the runbook names every
image the lab pulls with its default."""

from __future__ import annotations

from pathlib import Path

from sugarlab.app.cli import _parameters
from sugarlab.lab.params import LabParams, validate_parameters

DOCS = Path(__file__).parents[2] / "docs"
IMAGES = [name for name in LabParams.model_fields if name.endswith("_image") and name != "edge_sample_image"]


def test_the_example_parameters_file_passes_parameter_checking() -> None:
    given = _parameters([], [DOCS / "live-params.yaml"])  # the command line's own reader
    assert sorted(set(given) - set(LabParams.model_fields)) == []  # each name a lab parameter
    params = validate_parameters(given)
    assert params.backend == "live" and not params.apply
    assert params.join_workers == ["worker-a", "worker-b"] and params.controller_host == "controller.sugarkube.lan"
    assert "sugarkube0 (Pi 5)" in params.power_devices
    assert not {"power-off", "nas-outage"} & set(params.failures)  # the simulator's only


def test_the_runbook_lists_every_image_parameter_with_its_default() -> None:
    runbook = (DOCS / "live.md").read_text(encoding="utf-8")
    assert IMAGES == ["stress_image", "storage_image", "edge_image", "fio_image"]
    for name in IMAGES:
        assert f"| `{name}` | `{LabParams.model_fields[name].default}` |" in runbook
    assert "(docs/live.md)" in (DOCS.parent / "README.md").read_text(encoding="utf-8")
