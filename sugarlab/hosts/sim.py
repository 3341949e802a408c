"""Machines of the simulated cluster, reached through the simulator instead of SSH.

They answer the same commands a Raspberry Pi answers in the expansion lab (see
`sugarlab.sim.world.machines`), so the notebook's join code runs unchanged against either.
"""

from __future__ import annotations

import base64
import ssl
import time
from collections.abc import Iterable
from types import TracebackType
from typing import Self, cast

import httpx
from kubernetes.client import Configuration

from sugarlab.hosts.base import CommandResult, redact
from sugarlab.lab.errors import CommandFailed, HostUnreachable, ParameterError, SimulatorError
from sugarlab.sim.control import (
    MACHINES,
    NAS,
    ExecRequest,
    ExecResult,
    FileWrite,
    NasState,
    PowerRequest,
    Provisioned,
    ProvisionRequest,
)


def _client(server: Configuration, path: str, timeout: float, api: str = MACHINES) -> httpx.Client:
    """HTTPS to the simulator's machine (or NAS) API with the kubeconfig's CA and token, as the Kubernetes client
    has them."""
    settings = cast(dict[str, dict[str, str]], server.auth_settings())
    headers = {s["key"]: s["value"] for s in settings.values() if s["in"] == "header" and s["value"]}
    verify = ssl.create_default_context(cafile=server.ssl_ca_cert) if server.ssl_ca_cert else server.verify_ssl
    return httpx.Client(base_url=f"{server.host}{api}{path}", headers=headers, verify=verify, timeout=timeout)


def provision(server: Configuration, name: str, profile: str, fault: str = "") -> str:
    """Image and boot a simulated Pi called `name` (the tutorial's steps 2.1-2.2); return its address."""
    with _client(server, "", 5.0) as http:
        response = http.post("", json=ProvisionRequest(name=name, profile=profile, fault=fault).model_dump())
    if response.status_code == 400:
        raise ParameterError("machine", name, response.json()["message"])
    response.raise_for_status()
    return Provisioned.model_validate(response.json()).ip


def power(server: Configuration, name: str, on: bool) -> None:
    """Pull or restore the power of a simulated Pi; its node goes NotReady, or comes back."""
    with _client(server, f"/{name}", 30.0) as http:
        response = http.post("/power", json=PowerRequest(on=on).model_dump())
    if response.status_code == 404:
        raise ParameterError("machine", name, "a machine of the simulated cluster")
    response.raise_for_status()


def nas_power(server: Configuration, on: bool) -> dict[str, object]:
    """Make the simulated NAS stop answering (`on` False) or answer again; its state, as the simulator reports it
    (`server`, `export`, `powered`, `since`)."""
    with _client(server, "", 30.0, api=NAS) as http:
        response = http.post("/power", json=PowerRequest(on=on).model_dump())
    response.raise_for_status()
    return NasState.model_validate(response.json()).model_dump()


class SimulatedHost:
    def __init__(self, server: Configuration, name: str, *, command_timeout: float = 60.0) -> None:
        self.name, self._server, self.command_timeout = name, server.host, command_timeout
        self._http = _client(server, f"/{name}", command_timeout)

    def __repr__(self) -> str:
        return f"SimulatedHost({self.name!r})"

    def _call(self, method: str, path: str, body: dict[str, object]) -> httpx.Response:
        try:
            response = self._http.request(method, path, json=body)
        except httpx.HTTPError as error:
            raise SimulatorError(f"the simulated cluster at {self._server} did not answer: {error}") from None
        if response.status_code == 404:
            raise HostUnreachable(self.name, 22, "no such machine on the simulated network (provision it first)")
        response.raise_for_status()
        return response

    def run(
        self,
        command: str,
        *,
        timeout: float | None = None,
        stdin: bytes | None = None,
        check: bool = True,
        sudo: bool | None = None,
        secrets: Iterable[str | bytes] = (),
    ) -> CommandResult:
        shown = redact(command, list(secrets))
        started = time.monotonic()
        request = ExecRequest(command=f"sudo {command}" if sudo else command)
        answer = ExecResult.model_validate(self._call("POST", "/exec", request.model_dump()).json())
        result = CommandResult(
            self.name, shown, answer.exit_status, answer.stdout, answer.stderr, time.monotonic() - started
        )
        if check and not result.ok:
            raise CommandFailed(self.name, shown, result.exit_status, redact(result.stderr, list(secrets)))
        return result

    def write_file(
        self, path: str, data: bytes, mode: int, *, dir_mode: int | None = None, sudo: bool | None = None
    ) -> None:
        body = FileWrite(path=path, data=base64.b64encode(data).decode(), mode=mode, dir_mode=dir_mode)
        self._call("PUT", "/files", body.model_dump())

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()
