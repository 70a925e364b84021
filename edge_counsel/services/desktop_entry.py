"""The desktop entry: how Edge Counsel appears in the applications menu of a Linux desktop.

``install()`` writes the entry and its icon into the user's XDG data folder (``$XDG_DATA_HOME``,
else ~/.local/share); ``remove()`` takes them away again. Invariants: nothing outside that folder
is touched, no root is needed, and the entry starts the very ``edge-counsel`` that installed it
(an absolute path: a virtualenv's bin folder is not on the menu's PATH).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from .. import paths
from ..atomic import atomic_write

__all__ = ["DESKTOP_FILE_NAME", "install", "remove", "installed_paths"]

DESKTOP_FILE_NAME = "edge-counsel"  # the entry's name without .desktop; the window says the same
_SOURCE = paths.PACKAGE_DATA / "desktop"
_ICONS = {"scalable": "edge-counsel.svg", "256x256": "edge-counsel.png"}


def _data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def installed_paths() -> list[Path]:
    """Where the entry and its icons go, entry first."""
    base = _data_home()
    return ([base / "applications" / f"{DESKTOP_FILE_NAME}.desktop"]
            + [base / "icons" / "hicolor" / size / "apps" / name for size, name in _ICONS.items()])


def _command() -> str:
    """The edge-counsel command of this installation, as an absolute path when there is one."""
    beside = Path(sys.executable).parent / "edge-counsel"
    found = str(beside) if beside.is_file() else shutil.which("edge-counsel")
    if not found:
        return "edge-counsel"
    return f'"{found}"' if " " in found else found


def install() -> list[Path]:
    """Write the entry and the icons; returns what was written."""
    entry, *icons = installed_paths()
    text = (_SOURCE / f"{DESKTOP_FILE_NAME}.desktop").read_text(encoding="utf-8")
    lines = [f"Exec={_command()}" if line.startswith("Exec=") else line for line in text.splitlines()]
    entry.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(entry, ("\n".join(lines) + "\n").encode("utf-8"), mode=0o644)
    for target, name in zip(icons, _ICONS.values()):
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, (_SOURCE / name).read_bytes(), mode=0o644)
    return [entry, *icons]


def remove() -> list[Path]:
    """Delete the entry and the icons; returns what was there."""
    gone = [p for p in installed_paths() if p.exists()]
    for path in gone:
        path.unlink()
    return gone
