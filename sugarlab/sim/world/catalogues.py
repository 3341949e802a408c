"""The simulator's calibration data: YAML files in `catalogue/`, each checked against its schema when read.

A catalogue is read once, when the module that uses it is imported, so a mistake in a file (a missing
field, a wrong type, an unknown key) stops the simulator at start with the file and the field named,
instead of surfacing later as a wrong figure in some answer. YAML gives native types, so the schemas
are strict: `cpu_cores: "4"` is an error, not a 4.
"""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

CATALOGUE = resources.files(__package__ or "sugarlab.sim.world").joinpath("catalogue")


class CatalogueError(ValueError):
    """A catalogue file that is not YAML or does not match its schema; the message names the file and fields."""


class Schema(BaseModel):
    """What every catalogue schema shares: strict types, no unknown keys, values that do not change."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


S = TypeVar("S", bound=Schema)


def read(path: Traversable | Path, schema: type[S]) -> S:
    """The file at `path` as `schema`; a `CatalogueError` naming the file and each bad field if it does not fit."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise CatalogueError(f"{path}: not valid YAML: {e}") from None
    try:
        return schema.model_validate(data)
    except ValidationError as e:
        problems = "\n".join(
            f"  {'.'.join(map(str, err['loc'])) or '(whole file)'}: {err['msg']}" for err in e.errors()
        )
        raise CatalogueError(f"{path} does not match the {schema.__name__} schema:\n{problems}") from None


def load(name: str, schema: type[S]) -> S:
    """The packaged catalogue `catalogue/<name>` as `schema`."""
    return read(CATALOGUE.joinpath(name), schema)
