"""The desktop window starts and quits cleanly every time, also on a busy machine.

Each start is a real ``edge-counsel`` process on the offscreen platform that unlocks the store,
loads the embedded model and closes its window as soon as the model is ready: the moment the
worker is inside llama.cpp, priming the persona, so the teardown (cancel, free llama.cpp on the
worker's thread, quit, wait) is tested where it matters. A parallel process keeps a core busy.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PY = [sys.executable, "-m", "edge_counsel"]
STARTS = 20
# Spins one core until it is killed, or for ten minutes at most.
BUSY = "import time\nend = time.monotonic() + 600\nwhile time.monotonic() < end:\n    pass\n"


@pytest.fixture
def busy_core():
    proc = subprocess.Popen([sys.executable, "-c", BUSY])
    yield proc
    proc.kill()
    proc.wait()


@pytest.mark.model
def test_the_window_quits_cleanly_every_time_under_load(model_path, data_home, tmp_path, busy_core):
    secret = tmp_path / "pw.txt"
    secret.write_text("clean exit passphrase")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "EDGE_COUNSEL_HOME": str(data_home),
           "EDGE_COUNSEL_QUIT_WHEN_READY": "1", "EDGE_COUNSEL_KDF_FAST": "1"}
    for start in range(1, STARTS + 1):
        out = subprocess.run(PY + ["--model", str(model_path), "--passphrase-file", str(secret)],
                             capture_output=True, text=True, timeout=180, env=env)
        assert out.returncode == 0, f"start {start} of {STARTS}: exit {out.returncode}\n{out.stderr[-3000:]}"
        assert "edge-counsel: ready" in out.stderr, f"start {start}: the model never loaded"
        assert "Fatal Python error" not in out.stderr and "Traceback" not in out.stderr, out.stderr[-3000:]
    assert busy_core.poll() is None  # the load was there all along


def test_the_app_names_its_desktop_entry_and_shows_its_icon(qapp):
    from edge_counsel.app.desktop import create_qt_app

    app = create_qt_app()
    assert app.desktopFileName() == "edge-counsel"
    assert not app.windowIcon().isNull()
    assert app.windowIcon().availableSizes() or app.windowIcon().pixmap(64, 64).width() == 64


@pytest.mark.model
def test_the_window_takes_gpu_layers_and_says_where_the_model_runs(model_path, data_home, tmp_path):
    from edge_counsel.engine.llama import gpu_offload_supported
    from edge_counsel.settings import load_settings

    secret = tmp_path / "pw.txt"
    secret.write_text("gpu layers passphrase")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "EDGE_COUNSEL_HOME": str(data_home),
           "EDGE_COUNSEL_QUIT_WHEN_READY": "1", "EDGE_COUNSEL_KDF_FAST": "1"}
    out = subprocess.run(PY + ["--model", str(model_path), "--passphrase-file", str(secret), "--gpu-layers", "12"],
                         capture_output=True, text=True, timeout=180, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    assert load_settings(data_home).gpu_layers == 12  # saved for later starts
    if not gpu_offload_supported():
        assert "no GPU support, so the model runs on the CPU" in out.stderr
