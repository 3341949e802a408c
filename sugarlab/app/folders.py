"""Folders the user names on the command line (a workspace, an output folder): checked before anything
is written there, so that a file in the way is a one-line usage error, not a traceback from deep inside."""

from __future__ import annotations

import os
from pathlib import Path

from sugarlab.lab.errors import ParameterError


def writable_folder(option: str, path: Path) -> None:
    """`path` is a folder this user may write in, or one that can be made: its nearest existing ancestor is
    a writable folder. Raises ParameterError naming `option` otherwise."""
    path = Path(path).absolute()
    for folder in (path, *path.parents):
        if not folder.exists():
            continue
        if not folder.is_dir():
            where = "it is a file" if folder == path else f"{folder} is a file"
            raise ParameterError(option, str(path), f"a folder; {where}")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise ParameterError(option, str(path), f"a folder this user may write in; {folder} is not writable")
        return
