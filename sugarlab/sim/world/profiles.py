"""Hardware profiles of simulated nodes, calibrated from published figures (`catalogue/profiles.yaml`
holds the figures and cites their sources).

Allocatable follows the kubelet defaults: `evictionHard` memory.available<100Mi and nodefs.available<10%,
maxPods 110; k3s sets no kube-reserved or system-reserved, so allocatable = capacity minus those thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass

from sugarlab.sim.world.catalogues import Schema, load

KI = 1024
GIB_IN_KI = 1024 * 1024


@dataclass(frozen=True)
class NodeProfile:
    name: str
    model: str
    cpu_cores: int
    cpu_speed: float  # relative per-core speed, Pi 4 at 1.5 GHz = 1.0
    memory_ki: int  # MemTotal as the kubelet reports it
    kernel: str
    root_fs_ki: int  # size of the root filesystem (kubelet's nodefs)
    storage_medium: str
    image_pull_mb_per_s: float  # compressed image bytes pulled and unpacked per second, in MB (10^6 bytes)

    @property
    def allocatable_memory_ki(self) -> int:
        return self.memory_ki - 100 * KI

    @property
    def allocatable_storage_ki(self) -> int:
        return self.root_fs_ki * 9 // 10


class Board(Schema):
    """One board model, sold in several memory sizes."""

    board: str
    model: str
    cpu_cores: int
    cpu_speed: float
    kernel: str
    root_fs_ki: int
    storage_medium: str
    image_pull_mb_per_s: float
    memory_ki: dict[int, int]  # nominal GB -> MemTotal

    def profiles(self) -> list[NodeProfile]:
        return [
            NodeProfile(
                name=f"{self.board}-{gb}gb",
                model=f"{self.model} ({gb} GB)",
                cpu_cores=self.cpu_cores,
                cpu_speed=self.cpu_speed,
                memory_ki=memory_ki,
                kernel=self.kernel,
                root_fs_ki=self.root_fs_ki,
                storage_medium=self.storage_medium,
                image_pull_mb_per_s=self.image_pull_mb_per_s,
            )
            for gb, memory_ki in self.memory_ki.items()
        ]


class K3sFootprint(Schema):
    server_cpu_pi4: float
    server_memory_mb: int
    agent_cpu_pi4: float
    agent_memory_mb: int


class Profiles(Schema):
    boards: list[Board]
    k3s: K3sFootprint


_CATALOGUE = load("profiles.yaml", Profiles)

NODE_PROFILES: dict[str, NodeProfile] = {p.name: p for board in _CATALOGUE.boards for p in board.profiles()}

# Idle footprint of the k3s processes themselves, on the server and on an agent.
K3S_SERVER_CPU_PI4 = _CATALOGUE.k3s.server_cpu_pi4
K3S_SERVER_MEMORY_KI = _CATALOGUE.k3s.server_memory_mb * 1000 * 1000 // KI
K3S_AGENT_CPU_PI4 = _CATALOGUE.k3s.agent_cpu_pi4
K3S_AGENT_MEMORY_KI = _CATALOGUE.k3s.agent_memory_mb * 1000 * 1000 // KI
