"""sugarlab: Sugarkube's Tutorial 13 as runnable, repeatable experiments.

The names below are what notebooks use; everything else is reached through its module.
"""

from sugarlab.core.errors import (
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
)
from sugarlab.core.lab import Lab, open_lab

__all__ = [
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
    "open_lab",
]
