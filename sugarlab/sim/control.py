"""The simulator's own control endpoints, beside the Kubernetes API: the machines behind the nodes
(`/sugarlab/v1/machines...`) and the NAS (`/sugarlab/v1/nas...`). Their requests and answers, typed once for
the API server that serves them and the workbook that calls them (`sugarlab.hosts.sim`); so this module
imports nothing but pydantic.
"""

from __future__ import annotations

from pydantic import BaseModel, StrictBool

MACHINES = "/sugarlab/v1/machines"
NAS = "/sugarlab/v1/nas"
DEFAULT_PROFILE = "pi4-4gb"


class ProvisionRequest(BaseModel):
    """`POST /sugarlab/v1/machines`: image and boot a machine (the tutorial's steps 2.1-2.2)."""

    name: str
    profile: str = DEFAULT_PROFILE
    fault: str = ""


class Provisioned(BaseModel):
    name: str
    ip: str


class MachineState(BaseModel):
    """One machine of `GET /sugarlab/v1/machines`, which maps each machine's name to this."""

    profile: str
    ip: str
    k3s: str  # "", "server" or "agent"
    fault: str
    powered: bool


class ExecRequest(BaseModel):
    """`POST /sugarlab/v1/machines/<name>/exec`: a command as the machine's shell runs it."""

    command: str


class ExecResult(BaseModel):
    exit_status: int
    stdout: str
    stderr: str


class PowerRequest(BaseModel):
    """`POST /sugarlab/v1/machines/<name>/power` and `POST /sugarlab/v1/nas/power`."""

    on: StrictBool


class MachinePower(BaseModel):
    name: str
    powered: bool
    since: str  # cluster time of the last power change, "" if never


class FileWrite(BaseModel):
    """`PUT /sugarlab/v1/machines/<name>/files`: a file written onto the machine; answered with 204."""

    path: str
    data: str  # base64
    mode: int
    dir_mode: int | None = None


class NasState(BaseModel):
    """`GET /sugarlab/v1/nas`, and the answer to a power change."""

    server: str
    export: str
    powered: bool
    since: str
