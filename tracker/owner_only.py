"""Files only their owner can read: created that way, never tightened afterwards.

The run-time folder (var/) holds the secret key, the SQLite database, outgoing mail and
the admin password. A file written and then chmod-ed is readable by anyone in between,
and a folder created 0755 lets anyone list and open what it holds; these helpers create
each with its final mode in the same system call. (Pure: settings import it.)
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

FOLDER_MODE = 0o700
FILE_MODE = 0o600


def make_private_folder(path: Path) -> None:
    """Create `path` (and missing parents) 0700; an existing folder is left as it is."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkdir's mode is only narrowed by the umask, so 0700 is what it gets.
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=FOLDER_MODE)


def create_private_file(path: Path, data: bytes = b"") -> bool:
    """Create `path` 0600 holding `data`, unless it exists; True when it was created.

    The content is written to a private temporary file and linked into place, so another
    process never finds the file half written, and of two racing creators one wins.
    """
    partial = path.with_name(f".{path.name}.{secrets.token_hex(8)}.part")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        try:
            os.link(partial, path)
        except FileExistsError:
            return False
        return True
    finally:
        partial.unlink()


def write_private_file(path: Path, data: bytes) -> None:
    """Write `path` 0600 from the start, replacing it if it exists (atomically)."""
    partial = path.with_name(f".{path.name}.{secrets.token_hex(8)}.part")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
    os.replace(partial, path)
