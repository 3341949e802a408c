"""The outside hosts the simulated world answers (`catalogue/internet.yaml`): their addresses and what they serve.

`address_of` is the cluster DNS's upstream: a catalogued name resolves to its host's real public address
(which exists only inside the simulated world), every other name to nothing, as on a Pi without an uplink.
The servers behind these addresses are `sugarlab.sim.internet`.
"""

from __future__ import annotations

import ipaddress
from importlib.util import find_spec
from pathlib import Path
from typing import Literal
from urllib.parse import unquote

from pydantic import Field, field_validator, model_validator

from sugarlab.sim.world.catalogues import Schema, load


class PackageFile(Schema):
    """A file inside an installed package of the simulator's own environment."""

    package: str
    path: str

    def locate(self) -> Path:
        spec = find_spec(self.package)
        if spec is None or not spec.submodule_search_locations:
            raise FileNotFoundError(f"package {self.package} is not installed")
        return Path(next(iter(spec.submodule_search_locations))) / self.path


class Answer(Schema):
    """What one path answers: a redirect, a file of an installed package, or a literal text."""

    redirect: str | None = None
    file: PackageFile | None = None
    text: str | None = None
    content_type: str = "application/octet-stream"

    @model_validator(mode="after")
    def _one_kind(self) -> Answer:
        if sum(x is not None for x in (self.redirect, self.file, self.text)) != 1:
            raise ValueError("an answer is exactly one of redirect, file or text")
        return self


class Host(Schema):
    address: str
    serves: Literal["pypi_index", "pypi_files", "paths"]
    paths: dict[str, Answer] = Field(default_factory=dict)

    @field_validator("address")
    @classmethod
    def _public_ipv4(cls, value: str) -> str:
        if not ipaddress.IPv4Address(value).is_global:
            raise ValueError(f"{value} is not a public IPv4 address")
        return value

    @field_validator("paths")
    @classmethod
    def _decoded(cls, paths: dict[str, Answer]) -> dict[str, Answer]:
        """Paths as written in URLs (`%2C`), kept decoded, as an ASGI server hands them to the application."""
        return {unquote(path): answer for path, answer in paths.items()}


class Internet(Schema):
    """`catalogue/internet.yaml`."""

    hosts: dict[str, Host]


HOSTS = load("internet.yaml", Internet).hosts


def address_of(name: str) -> str | None:
    """The IPv4 address `name` resolves to in the simulated world; None for every host it does not answer."""
    host = HOSTS.get(name.lower().rstrip("."))
    return host.address if host is not None else None
