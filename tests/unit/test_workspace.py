"""Artefacts are written whole or not at all, and every one is recorded."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from sugarlab.common.files import atomic_write_bytes
from sugarlab.lab.workspace import Workspace


def test_writes_are_recorded_with_hash_size_and_notebook(tmp_path: Path) -> None:
    ws = Workspace(tmp_path, notebook="01-baseline").create()
    ws.write_text("baseline/cluster-inventory.txt", "NAME\n")
    ws.write_text("baseline/cluster-inventory.txt", "NAME   STATUS\n")  # a rewrite replaces the record
    (artefact,) = ws.artefacts()
    assert artefact.path == "baseline/cluster-inventory.txt" and artefact.notebook == "01-baseline"
    assert artefact.sha256 == hashlib.sha256(b"NAME   STATUS\n").hexdigest() and artefact.size == 14
    assert {p.name for p in tmp_path.iterdir()} >= {
        "baseline",
        "expansion",
        "storage",
        "edge-ai",
        "operations",
        "final",
        "workloads",
    }


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "report.md"
    target.write_text("old")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_bytes(target, b"new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]


def test_paths_cannot_leave_the_workspace(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="leaves the workspace"):
        Workspace(tmp_path).write_text("../escape.txt", "x")


def test_steps_keep_the_latest_outcome_per_notebook_step(tmp_path: Path) -> None:
    ws = Workspace(tmp_path, notebook="01-baseline")
    ws.record_step("resource snapshot", False, "metrics-server missing")
    ws.record_step("resource snapshot", True, "7 pods measured")
    assert [(s.step, s.status) for s in ws.steps()] == [("resource snapshot", "passed")]
