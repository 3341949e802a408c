"""The lab's NAS: one NFS server with one export, the tutorial's example address and path.

Its export is a real directory under the simulator's state, so volumes provisioned on it hold real
files that outlive any node. A mount of another server times out, as an unreachable one does; a
mount of a path outside the export is refused by the server.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

SERVER = "192.168.42.50"  # the tutorial's StorageClass `server`
EXPORT = "/export/sugarkube"  # the tutorial's StorageClass `path`
NFS_PORT = 2049


class MountError(Exception):
    """What mount.nfs says when a mount fails, and its exit status (32: mount failure)."""


def export_dir(state_dir: Path, server: str, path: str) -> Path:
    """The directory behind `server:path`, or MountError as `mount -t nfs` would fail."""
    if server != SERVER:
        raise MountError(f"mount.nfs: Connection timed out ({server}:{NFS_PORT} did not answer)")
    wanted = PurePosixPath(path)
    if wanted != PurePosixPath(EXPORT) and PurePosixPath(EXPORT) not in wanted.parents:
        raise MountError(f"mount.nfs: access denied by server while mounting {server}:{path}")
    folder = state_dir / "nas" / wanted.relative_to("/")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
