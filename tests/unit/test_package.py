"""The package's public face: its export lists, what the notebooks import, and its declared dependencies."""

from __future__ import annotations

import ast
import importlib
import json
import pkgutil
import tomllib
from pathlib import Path
from types import ModuleType

import yaml

import sugarlab

ROOT = Path(__file__).parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
SUBPACKAGES = {info.name for info in pkgutil.iter_modules(sugarlab.__path__) if info.ispkg}


def _packages() -> list[ModuleType]:
    found = [sugarlab]
    for info in pkgutil.walk_packages(sugarlab.__path__, "sugarlab."):
        if info.ispkg and not info.name.startswith("sugarlab.sim"):
            found.append(importlib.import_module(info.name))
    return found


def test_every_package_exports_names_that_resolve_and_the_top_level_list_is_sorted() -> None:
    assert sugarlab.__all__ == sorted(sugarlab.__all__)
    for package in _packages():
        for name in package.__all__:
            assert getattr(package, name, None) is not None or importlib.import_module(f"{package.__name__}.{name}")


def test_the_top_level_names_are_exactly_the_exported_ones() -> None:
    public = {name for name in dir(sugarlab) if not name.startswith("_")}
    modules = {info.name for info in pkgutil.iter_modules(sugarlab.__path__)}
    assert public - modules - {"annotations", "import_module", "Any", "TYPE_CHECKING"} == set(sugarlab.__all__)


def _notebook_imports(notebook: Path) -> list[tuple[str, str]]:
    """(module, name) for every `from sugarlab... import name` and (module, "") for `import sugarlab...`."""
    found = []
    for cell in json.loads(notebook.read_text())["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "\n".join(line for line in "".join(cell["source"]).splitlines() if not line.startswith(("%", "!")))
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sugarlab":
                found += [(str(node.module), alias.name) for alias in node.names]
            elif isinstance(node, ast.Import):
                found += [(alias.name, "") for alias in node.names if alias.name.split(".")[0] == "sugarlab"]
    return found


def test_every_name_a_notebook_imports_is_exported() -> None:
    pairs = {pair for notebook in NOTEBOOKS for pair in _notebook_imports(notebook)}
    assert len(NOTEBOOKS) == 7 and len(pairs) > 10
    for module_name, name in sorted(pairs):
        module = importlib.import_module(module_name)
        if not name:
            continue
        assert not name.startswith("_"), (module_name, name)
        if module is sugarlab and name in SUBPACKAGES:
            continue
        if hasattr(module, "__path__") or hasattr(module, "__all__"):  # a package, or a module that lists its API
            assert name in module.__all__, f"{module_name} does not export {name}"
        else:
            assert hasattr(module, name), f"{module_name} has no {name}"


CONDA_NAMES = {"python-kubernetes": "kubernetes", "uvicorn-standard": "uvicorn"}  # conda-forge's names


def _name(requirement: str) -> str:
    for mark in "<>=!~[ ":
        requirement = requirement.split(mark)[0]
    return CONDA_NAMES.get(requirement.lower(), requirement.lower())


def test_environment_yml_declares_what_pyproject_declares() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {_name(d) for d in env["dependencies"] if isinstance(d, str)} - {"python", "pip"}
    (pip,) = [d["pip"] for d in env["dependencies"] if isinstance(d, dict)]
    assert wanted == conda | {_name(d) for d in pip if not d.startswith("-")}  # PyPI-only ones under pip:
