"""What every endpoint family of the API server reads: the store (for a dry-run write, a view of it that
stores nothing, `dry_run`), the kubelets, the machines and NAS, the cluster's version and groups (custom
ones included), its token, and the activity that keeps an idle server from stopping."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path

from sugarlab.sim.apiserver.kubelet_client import KubeletClient
from sugarlab.sim.machinery.resources import ResourceType
from sugarlab.sim.storage.store import Store
from sugarlab.sim.world.machines import Machines


@dataclass
class Activity:
    """Shared by every view of the server: the last request, and the open watches and streams."""

    last_request: float = field(default_factory=time.monotonic)
    open_watches: int = 0
    next_endpoint: int = 0  # the service proxy's round robin


@dataclass
class Context:
    store: Store
    machines: Machines
    kubelet: KubeletClient
    seed: int
    version: str
    metrics_server: bool
    state_dir: Path
    token: str  # the one bearer token the server accepts
    activity: Activity = field(default_factory=Activity)

    @property
    def custom_types(self) -> tuple[ResourceType, ...]:
        """The types the established CustomResourceDefinitions declare, served beside the built-in ones."""
        return self.store.custom_types()

    @property
    def commit(self) -> str:
        return hashlib.sha1(self.version.encode()).hexdigest()
