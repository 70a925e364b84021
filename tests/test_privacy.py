"""Privacy, proved on a real session in a real subprocess.

The app runs with HOME, TMPDIR and the XDG folders inside a fresh directory, a network guard that
records and refuses every connect, and a canary typed into the chat and the journal. Afterwards
nothing outside the encrypted database may contain the canary, and no socket was opened.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

CANARY = "CANARY-7f3a9 金丝雀测试句"

DRIVER = textwrap.dedent('''
    import json, os, socket, sys
    attempts = []
    def refuse(*args, **kwargs):
        attempts.append(repr(args[1:2]))
        raise OSError("network access is not allowed in this test")
    for name in ("connect", "connect_ex", "sendto"):
        setattr(socket.socket, name, refuse)
    socket.create_connection = refuse

    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtGui import QInputMethodEvent
    from PySide6.QtWidgets import QApplication
    from edge_counsel.app.desktop import create_qt_app
    from edge_counsel.services.unlock import unlock
    from edge_counsel.settings import Settings
    from edge_counsel.ui.main_window import MainWindow

    canary, model, home = sys.argv[1], sys.argv[2], os.environ["EDGE_COUNSEL_HOME"]
    app = create_qt_app()
    store = unlock(__import__("pathlib").Path(home), "correct horse battery", create=True)
    window = MainWindow(Settings(max_tokens=24, temperature=0.0), store=store)
    window.show()
    loop = QEventLoop()
    window.model_ready.connect(loop.quit)
    window.load_model(model)
    loop.exec()
    event = QInputMethodEvent("", [])
    event.setCommitString("My secret today: " + canary)
    QApplication.sendEvent(window.chat.input, event)
    window.chat.reply_finished.connect(loop.quit)
    window.chat.submit()
    loop.exec()
    try:
        from edge_counsel.ui.pages import install_pages
        pages = install_pages(window)
        journal = pages["journal"]
        journal.editor.setPlainText("Journal: " + canary)
        journal.save()
        how = "journal page"
    except ImportError:
        store.add_journal_entry("Journal: " + canary)
        how = "store"
    saved = [m.content for c in store.list_conversations() for m in store.list_messages(c.id)]
    window.close()
    app.processEvents()
    print(json.dumps({"attempts": attempts, "journal_via": how,
                      "saved_canary": any(canary in m for m in saved)}))
''')


def _scan(root: Path, needles: list[bytes], skip: set[Path]) -> list[str]:
    hits = []
    for path in root.rglob("*"):
        if path.is_file() and path not in skip:
            data = path.read_bytes()
            if any(n in data for n in needles):
                hits.append(str(path))
    return hits


@pytest.fixture(scope="module")
def guarded_session(tmp_path_factory, model_path):
    root = tmp_path_factory.mktemp("privacy")
    dirs = {name: root / name for name in ("home", "tmp", "data", "cache", "config")}
    for d in dirs.values():
        d.mkdir()
    env = {**os.environ, "HOME": str(dirs["home"]), "TMPDIR": str(dirs["tmp"]),
           "XDG_CACHE_HOME": str(dirs["cache"]), "XDG_CONFIG_HOME": str(dirs["config"]),
           "EDGE_COUNSEL_HOME": str(dirs["data"]), "QT_QPA_PLATFORM": "offscreen",
           "EDGE_COUNSEL_KDF_FAST": "1"}
    proc = subprocess.run([sys.executable, "-c", DRIVER, CANARY, str(model_path)], env=env,
                          capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return root, dirs, result, proc


def test_no_plaintext_outside_the_encrypted_database(guarded_session):
    root, dirs, result, proc = guarded_session
    assert result["saved_canary"], "the canary must really have been saved (encrypted)"
    needles = [CANARY.encode("utf-8"), "金丝雀测试句".encode("utf-16-le"), b"CANARY-7f3a9"]
    database = {dirs["data"] / name for name in ("counsel.db", "counsel.db-wal", "counsel.db-shm")}
    assert _scan(root, needles, skip=database) == []
    # ... and the encrypted database itself does not hold it in the clear either.
    assert _scan(dirs["data"], needles, skip=set()) == []
    assert CANARY not in proc.stderr


def test_no_network_connection_during_a_session(guarded_session):
    _, _, result, _ = guarded_session
    assert result["attempts"] == []


def test_wrong_passphrase_is_clear_and_leaves_the_file(tmp_path, data_home, monkeypatch):
    monkeypatch.setenv("EDGE_COUNSEL_KDF_FAST", "1")
    from edge_counsel.services.unlock import unlock

    unlock(data_home, "right one", create=True).close()
    db = data_home / "counsel.db"
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("wrong one\n")
    out = subprocess.run([sys.executable, "-m", "edge_counsel", "history", "list", "--data-dir", str(data_home),
                          "--passphrase-file", str(wrong)], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "EDGE_COUNSEL_KDF_FAST": "1"})
    assert out.returncode == 1
    assert "passphrase" in out.stderr.lower() and "Traceback" not in out.stderr
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


def test_corrupt_database_names_its_path(tmp_path, data_home, monkeypatch):
    monkeypatch.setenv("EDGE_COUNSEL_KDF_FAST", "1")
    from edge_counsel.services.unlock import unlock

    unlock(data_home, "right one", create=True).close()
    db = data_home / "counsel.db"
    db.write_bytes(os.urandom(3000))
    damaged = db.read_bytes()
    pw = tmp_path / "pw.txt"
    pw.write_text("right one")
    out = subprocess.run([sys.executable, "-m", "edge_counsel", "history", "list", "--data-dir", str(data_home),
                          "--passphrase-file", str(pw)], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "EDGE_COUNSEL_KDF_FAST": "1"})
    assert out.returncode == 1 and str(db) in out.stderr
    assert db.read_bytes() == damaged  # never overwritten


def test_kill_9_while_a_reply_streams_keeps_finished_messages(tmp_path, data_home, model_path):
    from edge_counsel.services.unlock import unlock

    pw = tmp_path / "pw.txt"
    pw.write_text("kill test passphrase")
    env = {**os.environ, "EDGE_COUNSEL_KDF_FAST": "1", "EDGE_COUNSEL_HOME": str(data_home)}
    proc = subprocess.Popen([sys.executable, "-m", "edge_counsel", "chat", "--model", str(model_path),
                             "--passphrase-file", str(pw), "--max-tokens", "400", "--temperature", "0"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    output = _Collector(proc.stdout)
    try:
        proc.stdin.write(b"Hello, please say hi back briefly.\n")
        proc.stdin.flush()
        _wait_for_messages(data_home, "kill test passphrase", 2)
        # A request the counselor answers at length (a story, it now declines in one line).
        proc.stdin.write(b"Please explain, step by step and in detail, how I can plan my revision for five "
                         b"exams over the next month.\n")
        proc.stdin.flush()
        _wait_for_messages(data_home, "kill test passphrase", 3)
        # Kill on the first text of the second reply: it is certainly mid-stream then.
        before = output.size()
        output.wait_for_more_than(before + 8, timeout=120)  # past reply 1's trailing newline
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    store = unlock(data_home, "kill test passphrase")
    try:
        (conv,) = store.list_conversations()
        roles = [m.role for m in store.list_messages(conv.id)]
        assert roles == ["user", "assistant", "user"]
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        store.close()


class _Collector:
    """Reads a child's stdout on a thread, so the test can react to the first streamed bytes."""

    def __init__(self, stream) -> None:
        import threading

        self._data, self._cond = bytearray(), threading.Condition()
        self._stream = stream
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        while chunk := self._stream.read1(256):
            with self._cond:
                self._data += chunk
                self._cond.notify_all()

    def size(self) -> int:
        with self._cond:
            return len(self._data)

    def wait_for_more_than(self, n: int, timeout: float) -> None:
        with self._cond:
            assert self._cond.wait_for(lambda: len(self._data) > n, timeout), "the reply never started"


def _wait_for_messages(home: Path, passphrase: str, count: int, timeout: float = 120) -> None:
    from edge_counsel.services.unlock import unlock

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            store = unlock(home, passphrase)
        except Exception:  # noqa: BLE001 - the child may not have created it yet
            time.sleep(0.3)
            continue
        try:
            n = sum(len(store.list_messages(c.id)) for c in store.list_conversations())
        finally:
            store.close()
        if n >= count:
            return
        time.sleep(0.3)
    raise AssertionError(f"the chat never saved {count} messages")
