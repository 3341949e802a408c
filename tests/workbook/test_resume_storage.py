"""A run that fails in notebook 04 for want of time resumes there with more, in its own folder and lab."""

from __future__ import annotations

import json
from pathlib import Path

from sugarlab.app.runner import resume_lab, run_lab


def test_a_storage_lab_given_too_little_time_resumes_and_succeeds(tmp_path: Path) -> None:
    given = {"sim_workers": 2, "failures": ["delete-pod"], "storage_timeout": 1}
    failed = run_lab(given, notebooks=["01", "04"], output_dir=tmp_path, progress=False)
    assert [nb.status for nb in failed.notebooks] == ["succeeded", "failed"]
    error = (failed.failed.error if failed.failed else None) or ""
    assert "StoragePending" in error and "resume with: sugarlab run --resume" not in error

    resumed = resume_lab(failed.run_dir, {"storage_timeout": 600}, progress=False)
    assert resumed.status == "succeeded" and resumed.run_dir == failed.run_dir
    manifest = json.loads((failed.run_dir / "manifest.json").read_text())
    assert manifest["status"] == "succeeded" and len(manifest["attempts"]) == 2
    assert [a["parameters"]["storage_timeout"] for a in manifest["attempts"]] == [1.0, 600.0]
    assert [nb["name"] for nb in manifest["attempts"][1]["notebooks"]] == ["04-storage"]
    assert (failed.run_dir / "lab" / "storage" / "failover-report.md").is_file()
