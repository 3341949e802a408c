"""The package's public face: its export list and its declared dependencies."""

from __future__ import annotations

import tomllib
from pathlib import Path

import yaml

import sugarlab

ROOT = Path(__file__).parents[2]


def test_exports_are_sorted_and_complete() -> None:
    assert sugarlab.__all__ == sorted(sugarlab.__all__)
    public = {name for name in vars(sugarlab) if not name.startswith("_") and not isinstance(
        getattr(sugarlab, name), type(sugarlab))}
    assert public == set(sugarlab.__all__)


CONDA_NAMES = {"python-kubernetes": "kubernetes"}  # conda-forge's name for the PyPI package


def _name(requirement: str) -> str:
    for mark in "<>=!~[ ":
        requirement = requirement.split(mark)[0]
    return CONDA_NAMES.get(requirement.lower(), requirement.lower())


def test_environment_yml_declares_what_pyproject_declares() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {_name(d) for d in env["dependencies"] if isinstance(d, str)} - {"python", "pip"}
    assert wanted == conda
