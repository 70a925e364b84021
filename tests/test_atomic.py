"""The one atomic writer: all or nothing, fsynced, and a full disk is a DiskFullError."""

from __future__ import annotations

import errno
import os
import stat

import pytest

from edge_counsel import atomic
from edge_counsel.atomic import atomic_path, atomic_write
from edge_counsel.errors import DiskFullError


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_atomic_write_replaces_the_file_whole_and_private(tmp_path):
    target = tmp_path / "settings.json"
    target.write_bytes(b"old")
    atomic_write(target, b"new")
    assert target.read_bytes() == b"new" and list(tmp_path.iterdir()) == [target]
    if os.name == "posix":
        assert _mode(target) == 0o600


def test_atomic_path_fsyncs_the_file_and_the_folder(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(atomic.os, "fsync", lambda fd: synced.append(os.fstat(fd).st_mode) or real_fsync(fd))
    with atomic_path(tmp_path / "model.gguf", mode=0o644) as tmp:
        tmp.write_bytes(b"GGUF")
    assert (tmp_path / "model.gguf").read_bytes() == b"GGUF"
    assert any(stat.S_ISREG(m) for m in synced)
    if os.name == "posix":
        assert any(stat.S_ISDIR(m) for m in synced) and _mode(tmp_path / "model.gguf") == 0o644


def test_a_failure_leaves_the_old_file_and_no_partial(tmp_path):
    target = tmp_path / "keyfile.json"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("crash")
    assert target.read_bytes() == b"old" and list(tmp_path.iterdir()) == [target]


def test_a_full_disk_is_a_disk_full_error_with_the_callers_advice(tmp_path):
    with pytest.raises(DiskFullError, match="Free some disk space"):
        with atomic_path(tmp_path / "a.json"):
            raise OSError(errno.ENOSPC, "No space left on device")
    with pytest.raises(DiskFullError, match="^Free about 600 MB"):
        with atomic_path(tmp_path / "b.gguf", full_message="Free about 600 MB and start again."):
            raise OSError(errno.ENOSPC, "No space left on device")
    assert list(tmp_path.iterdir()) == []
