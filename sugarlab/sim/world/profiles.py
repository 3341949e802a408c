"""Hardware profiles of simulated nodes, calibrated from published figures.

Sources:
- Raspberry Pi 4 Model B product brief: BCM2711, 4x Cortex-A72 at 1.5 GHz (1.8 GHz from the 2020
  board revision), 1/2/4/8 GB LPDDR4.
- Raspberry Pi 5 product brief: BCM2712, 4x Cortex-A76 at 2.4 GHz, "a 2-3x increase in CPU
  performance relative to Raspberry Pi 4", 2/4/8/16 GB LPDDR4X.
- K3s docs, "Resource Profiling" (docs.k3s.io/reference/resource-profiling), Pi4B BCM2711 1.5 GHz:
  a K3s cluster with a single agent needs 25% of a core and 1215 MB on the server; a K3s agent
  10% of a core and 268 MB.
- kubelet defaults: `evictionHard` memory.available<100Mi and nodefs.available<10%, maxPods 110;
  k3s sets no kube-reserved or system-reserved, so allocatable = capacity minus those thresholds.

Memory capacity is MemTotal as 64-bit Raspberry Pi OS reports it: the nominal size less what the
firmware and kernel keep (about 3-5%); it varies by a few MiB between firmware releases.
"""

from __future__ import annotations

from dataclasses import dataclass

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

    @property
    def allocatable_memory_ki(self) -> int:
        return self.memory_ki - 100 * KI

    @property
    def allocatable_storage_ki(self) -> int:
        return self.root_fs_ki * 9 // 10


def _pi4(gb: int, memory_ki: int) -> NodeProfile:
    return NodeProfile(
        name=f"pi4-{gb}gb",
        model=f"Raspberry Pi 4 Model B ({gb} GB)",
        cpu_cores=4,
        cpu_speed=1.2,  # the 1.8 GHz revision, 1.8 / 1.5
        memory_ki=memory_ki,
        kernel="6.6.51+rpt-rpi-v8",
        root_fs_ki=30_358_496,  # a 32 GB microSD card after the boot partition
        storage_medium="microsd",
    )


def _pi5(gb: int, memory_ki: int) -> NodeProfile:
    return NodeProfile(
        name=f"pi5-{gb}gb",
        model=f"Raspberry Pi 5 ({gb} GB)",
        cpu_cores=4,
        cpu_speed=2.5,  # middle of the product brief's 2-3x
        memory_ki=memory_ki,
        kernel="6.6.51+rpt-rpi-2712",
        root_fs_ki=244_382_408,  # a 256 GB NVMe drive on the PCIe HAT
        storage_medium="nvme",
    )


NODE_PROFILES: dict[str, NodeProfile] = {
    p.name: p
    for p in (
        _pi4(2, 1_867_084),
        _pi4(4, 3_882_388),
        _pi4(8, 7_998_324),
        _pi5(4, 4_142_176),
        _pi5(8, 8_245_296),
        _pi5(16, 16_608_112),
    )
}

# Idle footprint of the k3s processes themselves (server: apiserver, scheduler, controllers, kine,
# containerd, kubelet; agent: kubelet, containerd, flannel), from the K3s resource profile above.
K3S_SERVER_CPU_PI4 = 0.25
K3S_SERVER_MEMORY_KI = 1215 * 1000 * 1000 // KI
K3S_AGENT_CPU_PI4 = 0.10
K3S_AGENT_MEMORY_KI = 268 * 1000 * 1000 // KI
