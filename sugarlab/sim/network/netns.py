"""Named network namespaces of this machine, as `ip netns` keeps them: a bind mount of the namespace at
/run/netns/NAME, so it lives without a process in it and anything can enter it by that path.

Every name starts with the simulator's own prefix (from its state directory), so several simulators run
side by side and each removes only its own leftovers. A namespace is per thread: one is made by a thread
that unshares its network namespace and binds /proc/thread-self/ns/net (iproute2's `netns_add` binds
/proc/self, which is the process's first thread); sockets keep the namespace they were made in.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import os
from pathlib import Path

from pyroute2 import netns as pyroute2_netns

RUN_DIR = Path("/run/netns")  # iproute2's NETNS_RUN_DIR
CLONE_NEWNET = 0x40000000  # linux/sched.h
_libc = ctypes.CDLL(None, use_errno=True)


class EnterFailed(OSError):
    """The namespace could not be entered (it is gone, or the simulator may not enter it)."""


def prefix(state_dir: Path) -> str:
    """The simulator's own prefix of names: one per state directory."""
    return "sugarlab-" + hashlib.sha256(str(state_dir.resolve()).encode()).hexdigest()[:10]


def cluster_path(state_dir: Path) -> Path:
    """The namespace that stands for every node's network: bridges, routes, service addresses."""
    return RUN_DIR / prefix(state_dir)


def pod_path(state_dir: Path, uid: str) -> Path:
    """A pod's own namespace (its sandbox's, in containerd's words)."""
    return RUN_DIR / f"{prefix(state_dir)}-{uid}"


def _errno_error(what: str) -> OSError:
    errno = ctypes.get_errno()
    return OSError(errno, f"{what}: {os.strerror(errno).lower()}")


def enter(path: Path) -> None:
    """Move the calling thread into the namespace at `path`."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as gone:
        raise EnterFailed(gone.errno, f"open {path}: {os.strerror(gone.errno or 0).lower()}") from None
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            failed = _errno_error("setns")
            raise EnterFailed(failed.errno, failed.strerror)
    finally:
        os.close(fd)


def create(path: Path) -> None:
    """Move the calling thread into a new namespace and keep it at `path`."""
    if _libc.unshare(CLONE_NEWNET) != 0:
        raise _errno_error("unshare")
    pyroute2_netns.attach(str(path), "thread-self")  # the mount point and bind mount, as `ip netns add`


def remove(path: Path) -> None:
    """Unmount and unlink the namespace at `path` (`ip netns del`); processes still inside keep it."""
    with contextlib.suppress(FileNotFoundError):
        pyroute2_netns.remove(str(path))


def remove_leftovers(state_dir: Path) -> int:
    """Remove every namespace of this simulator's prefix (a killed run's); how many there were."""
    mine = prefix(state_dir)
    found = [p for p in RUN_DIR.glob(f"{mine}*") if p.name == mine or p.name.startswith(f"{mine}-")]
    for path in found:
        remove(path)
    return len(found)


def write_sysctl(name: str, value: str) -> None:
    """Set a `net.` sysctl of the calling thread's namespace (/proc/sys/net is per namespace)."""
    Path("/proc/sys", *name.split(".")).write_text(value)
