"""Writing files all or nothing: the one atomic writer of the app and of edge-quantize.

Invariant: a file at its final name is complete and on disk. ``atomic_path`` hands out a temporary
file in the same folder (``.partial-<name>.*``); once it is filled, the file is fsynced, renamed
over the target and the folder is fsynced, so a crash leaves either the old file or the new one,
never half of either. On any failure the temporary file is removed, and a full disk becomes
``DiskFullError``. ``atomic_write`` is the same for bytes already in memory.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path
from typing import Iterator

from .errors import DiskFullError

__all__ = ["atomic_path", "atomic_write", "DISK_FULL_ERRNOS", "FREE_SPACE"]

FREE_SPACE = "Everything saved before is safe. Free some disk space and try again."
DISK_FULL_ERRNOS = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, mode: int = 0o600, full_message: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` to fill (in Python or by a child process); when the
    block ends without an error it becomes ``path``. ``full_message`` is what a full disk says."""
    path = Path(path)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".partial-{path.name}.")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        _fsync_file(tmp)
        os.chmod(tmp, mode)  # widened only once whole; until then only its owner can read it
        os.replace(tmp, path)
    except OSError as error:
        if error.errno in DISK_FULL_ERRNOS:
            raise DiskFullError(full_message or f"The disk is full, so {path} was not written. {FREE_SPACE}") from error
        raise
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(path.parent)


def atomic_write(path: str | os.PathLike, data: bytes, mode: int = 0o600) -> None:
    """Write ``data`` to ``path`` all or nothing: temp file, fsync, rename, fsync the folder."""
    with atomic_path(path, mode=mode) as tmp:
        tmp.write_bytes(data)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDWR)  # Windows fsyncs only a handle open for writing
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # Windows cannot open a folder; its rename is already durable enough
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
