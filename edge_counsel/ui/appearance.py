"""Text size and colours for the whole app: the person's choice in Settings, else the system's.

Invariants:
- Text size 0 is the system's size; any other is points, for every widget (the chat's messages
  included: their bodies use the widgets' font).
- Theme "system" follows the system's colour scheme (``QStyleHints.colorScheme``) as it changes;
  "light" and "dark" hold whatever the system does. A dark scheme gets a dark palette we set
  ourselves, so it works on every platform that reports the scheme, not only those whose Qt
  theme switches palettes.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette

__all__ = ["Appearance", "THEMES", "TEXT_SIZES", "dark_palette", "is_dark", "mixed", "warning_red"]

THEMES = ("system", "light", "dark")
TEXT_SIZES = (0, 8, 24)  # 0: the system's size; else from 8 to 24 points
_BASE_FONT: QFont | None = None  # the app's font before any size was chosen (one per process)


class Appearance(QObject):
    """Applies the text size and the theme to the application, and follows the system's scheme."""

    def __init__(self, app: QGuiApplication) -> None:
        super().__init__(app)
        global _BASE_FONT
        if _BASE_FONT is None:
            _BASE_FONT = QFont(app.font())
        self.app, self.theme = app, "system"
        app.styleHints().colorSchemeChanged.connect(self.on_system_scheme)

    def apply(self, text_size: int, theme: str) -> None:
        font = QFont(_BASE_FONT)
        if text_size:
            font.setPointSize(int(text_size))
        if font != self.app.font():
            self.app.setFont(font)
        self.theme = theme if theme in THEMES else "system"
        self._use_palette()

    def on_system_scheme(self, _scheme=None) -> None:
        """The system's light or dark scheme changed: follow it, unless a theme was chosen."""
        if self.theme == "system":
            self._use_palette()

    def is_dark(self) -> bool:
        if self.theme != "system":
            return self.theme == "dark"
        return self.app.styleHints().colorScheme() == Qt.ColorScheme.Dark

    def _use_palette(self) -> None:
        palette = dark_palette() if self.is_dark() else self.app.style().standardPalette()
        if palette != self.app.palette():
            self.app.setPalette(palette)


def dark_palette() -> QPalette:
    """A dark palette for the Fusion style, with text light enough to read at any size."""
    palette = QPalette()
    roles = {
        QPalette.Window: "#202124", QPalette.WindowText: "#e8eaed", QPalette.Base: "#17181a",
        QPalette.AlternateBase: "#26282b", QPalette.Text: "#e8eaed", QPalette.Button: "#2d2f33",
        QPalette.ButtonText: "#e8eaed", QPalette.ToolTipBase: "#2d2f33", QPalette.ToolTipText: "#e8eaed",
        QPalette.Highlight: "#4a8fe7", QPalette.HighlightedText: "#ffffff", QPalette.Link: "#8ab4f8",
        QPalette.PlaceholderText: "#9aa0a6", QPalette.BrightText: "#ff8a80",
    }
    for role, colour in roles.items():
        palette.setColor(role, QColor(colour))
    for role in (QPalette.WindowText, QPalette.Text, QPalette.ButtonText):
        palette.setColor(QPalette.Disabled, role, QColor("#6f7378"))
    return palette


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.Window).lightness() < 128


def mixed(base: QColor, tint: QColor, share: float) -> QColor:
    """``base`` moved ``share`` of the way towards ``tint``: a tint that follows the palette."""
    return QColor.fromRgbF(*(b + (t - b) * share for b, t in zip(base.getRgbF()[:3], tint.getRgbF()[:3])))


def warning_red(palette: QPalette) -> str:
    """Red text that stays readable (contrast 4.5 or more) on the palette's window and button colours."""
    return "#ffb4ab" if is_dark(palette) else "#b71c1c"
