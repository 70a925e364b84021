"""The store under faults, on real files: wrong keys, damaged files, kill -9 and a full disk.

The kill -9 and full-disk tests run a real `python -c` child that writes and prints each message
id after its commit returned, so the test knows exactly which writes were acknowledged.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from edge_counsel import paths
from edge_counsel.errors import DiskFullError, StoreCorruptError, WrongPassphraseError
from edge_counsel.store.database import Store, move_aside, open_store

KEY = bytes.fromhex("0123456789abcdef" * 4)
OTHER_KEY = bytes.fromhex("fedcba9876543210" * 4)
REPO = Path(__file__).resolve().parents[1]
posix_only = pytest.mark.skipif(os.name != "posix", reason="needs POSIX signals and rlimits")


@pytest.fixture
def db_path() -> Path:
    return paths.data_dir() / "counsel.db"


def _digest(*files: Path) -> dict[str, str]:
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in files if f.exists()}


def _sidecars(path: Path) -> list[Path]:
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]


def _make_store(path: Path, n: int = 3) -> list[int]:
    with Store(open_store(path, KEY)) as store:
        conv = store.create_conversation("kept")
        return [store.add_message(conv.id, "user", f"message {i}").id for i in range(n)]


# Wrong key and damaged files --------------------------------------------------------------------


def test_wrong_key_changes_nothing(db_path):
    _make_store(db_path)
    before = _digest(db_path)
    with pytest.raises(WrongPassphraseError, match="passphrase"):
        open_store(db_path, OTHER_KEY)
    assert _digest(db_path) == before
    assert sorted(p.name for p in db_path.parent.iterdir()) == ["counsel.db"]
    assert len(Store(open_store(db_path, KEY)).list_messages(1)) == 3  # still opens with the right key


@pytest.mark.parametrize(
    "content",
    [
        b"this is a shopping list, not a database\n" * 50,
        b"\0" * 8192,
        os.urandom(1000),  # not a whole page
    ],
)
def test_garbage_file_is_corrupt_and_can_be_moved_aside(db_path, content):
    db_path.write_bytes(content)
    with pytest.raises(StoreCorruptError, match="move it aside") as caught:
        open_store(db_path, KEY)
    assert caught.value.path == db_path
    assert db_path.read_bytes() == content  # untouched
    moved = move_aside(db_path)
    assert moved.name.startswith("counsel.db.corrupt-") and moved.read_bytes() == content
    assert not db_path.exists()
    with Store(open_store(db_path, KEY)) as fresh:  # a new, empty store takes its place
        assert fresh.list_conversations() == []


def test_unencrypted_sqlite_file_is_refused(db_path):
    with sqlite3.connect(db_path) as conn:
        conn.execute("CREATE TABLE t (x)")
    with pytest.raises(StoreCorruptError, match="unencrypted"):
        open_store(db_path, KEY)


def test_move_aside_takes_the_wal_along_and_never_overwrites(db_path):
    db_path.write_bytes(b"x" * 10)
    db_path.with_name("counsel.db-wal").write_bytes(b"old wal")
    first = move_aside(db_path)
    assert first.with_name(first.name + "-wal").read_bytes() == b"old wal"
    db_path.write_bytes(b"y" * 10)
    second = move_aside(db_path)
    assert second != first and first.read_bytes() == b"x" * 10 and second.read_bytes() == b"y" * 10


# kill -9 ----------------------------------------------------------------------------------------

WRITER = """
import sys
from pathlib import Path
from edge_counsel.store.database import Store, open_store
store = Store(open_store(Path(sys.argv[1]), bytes.fromhex(sys.argv[2])))
conv = store.create_conversation("durability")
for i in range(1_000_000):
    message = store.add_message(conv.id, "user", f"message {i}")
    print(message.id, i, flush=True)  # only after the commit returned
