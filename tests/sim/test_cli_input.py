"""Bad command-line input, for every verb: one line naming what is wrong, exit 2, no traceback and nothing
created; and one parameters file drives `run` and `clean` alike."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from sugarlab.app import cleaning
from sugarlab.app.cli import main

NOTEBOOKS = Path(__file__).parents[1] / "data" / "notebooks"


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "a-file").write_text("not a folder\n")
    (tmp_path / "broken.yaml").write_text("seed: [1,\n")
    (tmp_path / "binary.yaml").write_bytes(b"\xff\xfe\x00")
    (tmp_path / "list.yaml").write_text("- seed\n")
    for name, manifest in (("empty-run", {}), ("list-run", [1])):
        (tmp_path / name).mkdir()
        (tmp_path / name / "manifest.json").write_text(json.dumps(manifest))
    return tmp_path


BAD = [
    (
        ["sim", "stop", "--workspace", "{t}/a-file"],
        "'--workspace' = '{t}/a-file' is not allowed: a folder; it is a file",
    ),
    (["sim", "start", "--workspace", "{t}/a-file/lab"], "a folder; {t}/a-file is a file"),
    (["sim", "status", "--workspace", "{t}/a-file"], "a folder; it is a file"),
    (["sim", "start", "--workspace", "{t}/lab", "-p", "nosuch", "1"], "not a lab parameter"),
    (["run", "-f", "{t}/missing.yaml"], "a readable YAML file ([Errno 2] No such file or directory"),
    (["run", "-f", "{t}/broken.yaml"], "a readable YAML file (expected the node content, but found '<stream end>'"),
    (["run", "-f", "{t}/binary.yaml"], "a readable YAML file ('utf-8' codec can't decode"),
    (["run", "-f", "{t}"], "a readable YAML file ([Errno 21] Is a directory"),
    (["run", "-f", "{t}/list.yaml"], "a YAML mapping of parameter names to values"),
    (["run", "--output-dir", "{t}/a-file"], "'--output-dir' = '{t}/a-file' is not allowed: a folder; it is a file"),
    (["run", "--notebooks-dir", "{t}/a-file"], "not a folder of NN-name.ipynb notebooks"),
    (["run", "--resume", "{t}/empty-run"], "its manifest.json lacks"),
    (["run", "--resume", "{t}/list-run"], "its manifest.json lacks"),
    (["run", "--backend", "live", "-p", "kubeconfig", "{t}/a-file"], "not a mapping of clusters, contexts and users"),
    (["run", "--backend", "live", "-p", "kubeconfig", "{t}/broken.yaml"], "not a usable kubeconfig (while parsing"),
    (["clean", "-p", "workspace", "{t}/a-file", "--yes"], "'workspace' = '{t}/a-file' is not allowed: a folder"),
    (["clean", "-f", "{t}/broken.yaml", "--yes"], "a readable YAML file (expected the node content"),
    (["compare", "{t}/a-file", "{t}/a-file"], "not a folder and not a tar archive"),
]


@pytest.mark.parametrize(("args", "message"), BAD, ids=[" ".join(a[:2]) + " " + a[-1][-12:] for a, _ in BAD])
def test_bad_input_is_one_line_and_exit_2(
    files: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    given = [arg.format(t=files) for arg in args]
    if given[0] == "run" and "--output-dir" not in given:
        given += ["--output-dir", str(files / "out")]
    before = sorted(files.rglob("*"))
    assert main(given) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1, captured.err
    assert captured.err.startswith("sugarlab: error: ") and message.format(t=files) in captured.err
    assert sorted(files.rglob("*")) == before  # nothing created


def test_clean_takes_the_parameters_file_run_takes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    given: list[Mapping[str, Any]] = []

    def clean_lab(parameters: Mapping[str, Any], **kw: Any) -> int:
        given.append(parameters)
        return 0

    monkeypatch.setattr(cleaning, "clean_lab", clean_lab)
    live = tmp_path / "live.yaml"
    live.write_text(f"backend: live\nworkspace: {tmp_path / 'lab'}\nkubeconfig: {tmp_path / 'k3s.yaml'}\n")
    assert main(["clean", "-f", str(live), "-p", "context", "pis", "--yes"]) == 0
    assert given == [
        {
            "backend": "live",
            "workspace": str(tmp_path / "lab"),
            "kubeconfig": str(tmp_path / "k3s.yaml"),
            "context": "pis",
        }
    ]
