"""The simulator's own control endpoints, not part of the Kubernetes API: the machines behind the nodes
(`/sugarlab/v1/machines...`: list, provision, exec, power, files) and the NAS's fault switch
(`/sugarlab/v1/nas...`), with the request and answer models of `sugarlab.sim.control`."""

from __future__ import annotations

import base64
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sugarlab.sim.apiserver.context import Context
from sugarlab.sim.apiserver.router import Match
from sugarlab.sim.apiserver.routes.targets import read_body
from sugarlab.sim.control import (
    ExecRequest,
    ExecResult,
    FileWrite,
    MachinePower,
    MachineState,
    NasState,
    PowerRequest,
    Provisioned,
    ProvisionRequest,
)
from sugarlab.sim.machinery.errors import ApiError
from sugarlab.sim.world import nas

POWER_USAGE = 'power takes {"on": true} or {"on": false}'


def _power(body: Any) -> bool:
    try:
        return PowerRequest.model_validate(body, strict=True).on
    except ValidationError:
        raise ApiError.bad_request(POWER_USAGE) from None


async def machines(ctx: Context, request: Request, match: Match) -> Response:
    try:
        return await _machine_request(ctx, request, match.rest)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ApiError.bad_request(f"malformed machine request: {type(exc).__name__}: {exc}") from None


async def _machine_request(ctx: Context, request: Request, rest: list[str]) -> Response:
    known = ctx.machines.all()
    if not rest and request.method == "GET":
        return JSONResponse(
            {
                name: MachineState(profile=m.profile, ip=m.ip, k3s=m.k3s, fault=m.fault, powered=m.powered).model_dump()
                for name, m in known.items()
            }
        )
    body = await read_body(request)
    if not rest and request.method == "POST":
        try:
            wanted = ProvisionRequest.model_validate(body)
            machine = ctx.machines.provision(wanted.name, wanted.profile, wanted.fault)
        except (KeyError, ValueError) as exc:
            raise ApiError.bad_request(f"cannot provision a machine: {exc}") from None
        return JSONResponse(Provisioned(name=machine.name, ip=machine.ip).model_dump(), status_code=201)
    if len(rest) != 2 or rest[0] not in known:
        raise ApiError.not_found("machines", rest[0] if rest else "")
    if rest[1] == "exec" and request.method == "POST":
        answer = ctx.machines.run(rest[0], ExecRequest.model_validate(body).command)
        return JSONResponse(
            ExecResult(exit_status=answer.exit_status, stdout=answer.stdout, stderr=answer.stderr).model_dump()
        )
    if rest[1] == "power" and request.method == "POST":
        machine = ctx.machines.power(rest[0], _power(body))
        return JSONResponse(
            MachinePower(name=machine.name, powered=machine.powered, since=machine.power_changed).model_dump()
        )
    if rest[1] == "files" and request.method == "PUT":
        file = FileWrite.model_validate(body)
        ctx.machines.write_file(rest[0], file.path, base64.b64decode(file.data), file.mode, file.dir_mode)
        return Response(status_code=204)
    raise ApiError.no_route(404)


async def nas_switch(ctx: Context, request: Request, match: Match) -> Response:
    """`GET /sugarlab/v1/nas`; `POST /sugarlab/v1/nas/power` with {"on": bool}."""
    if match.rest == ["power"] and request.method == "POST":
        nas.set_answering(ctx.state_dir, _power(await read_body(request)), ctx.store.clock.stamp())
    elif match.rest or request.method != "GET":
        raise ApiError.no_route(404)
    state = NasState(
        server=nas.SERVER, export=nas.EXPORT, powered=nas.answering(ctx.state_dir), since=nas.down_since(ctx.state_dir)
    )
    return JSONResponse(state.model_dump())
