"""The `Host` interface, a command's result, and redaction of secrets from anything we show."""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

REDACTED = "[redacted]"


def redact(text: str, secrets: Iterable[str | bytes]) -> str:
    """`text` with every occurrence of each secret (and of its shell-quoted form) replaced.

    Empty secrets are ignored; a secret given as bytes is matched as UTF-8 text, with and without
    surrounding whitespace (a credential file usually ends in a newline).
    """
    forms: set[str] = set()
    for secret in secrets:
        value = secret.decode("utf-8", "replace") if isinstance(secret, bytes) else secret
        for form in (value, value.strip()):
            if form:
                forms.update((form, shlex.quote(form)))
    for form in sorted(forms, key=len, reverse=True):  # longest first: a quoted form contains its secret
        text = text.replace(form, REDACTED)
    return text


@dataclass(frozen=True)
class CommandResult:
    """What a command did on a host. `command` is as shown in errors: secrets already redacted."""

    host: str
    command: str
    exit_status: int
    stdout: str
    stderr: str
    duration: float  # seconds, from sending the command to its exit status

    @property
    def ok(self) -> bool:
        return self.exit_status == 0


@runtime_checkable
class Host(Protocol):
    """A machine that runs commands: a Pi over SSH, or a simulated node.

    `run` raises `CommandFailed` on a non-zero exit when `check` is true and `CommandTimeout` when the
    command outlives `timeout`. `secrets` are strings the caller knows to be sensitive: they are
    redacted from every message and from `CommandResult.command`. `sudo` runs the command as root
    (None: the host's default).

    `write_file` places `data` at `path` atomically with permission `mode`, creating the parent
    directory (and setting its permission to `dir_mode` when given). The data never appears on a
    command line, in an environment variable or in a log.
    """

    name: str

    def run(
        self,
        command: str,
        *,
        timeout: float = ...,
        stdin: bytes | None = None,
        check: bool = True,
        sudo: bool | None = None,
        secrets: Iterable[str | bytes] = (),
    ) -> CommandResult: ...

    def write_file(
        self, path: str, data: bytes, mode: int, *, dir_mode: int | None = None, sudo: bool | None = None
    ) -> None: ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None: ...
