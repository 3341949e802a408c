"""The streaming subresources of pods over websockets: `exec` and `portforward`.

What stops a stream from starting is refused before the upgrade, with a `Status`, as the API
server refuses it; after the upgrade `sugarlab.sim.kubelet.streaming.exec_session` and `sugarlab.sim.kubelet.streaming.portforward`
speak the protocol. Plain HTTP requests to these subresources get the API server's 400: it only
serves them as upgraded connections (SPDY is not served here; kubectl 1.32 uses websockets).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from starlette.responses import JSONResponse
from starlette.websockets import WebSocket, WebSocketDisconnect

from sugarlab.common.objects import Obj
from sugarlab.sim.kubelet import exec as commands
from sugarlab.sim.kubelet.processes import LocalProcesses
from sugarlab.sim.kubelet.streaming import exec_session, portforward
from sugarlab.sim.kubelet.streaming.channels import negotiate, unsupported
from sugarlab.sim.machinery.errors import ApiError
from sugarlab.sim.machinery.resources import STREAMED_SUBRESOURCES
from sugarlab.sim.storage.store import Store
from sugarlab.sim.world.machines import Machines


class Streams:
    def __init__(self, store: Store, machines: Machines, processes: LocalProcesses, state_dir: Path) -> None:
        self.store, self.machines, self.processes, self.state_dir = store, machines, processes, state_dir

    async def serve(self, websocket: WebSocket) -> None:
        parts = [p for p in websocket.url.path.split("/") if p]
        offered = ",".join(websocket.scope.get("subprotocols") or [])  # the ASGI scope's parsed offer
        try:
            if (
                len(parts) != 7
                or parts[:3] != ["api", "v1", "namespaces"]
                or parts[4] != "pods"
                or parts[6] not in STREAMED_SUBRESOURCES
            ):
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            pod = self.store.get(self.store.kind("Pod"), parts[3], parts[5])
            self._check_node(pod)
            if parts[6] == "exec":
                await self._exec(websocket, pod, offered)
            else:
                await self._portforward(websocket, pod, offered)
        except ApiError as exc:
            await websocket.send_denial_response(JSONResponse(exc.status(), status_code=exc.code))

    def _check_node(self, pod: Obj) -> None:
        spec, status, name = pod["spec"], pod.get("status") or {}, pod["metadata"]["name"]
        if not spec.get("nodeName"):  # kube-apiserver's ExecLocation / PortForwardLocation
            raise ApiError.bad_request(f"pod {name} does not have a host assigned")
        if spec["nodeName"] in self.machines.powered_off():
            raise ApiError(
                500,
                "InternalError",
                f"error dialing backend: dial tcp {status.get('hostIP')}:10250: connect: no route to host",
            )

    async def _exec(self, websocket: WebSocket, pod: Obj, offered: str) -> None:
        query = websocket.query_params
        try:
            container = commands.container_of(pod, query.get("container"))
        except commands.ExecError as exc:
            raise ApiError.bad_request(str(exc)) from None
        meta, status = pod["metadata"], pod.get("status") or {}
        if status.get("phase") != "Running" or "deletionTimestamp" in meta:
            raise ApiError.bad_request(f"unable to upgrade connection: container not found ({container['name']})")
        protocol = negotiate(offered, exec_session.PROTOCOLS)
        if protocol is None:
            raise ApiError.bad_request(unsupported(offered, exec_session.PROTOCOLS))
        command = query.getlist("command")
        # kube-apiserver's checks of PodExecOptions (pkg/api/pod's exec options validation).
        if not command:
            raise ApiError.bad_request("you must specify at least 1 command")
        if not any(
            query.get(s, d).lower() in ("1", "true")
            for s, d in (("stdin", "false"), ("stdout", "true"), ("stderr", "true"))
        ):
            raise ApiError.bad_request("you must specify at least one of stdin, stdout, stderr")
        planned = commands.plan(self.store, self.state_dir, pod, container, command)
        await websocket.accept(subprotocol=protocol or None)
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            await exec_session.serve(websocket, protocol, planned, command)

    async def _portforward(self, websocket: WebSocket, pod: Obj, offered: str) -> None:
        dial = portforward.connector(self.processes, pod, self.state_dir)
        if negotiate(offered, (portforward.TUNNEL_PROTOCOL,)):
            await websocket.accept(subprotocol=portforward.TUNNEL_PROTOCOL)
            with contextlib.suppress(WebSocketDisconnect, RuntimeError):
                await portforward.Tunnel(websocket, dial).serve()
            return
        protocol = negotiate(offered, portforward.WEBSOCKET_PROTOCOLS)
        if protocol is None:
            raise ApiError.bad_request(unsupported(offered, portforward.WEBSOCKET_PROTOCOLS))
        try:
            ports = portforward.ports_of(websocket.query_params)
        except ValueError as exc:
            raise ApiError.bad_request(str(exc)) from None
        await websocket.accept(subprotocol=protocol or None)
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            await portforward.serve_channels(websocket, protocol, ports, dial)
