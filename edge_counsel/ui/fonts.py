"""Fonts shipped inside the desktop bundle, registered with Qt at start.

A PyInstaller bundle carries WenQuanYi Micro Hei (Chinese) and Noto Color Emoji in its ``fonts``
folder, so Chinese text and emoji render on a machine that has neither installed. Outside a bundle
(a development checkout) there is usually no such folder and nothing happens: the system's
fontconfig finds the installed fonts. Invariants: registration happens at most once per process
per file; a missing or unreadable font is skipped, never fatal; nothing is written anywhere.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["FONT_FILES", "bundle_font_dir", "register_bundled_fonts"]

# The files packaging/edge-counsel.spec copies from /usr/share/fonts into the bundle's fonts/.
FONT_FILES = ("wqy-microhei.ttc", "NotoColorEmoji.ttf")
_registered: dict[Path, list[str]] = {}


def bundle_font_dir() -> Path | None:
    """The bundle's fonts folder: $EDGE_COUNSEL_FONT_DIR, else <bundle>/fonts when frozen."""
    if os.environ.get("EDGE_COUNSEL_FONT_DIR"):
        return Path(os.environ["EDGE_COUNSEL_FONT_DIR"])
    base = getattr(sys, "_MEIPASS", None)
    return Path(base) / "fonts" if base else None


def register_bundled_fonts(folder: Path | None = None) -> list[str]:
    """Add the bundle's fonts to Qt's database (needs a QGuiApplication); returns the families."""
    from PySide6.QtGui import QFontDatabase

    folder = folder or bundle_font_dir()
    if folder is None or not folder.is_dir():
        return []
    families: list[str] = []
    for path in sorted(p for p in folder.iterdir() if p.suffix.lower() in (".ttf", ".ttc", ".otf")):
        if path not in _registered:
            font_id = QFontDatabase.addApplicationFont(str(path))
            _registered[path] = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
        families.extend(_registered[path])
    return families
