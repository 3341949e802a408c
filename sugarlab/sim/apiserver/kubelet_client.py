"""What the API server asks of the kubelets, as kube-apiserver reaches them through its kubelet client
(pkg/kubelet/client) rather than by importing the kubelet: the pods run for real (their service port for the
service proxy, their logs, their usage for metrics.k8s.io) and the streaming server behind exec and
port-forward. The root wiring (`sugarlab.sim.server`) hands over the kubelet's own objects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from starlette.websockets import WebSocket


class PodProcesses(Protocol):
    def endpoint(self, uid: str) -> int | None:
        """The local port of the pod's service process, if it runs for real."""
        ...

    def log(self, uid: str, container: str | None = None, previous: bool = False) -> str | None:
        """The real log of the pod's container; None for a pod that is only modelled."""
        ...

    def usage(self, uid: str, window: datetime) -> tuple[float, int] | None:
        """Measured CPU cores and memory bytes of a pod run for real, once per metrics window."""
        ...


class StreamingServer(Protocol):
    async def serve(self, websocket: WebSocket) -> None:
        """An upgraded exec or port-forward connection, refused with a `Status` where the kubelet refuses it."""
        ...


@dataclass(frozen=True)
class KubeletClient:
    processes: PodProcesses
    streams: StreamingServer
