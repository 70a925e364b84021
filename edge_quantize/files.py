"""Atomic file output.

Invariant: a file at its final name is complete. Every output is written through the app's one
atomic writer (``edge_counsel.atomic``: a ``.partial-*`` file beside the target, fsynced, renamed
into place only once it is whole, the folder fsynced); a crash or a full disk never leaves a half
file that looks valid.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
from pathlib import Path
from typing import Iterator

from edge_counsel import atomic

from .errors import DiskFullError

__all__ = ["atomic_path", "write_text", "write_json", "read_json", "check_free_space", "copy_file"]


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success move it onto ``target``."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    full = (f"The disk is full while writing {target}. Free space in {target.parent} "
            "(or choose another --out-dir) and run the stage again.")
    # outputs are ordinary files (mkstemp alone would leave them 0600)
    with atomic.atomic_path(target, mode=0o666 & ~_umask(), full_message=full) as tmp:
        yield tmp
        if not tmp.exists() or tmp.stat().st_size == 0:
            raise OSError(errno.EIO, f"nothing was written for {target.name}")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(target: str | os.PathLike, text: str) -> Path:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(target)


def write_json(target: str | os.PathLike, data) -> Path:
    return write_text(target, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def read_json(path: str | os.PathLike):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def copy_file(src: str | os.PathLike, target: str | os.PathLike) -> Path:
    check_free_space(Path(target).parent, Path(src).stat().st_size)
    with atomic_path(target) as tmp:
        shutil.copyfile(src, tmp)
    return Path(target)


def check_free_space(folder: str | os.PathLike, needed_bytes: int, what: str = "the output") -> None:
    """Fail early, before hours of work, when ``folder`` cannot hold ``needed_bytes`` more."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(folder).free
    if free < needed_bytes:
        raise DiskFullError(f"{what} needs about {needed_bytes / 2**30:.1f} GiB but {folder} has "
                            f"{free / 2**30:.1f} GiB free. Free some space or choose another --out-dir.")
