"""Errors raised by sugarlab.

Every error a notebook should handle derives from one base, so a cell can catch broadly or narrowly:

    SugarlabError
     ├── ParameterError        a parameter is not allowed; raised before anything touches a cluster
     ├── ClusterError          the Kubernetes API refused or failed a request
     │    └── ClusterUnreachable   no API server answered at the configured address
     ├── MetricsUnavailable    metrics-server is missing or has no figures yet
     ├── SimulatorError        the simulated cluster could not start or does not match the request
     ├── RunError              a notebook failed during `sugarlab run`
     └── HostError             a machine reached over SSH (or simulated) failed a request
          ├── HostUnreachable      no SSH server answered: refused, timed out, unknown name
          ├── AuthenticationRefused  the SSH server refused every credential offered
          ├── HostKeyRejected      the host's key is unknown or has changed
          ├── CommandFailed        a command exited with a non-zero status
          └── CommandTimeout       a command did not finish within its timeout

Errors that belong to one lab step live beside their code, under the same base: `MissingBaseline`
(`sugarlab.report.baseline_comparison`), `PowerBudgetExceeded` (`sugarlab.steps.expansion`), `FioOutputError`
(`sugarlab.steps.operations.fio_output`), `NoNfsProvisioner` (`sugarlab.steps.storage.nfs_class`: with the install hint), `StoragePending` and
`ProbeFailed` (`sugarlab.steps.storage.writer`: the writer's claim or pod is stuck, with the diagnosis; reading its
database failed), `ExperimentSkipped` (`sugarlab.steps.storage.failover`), `ArtefactError` and its `MissingArtefact` (`sugarlab.report`: an artefact the report
needs is missing or unreadable; only that checklist item fails) and `EdgeAIError` with its subclasses
(`sugarlab.payloads.edge_ai.errors`).

Messages say what happened, to which object, and what to do next (often the tutorial's own hint).
"""

from __future__ import annotations


class SugarlabError(Exception):
    """Base of every error sugarlab raises on purpose."""


class ParameterError(SugarlabError, ValueError):
    """A parameter's value is not allowed."""

    def __init__(self, name: str, value: object, allowed: str) -> None:
        self.name, self.value, self.allowed = name, value, allowed
        super().__init__(f"parameter {name!r} = {value!r} is not allowed: {allowed}")


class ClusterError(SugarlabError):
    """A request to the Kubernetes API failed."""


class ClusterUnreachable(ClusterError):
    """No Kubernetes API server answered."""


class MetricsUnavailable(SugarlabError):
    """Resource metrics could not be read (metrics-server missing or not ready)."""


class SimulatorError(SugarlabError):
    """The simulated Sugarkube cluster could not be started or reused."""


class RunError(SugarlabError):
    """A notebook failed during a headless run."""


class HostError(SugarlabError):
    """A machine could not be reached, refused us, or failed a command."""


class HostUnreachable(HostError, ConnectionError):
    """No SSH server answered at host:port (refused, timed out, or the name does not resolve)."""

    def __init__(self, host: str, port: int, reason: str) -> None:
        self.host, self.port, self.reason = host, port, reason
        super().__init__(
            f"cannot reach SSH on {host}:{port}: {reason}. Check that the node has booted, is on "
            "the same management network as this machine (Tutorial 13, step 2) and runs sshd "
            "(`systemctl status ssh` on its console)")


class AuthenticationRefused(HostError):
    """The SSH server refused every credential offered."""

    def __init__(self, user: str, host: str, tried: list[str], reason: str, port: int = 22) -> None:
        self.user, self.host, self.tried, self.reason = user, host, tried, reason
        methods = ", ".join(tried) or "no credential (no key file given, agent off, no default keys)"
        copy_id = f"ssh-copy-id {'' if port == 22 else f'-p {port} '}{user}@{host}"
        super().__init__(
            f"{user}@{host} refused authentication ({reason}); tried: {methods}. Use the user and "
            f"key set up in Tutorial 10, or install your public key with `{copy_id}`")


class HostKeyRejected(HostError):
    """The host's key is not in known_hosts (strict policy) or differs from the one recorded."""

    def __init__(self, host: str, fingerprint: str, problem: str, advice: str) -> None:
        self.host, self.fingerprint, self.problem = host, fingerprint, problem
        super().__init__(f"host key of {host} rejected: {problem} (offered {fingerprint}). {advice}")


class CommandFailed(HostError):
    """A command exited with a non-zero status. `command` and `stderr` are already redacted."""

    def __init__(self, host: str, command: str, exit_status: int, stderr: str) -> None:
        self.host, self.command, self.exit_status, self.stderr = host, command, exit_status, stderr
        tail = "\n".join(stderr.rstrip().splitlines()[-5:])
        message = f"`{command}` on {host} exited with status {exit_status}"
        if tail:
            message += ":\n" + tail
        if "a password is required" in stderr:
            message += "\n(sudo asked for a password: allow passwordless sudo for this user on the node)"
        super().__init__(message)


class CommandTimeout(HostError, TimeoutError):
    """A command did not finish in time; its channel was closed. `command` is already redacted."""

    def __init__(self, host: str, command: str, timeout: float) -> None:
        self.host, self.command, self.timeout = host, command, timeout
        super().__init__(
            f"`{command}` on {host} did not finish within {timeout:g} s; the session was closed "
            "(pass a longer timeout for slow steps such as the k3s agent install)")
