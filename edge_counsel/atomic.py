"""Writing files all or nothing.

``atomic_write`` writes a temporary file in the same folder, fsyncs it, renames it over the target
and fsyncs the folder, so a crash leaves either the old file or the new one, never half of either.
A full disk becomes ``DiskFullError`` and the temporary file is removed.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from .errors import DiskFullError

__all__ = ["atomic_write", "DISK_FULL_ERRNOS", "FREE_SPACE"]

FREE_SPACE = "Everything saved before is safe. Free some disk space and try again."
DISK_FULL_ERRNOS = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}


def atomic_write(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write ``data`` to ``path`` all or nothing: temp file, fsync, rename, fsync the folder."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as error:
        Path(tmp).unlink(missing_ok=True)
        if error.errno in DISK_FULL_ERRNOS:
            raise DiskFullError(f"The disk is full, so {path} was not written. {FREE_SPACE}") from error
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # Windows cannot open a folder; its rename is already durable enough
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
