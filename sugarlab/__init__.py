"""sugarlab: Sugarkube's Tutorial 13 as runnable, repeatable experiments.

The names below are what notebooks use; everything else is reached through its package (`app`,
`lab`, `kube`, `hosts`, `steps`, `report`, `views`, `payloads`, `sim`, `common`). They load on first use, so that
importing one package (the simulator, say) does not load the rest of the workbook.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sugarlab.app.notebook import open_lab, stop_simulator
    from sugarlab.kube.errors import ApiError
    from sugarlab.lab.errors import (
        AuthenticationRefused,
        ClusterError,
        ClusterUnreachable,
        CommandFailed,
        CommandTimeout,
        HostError,
        HostKeyRejected,
        HostUnreachable,
        MetricsUnavailable,
        ParameterError,
        RunError,
        SimulatorError,
        SugarlabError,
        WaitTimeout,
    )
    from sugarlab.lab.session import Lab

_HOMES = {
    "sugarlab.lab.errors": [
        "AuthenticationRefused",
        "ClusterError",
        "ClusterUnreachable",
        "CommandFailed",
        "CommandTimeout",
        "HostError",
        "HostKeyRejected",
        "HostUnreachable",
        "MetricsUnavailable",
        "ParameterError",
        "RunError",
        "SimulatorError",
        "SugarlabError",
        "WaitTimeout",
    ],
    "sugarlab.lab.session": ["Lab"],
    "sugarlab.app.notebook": ["open_lab", "stop_simulator"],
    "sugarlab.kube.errors": ["ApiError"],
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = [
    "ApiError",
    "AuthenticationRefused",
    "ClusterError",
    "ClusterUnreachable",
    "CommandFailed",
    "CommandTimeout",
    "HostError",
    "HostKeyRejected",
    "HostUnreachable",
    "Lab",
    "MetricsUnavailable",
    "ParameterError",
    "RunError",
    "SimulatorError",
    "SugarlabError",
    "WaitTimeout",
    "open_lab",
    "stop_simulator",
]


def __getattr__(name: str) -> Any:
    if name not in _HOME_OF:
        raise AttributeError(f"module 'sugarlab' has no attribute {name!r}")
    value = getattr(import_module(_HOME_OF[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
