"""Machines the lab reaches directly: run a command, place a file, read host key fingerprints.

The expansion notebook joins workers through this seam and the SSH-hardening audit reads nodes
through it. `Host` is the interface; `SSHHost` is the real one (paramiko), `sim.SimulatedHost` the
simulator's; `factory` picks between them for a lab. Errors derive from `sugarlab.lab.errors.HostError`.
"""

from sugarlab.hosts.base import CommandResult, Host, redact
from sugarlab.hosts.keys import HostKey, fingerprint, host_key_fingerprints
from sugarlab.hosts.ssh import HOST_KEY_POLICIES, SSHHost

__all__ = [
    "HOST_KEY_POLICIES",
    "CommandResult",
    "Host",
    "HostKey",
    "SSHHost",
    "fingerprint",
    "host_key_fingerprints",
    "redact",
]
