"""The lab's NAS: one NFS server with one export, the tutorial's example address and path.

Its export is a real directory under the simulator's state, so volumes provisioned on it hold real
files that outlive any node. A mount of another server times out, as an unreachable one does; a
mount of a path outside the export is refused by the server. The NAS can stop answering (the
simulator's fault interface, `POST /sugarlab/v1/nas/power`): then every mount of it times out too.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath

SERVER = "192.168.42.50"  # the tutorial's StorageClass `server`
EXPORT = "/export/sugarkube"  # the tutorial's StorageClass `path`
NFS_PORT = 2049


DOWN_FILE = "nas-down.json"  # under the simulator's state: present while the NAS does not answer


def answering(state_dir: Path) -> bool:
    return not (state_dir / DOWN_FILE).exists()


def down_since(state_dir: Path) -> str:
    path = state_dir / DOWN_FILE
    return str(json.loads(path.read_text())["since"]) if path.exists() else ""


def set_answering(state_dir: Path, on: bool, stamp: str) -> None:
    """Pull the NAS's plug (`on` False) or put it back; `stamp` is the cluster time it happened."""
    path = state_dir / DOWN_FILE
    if on:
        path.unlink(missing_ok=True)
    elif not path.exists():
        path.write_text(json.dumps({"since": stamp}))


class MountError(Exception):
    """What mount.nfs says when a mount fails, and its exit status (32: mount failure)."""


def export_dir(state_dir: Path, server: str, path: str) -> Path:
    """The directory behind `server:path`, or MountError as `mount -t nfs` would fail."""
    if server != SERVER or not answering(state_dir):
        raise MountError(f"mount.nfs: Connection timed out ({server}:{NFS_PORT} did not answer)")
    wanted = PurePosixPath(path)
    if wanted != PurePosixPath(EXPORT) and PurePosixPath(EXPORT) not in wanted.parents:
        raise MountError(f"mount.nfs: access denied by server while mounting {server}:{path}")
    folder = state_dir / "nas" / wanted.relative_to("/")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
