"""Errors raised by sugarlab.

Every error a notebook should handle derives from one base, so a cell can catch broadly or narrowly:

    SugarlabError
     ├── ParameterError        a parameter is not allowed; raised before anything touches a cluster
     ├── ClusterError          the Kubernetes API refused or failed a request
     │    ├── ApiError             the server answered with an error `Status` (in `sugarlab.kube.errors`,
     │    │                        as it is also the client's `ApiException`)
     │    ├── ClusterUnreachable   no API server answered at the configured address
     │    ├── WaitTimeout          a condition did not hold within its time (`sugarlab.kube.wait_for`)
     │    └── ImagePullFailed      a pod a wait is for cannot pull its image, naming the parameter to change
     ├── MetricsUnavailable    metrics-server is missing or has no figures yet
     ├── SimulatorError        the simulated cluster could not start or does not match the request
     ├── RunError              a notebook failed during `sugarlab run`
     ├── PowerBudgetExceeded   the devices would draw more than 80% of the supply's rating (02)
     ├── MissingBaseline       notebook 01's baseline is not in the workspace (03)
     ├── NoNfsProvisioner      no NFS provisioner runs, or not the one asked for, with the install hint (04)
     ├── StoragePending        the writer's claim or pod is stuck; the message is the diagnosis (04)
     ├── ProbeFailed           reading the writer's database through exec failed (04)
     ├── ExperimentSkipped     a failover experiment cannot run on this cluster (04)
     ├── FioOutputError        text that should hold fio's JSON report does not (06)
     ├── ArtefactError         an artefact the report needs is unreadable; only its checklist item fails
     │    └── MissingArtefact      ... or missing, naming the notebook that writes it
     └── HostError             a machine reached over SSH (or simulated) failed a request
          ├── HostUnreachable      no SSH server answered: refused, timed out, unknown name
          ├── AuthenticationRefused  the SSH server refused every credential offered
          ├── HostKeyRejected      the host's key is unknown or has changed
          ├── CommandFailed        a command exited with a non-zero status
          └── CommandTimeout       a command did not finish within its timeout

Two trees stand apart, because their code runs where the workbook is not: the inference service's
`EdgeAIError` (`sugarlab.payloads.edge_ai.errors`, inside its pods) and the simulator's
`SimulatorStartFailed` (`sugarlab.sim.lifecycle`), which `connect` turns into a `SimulatorError`.

Messages say what happened, to which object, and what to do next (often the tutorial's own hint).
"""

from __future__ import annotations

from typing import Any


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


class WaitTimeout(ClusterError, TimeoutError):
    """A condition on the cluster did not hold within its timeout (cluster seconds); `last` is the last
    poll's answer (`sugarlab.kube.wait.Pending`)."""

    def __init__(self, waited_for: str, timeout: float, last: Any) -> None:
        self.waited_for, self.timeout, self.last = waited_for, timeout, last
        seen = getattr(last, "seen", "")
        super().__init__(
            f"{waited_for}: not within {timeout:g} s of cluster time" + (f"; last seen: {seen}" if seen else "")
        )


class ImagePullFailed(ClusterError):
    """A pod the lab waits for cannot pull its image (`ErrImagePull`, `ImagePullBackOff`, ...): waiting
    longer will not help, so the wait ends at once with what the kubelet said and the parameter to change."""

    def __init__(self, pod: str, node: str, image: str, reason: str, message: str, parameter: str) -> None:
        self.pod, self.node, self.image, self.reason, self.message = pod, node, image, reason, message
        self.parameter = parameter
        change = f"change the parameter `{parameter}`" if parameter else "change the manifest's image"
        super().__init__(
            f"pod {pod} on {node or 'no node yet'} cannot pull image {image!r} ({reason}); {change} "
            "(check the name and tag, that the node reaches the registry, and that the image is published "
            f"for the node's architecture, arm64 on a Pi). The kubelet says: {message}"
        )


class MetricsUnavailable(SugarlabError):
    """Resource metrics could not be read (metrics-server missing or not ready)."""


class SimulatorError(SugarlabError):
    """The simulated Sugarkube cluster could not be started or reused."""


class RunError(SugarlabError):
    """A notebook failed during a headless run."""


class PowerBudgetExceeded(SugarlabError):
    """The devices would draw more than 80% of the supply's rating."""


class MissingBaseline(SugarlabError):
    """The baseline artefacts are not in the workspace."""


class NoNfsProvisioner(SugarlabError):
    """No NFS provisioner runs in the cluster, or not the one asked for."""


class StoragePending(SugarlabError):
    """The writer's claim or pod did not become ready; the message carries the diagnosis."""


class ProbeFailed(SugarlabError):
    """Reading the database through exec failed."""


class ExperimentSkipped(SugarlabError):
    """An experiment cannot run on this cluster (no second worker, no power control)."""


FIO_HEAD_CHARS = 200  # how much of text that is not fio's report an error quotes


class FioOutputError(SugarlabError):
    """Text that should hold fio's JSON report does not. `reason` says why; `head` is its start."""

    def __init__(self, reason: str, text: str) -> None:
        self.reason, self.head = reason, text[:FIO_HEAD_CHARS]
        more = f" ({len(text)} characters in all)" if len(text) > FIO_HEAD_CHARS else ""
        super().__init__(
            f"not fio JSON output: {reason}\nThe text begins{more}:\n{self.head!r}\n"
            "Run fio with --output-format=json (see fio_command) and pass what it printed, for "
            "example the output of `kubectl logs job/fio-benchmark` (Tutorial 13, step 6.3)"
        )


class ArtefactError(SugarlabError):
    """An artefact the report needs cannot be used: `path` names it."""

    def __init__(self, path: str, problem: str) -> None:
        self.path, self.problem = path, problem
        super().__init__(f"{path}: {problem}")


class MissingArtefact(ArtefactError):
    """An artefact the report needs is not in the workspace; `notebook` is the one that writes it."""

    def __init__(self, path: str, notebook: str | None) -> None:
        hint = f"run notebooks/{notebook}.ipynb in this workspace" if notebook else "no notebook writes it"
        super().__init__(path, f"missing; {hint}")


class HostError(SugarlabError):
    """A machine could not be reached, refused us, or failed a command."""


class HostUnreachable(HostError, ConnectionError):
    """No SSH server answered at host:port (refused, timed out, or the name does not resolve)."""

    def __init__(self, host: str, port: int, reason: str) -> None:
        self.host, self.port, self.reason = host, port, reason
        super().__init__(
            f"cannot reach SSH on {host}:{port}: {reason}. Check that the node has booted, is on "
            "the same management network as this machine (Tutorial 13, step 2) and runs sshd "
            "(`systemctl status ssh` on its console)"
        )


class AuthenticationRefused(HostError):
    """The SSH server refused every credential offered."""

    def __init__(self, user: str, host: str, tried: list[str], reason: str, port: int = 22) -> None:
        self.user, self.host, self.tried, self.reason = user, host, tried, reason
        methods = ", ".join(tried) or "no credential (no key file given, agent off, no default keys)"
        copy_id = f"ssh-copy-id {'' if port == 22 else f'-p {port} '}{user}@{host}"
        super().__init__(
            f"{user}@{host} refused authentication ({reason}); tried: {methods}. Use the user and "
            f"key set up in Tutorial 10, or install your public key with `{copy_id}`"
        )


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
            "(pass a longer timeout for slow steps such as the k3s agent install)"
        )
