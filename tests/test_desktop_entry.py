"""`edge-counsel --install-desktop-entry`: the menu entry and icon, in the user's own data folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from edge_counsel.services import desktop_entry


@pytest.fixture
def xdg(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    return tmp_path / "share"


def test_install_writes_the_entry_and_icons_under_the_data_home(xdg):
    written = desktop_entry.install()
    assert written == desktop_entry.installed_paths() and all(p.is_file() for p in written)
    assert all(str(p).startswith(str(xdg)) for p in written)
    entry = (xdg / "applications" / "edge-counsel.desktop").read_text(encoding="utf-8")
    exec_line = next(line for line in entry.splitlines() if line.startswith("Exec="))
    assert os.path.isabs(exec_line.removeprefix("Exec=").strip('"')) or exec_line == "Exec=edge-counsel"
    assert "Icon=edge-counsel" in entry
    assert (xdg / "icons" / "hicolor" / "scalable" / "apps" / "edge-counsel.svg").read_bytes().startswith(b"<")
    tool = shutil.which("desktop-file-validate")
    if tool:
        done = subprocess.run([tool, str(written[0])], capture_output=True, text=True)
        assert done.returncode == 0 and not done.stdout.strip(), done.stdout


def test_the_entry_starts_this_installation(xdg, tmp_path, monkeypatch):
    bin_dir = tmp_path / "my venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "edge-counsel").write_text("#!/bin/sh\n")
    monkeypatch.setattr(sys, "executable", str(bin_dir / "python"))
    desktop_entry.install()
    entry = (xdg / "applications" / "edge-counsel.desktop").read_text(encoding="utf-8")
    assert f'Exec="{bin_dir / "edge-counsel"}"' in entry  # quoted: the path has a space


def test_remove_takes_away_what_install_wrote(xdg):
    written = desktop_entry.install()
    assert desktop_entry.remove() == written
    assert not any(p.exists() for p in written) and desktop_entry.remove() == []


def test_the_command_installs_and_removes(xdg):
    env = {**os.environ, "XDG_DATA_HOME": str(xdg)}
    run = lambda flag: subprocess.run([sys.executable, "-m", "edge_counsel", flag],  # noqa: E731
                                      capture_output=True, text=True, env=env, timeout=60)
    done = run("--install-desktop-entry")
    assert done.returncode == 0 and "wrote" in done.stdout, done.stderr
    assert (xdg / "applications" / "edge-counsel.desktop").is_file()
    done = run("--remove-desktop-entry")
    assert done.returncode == 0 and not (xdg / "applications" / "edge-counsel.desktop").exists()
