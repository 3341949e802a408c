"""The notebooks' `parameters` cells and the READMEs' parameter tables, written from `LabParams`.

`python -m sugarlab.app.param_docs` rewrites them; `--check` lists what is stale and exits 1 (a test runs
the same check), so the notebooks, the model and the documentation cannot drift apart.

A parameter line is `name: type = literal  # help`, the form Papermill reads for `--help-notebook`
and for `-p`. Papermill's parser misreads a line holding a second `=`, in a string default or in the
help comment (https://github.com/nteract/papermill/issues/864), so an `=` inside a default is written
as the escape `\\N{EQUALS SIGN}` (the value is unchanged, and the line still has only one), and the
line's help says so; help texts hold no `=`.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import nbformat

from sugarlab.lab.params import EVERY_NOTEBOOK, SECTIONS, LabParams, declared_by

REPO = Path(__file__).resolve().parents[2]
BEGIN, END = "<!-- parameters:{} (written by `make parameter-docs`) -->", "<!-- /parameters -->"


def default(name: str) -> Any:
    return LabParams.model_fields[name].get_default(call_default_factory=True)


def literal(value: Any, escape_equals: bool = True) -> str:
    """`value` as Python source with double-quoted strings; with `escape_equals`, no bare `=` in it."""
    if isinstance(value, str):
        text = json.dumps(value)
        return text.replace("=", "\\N{EQUALS SIGN}") if escape_equals else text
    if isinstance(value, list):
        return "[" + ", ".join(literal(item, escape_equals) for item in value) + "]"
    if isinstance(value, dict):
        return (
            "{" + ", ".join(f"{literal(k, escape_equals)}: {literal(v, escape_equals)}" for k, v in value.items()) + "}"
        )
    return repr(value)


ESCAPE_NOTE = "(\\N{EQUALS SIGN} is an equals sign, escaped as Papermill misreads a second one: nteract/papermill#864)"


def parameter_line(name: str) -> str:
    value, meaning = default(name), LabParams.model_fields[name].description
    written = literal(value)
    note = f" {ESCAPE_NOTE}" if "\\N{EQUALS SIGN}" in written else ""
    return f"{name}: {type(value).__name__} = {written}  # {meaning}{note}"


def parameters_cell(notebook: str) -> str:
    """The source of `notebook`'s `parameters` cell."""
    return "\n".join(parameter_line(name) for name in declared_by(notebook))


def shown(value: Any) -> str:
    """A default as the tables show it: text as it is (`""` when empty), anything else as Python."""
    if isinstance(value, str):
        return value or '""'
    return literal(value, escape_equals=False)


def table(names: Sequence[str]) -> str:
    rows = [f"| `{n}` | `{shown(default(n))}` | {LabParams.model_fields[n].description} |" for n in names]
    return "\n".join(["| parameter | default | meaning |", "| --- | --- | --- |", *rows])


def generated_blocks() -> dict[str, str]:
    """Each README block by its marker name: `every` and then one per notebook."""
    return {"every": table(EVERY_NOTEBOOK), **{nb: table(names) for nb, names in SECTIONS.items() if names}}


def _literal(replacement: str) -> Callable[[re.Match[str]], str]:
    """A `re.sub` replacement that inserts `replacement` as it is, backslashes and all."""
    return lambda _: replacement


def _replace_blocks(text: str) -> str:
    for key, body in generated_blocks().items():
        begin = BEGIN.format(key)
        pattern = re.compile(re.escape(begin) + r"\n.*?" + re.escape(END), re.DOTALL)
        text = pattern.sub(_literal(f"{begin}\n{body}\n{END}"), text)
    return text


def _notebook_with_cells(path: Path) -> tuple[Any, bool]:
    notebook = nbformat.read(path, as_version=4)
    changed = False
    for cell in notebook.cells:
        if "parameters" in cell.metadata.get("tags", []):
            wanted = parameters_cell(path.stem)
            changed, cell.source = cell.source != wanted, wanted
    return notebook, changed


def stale(repo: Path = REPO) -> list[Path]:
    """Files whose generated parameter parts differ from the model."""
    out = [
        p
        for p in (repo / "README.md", repo / "notebooks" / "README.md")
        if _replace_blocks(p.read_text()) != p.read_text()
    ]
    return out + [p for p in sorted((repo / "notebooks").glob("[0-9][0-9]-*.ipynb")) if _notebook_with_cells(p)[1]]


def write(repo: Path = REPO) -> list[Path]:
    """Rewrite the stale files; return them."""
    changed = stale(repo)
    for path in changed:
        if path.suffix == ".ipynb":
            nbformat.write(_notebook_with_cells(path)[0], path)
        else:
            path.write_text(_replace_blocks(path.read_text()))
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the parameters cells and README tables from LabParams.")
    parser.add_argument("--check", action="store_true", help="only list stale files; exit 1 if any")
    args = parser.parse_args(argv)
    paths = stale() if args.check else write()
    for path in paths:
        print(("stale: " if args.check else "wrote: ") + str(path.relative_to(REPO)))
    return 1 if args.check and paths else 0


if __name__ == "__main__":
    sys.exit(main())