"""


def _child_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def _kill_writer_mid_loop(path: Path, acks_before_kill: int = 60) -> dict[int, str]:
    """Run WRITER, SIGKILL it after some commits; return {message id: content} it acknowledged."""
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), KEY.hex()],
        stdout=subprocess.PIPE, env=_child_env(), cwd=REPO, text=True,
    )
    lines = [child.stdout.readline() for _ in range(acks_before_kill)]
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    lines += child.stdout.readlines()  # acknowledgements still in the pipe
    child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    complete = [line.split() for line in lines if line.endswith("\n")]
    return {int(mid): f"message {i}" for mid, i in complete}


@posix_only
def test_kill_9_loses_no_acknowledged_message(db_path):
    acked = _kill_writer_mid_loop(db_path)
    assert len(acked) >= 60
    assert db_path.with_name("counsel.db-wal").exists()  # it died without a clean close
    with Store(open_store(db_path, KEY)) as store:
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = {m.id: m.content for m in store.list_messages(1)}
    assert {mid: stored.get(mid) for mid in acked} == acked
    assert len(stored) - len(acked) <= 1  # at most the commit whose ack was cut off


@posix_only
def test_wrong_key_after_a_crash_changes_nothing(db_path):
    _kill_writer_mid_loop(db_path, acks_before_kill=10)
    files = _sidecars(db_path)
    before = _digest(*files)
    assert "counsel.db-wal" in before
    with pytest.raises(WrongPassphraseError):
        open_store(db_path, OTHER_KEY)
    assert _digest(db_path, files[1]) == {k: v for k, v in before.items() if k != "counsel.db-shm"}


# A full disk ------------------------------------------------------------------------------------


def _fill_until_full(store: Store) -> tuple[list[int], DiskFullError]:
    conv = store.create_conversation("filling")
    saved = []
    for _ in range(5000):
        try:
            saved.append(store.add_message(conv.id, "user", os.urandom(3000).hex()).id)
        except DiskFullError as error:
            return saved, error
    raise AssertionError("the disk never filled up")


@pytest.fixture
def tiny_disk(tmp_path):
    """A real 2 MiB tmpfs; skipped where mounting is not allowed (not root, no CAP_SYS_ADMIN)."""
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    if os.name != "posix" or os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a tmpfs needs root; test_full_disk_by_file_size_limit covers this")
    command = ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount_point)]
    done = subprocess.run(command, capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_full_disk_keeps_what_was_saved(tiny_disk):
    path = tiny_disk / "counsel.db"
    store = Store(open_store(path, KEY))
    saved, error = _fill_until_full(store)
    assert len(saved) > 10
    assert "full" in str(error) and "safe" in str(error)
    assert error.__cause__.sqlite_errorcode & 0xFF == 13  # SQLITE_FULL: the kernel said ENOSPC
    assert [m.id for m in store.list_messages(1)] == saved  # the failed write rolled back
    store.close()
    with Store(open_store(path, KEY)) as reopened:
        assert [m.id for m in reopened.list_messages(1)] == saved
        assert reopened.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


FSIZE_WRITER = """
import os, resource, signal, sys
from pathlib import Path
from edge_counsel.errors import DiskFullError
from edge_counsel.store.database import Store, open_store
path = Path(sys.argv[1])
store = Store(open_store(path, bytes.fromhex(sys.argv[2])))
conv = store.create_conversation("filling")
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # so a write past the limit fails with EFBIG
limit = max(p.stat().st_size for p in path.parent.iterdir()) + 600_007
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
for i in range(5000):
    try:
        message = store.add_message(conv.id, "user", os.urandom(100).hex())
    except DiskFullError as error:
        print("FULL", error, flush=True)
        break
    print(message.id, flush=True)
store.close()
"""


@posix_only
def test_full_disk_by_file_size_limit(db_path):
    """Works without root: RLIMIT_FSIZE makes the kernel refuse writes past a size."""
    _make_store(db_path, n=0)
    done = subprocess.run(
        [sys.executable, "-c", FSIZE_WRITER, str(db_path), KEY.hex()],
        capture_output=True, text=True, env=_child_env(), cwd=REPO, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    *acks, last = done.stdout.splitlines()
    assert last.startswith("FULL") and "full" in last
    assert len(acks) > 10
    with Store(open_store(db_path, KEY)) as store:
        assert [m.id for m in store.list_messages(2)] == [int(a) for a in acks]
        assert store.add_message(2, "assistant", "room again").id  # the store still works
