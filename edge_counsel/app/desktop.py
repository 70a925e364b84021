"""Start the desktop app as a short, readable sequence.

Parse arguments (done by cli.py), load settings, start Qt in the interface language, unlock the
store, carry any retired setting into it, build the window, then load the model in the background
so the window is there at once.
"""

from __future__ import annotations

import os
import sys

__all__ = ["run_app", "create_qt_app"]


def create_qt_app(interface_language: str = "auto"):
    """The QApplication, with the bundle's fonts and the interface translated into
    ``interface_language`` ("auto", "en" or "zh") before any window exists."""
    from PySide6.QtGui import QFont, QIcon
    from PySide6.QtWidgets import QApplication

    from ..paths import PACKAGE_DATA
    from ..services.desktop_entry import DESKTOP_FILE_NAME
    from ..ui.translation import install_translation

    app = QApplication.instance() or QApplication(sys.argv[:1])
    from ..ui.fonts import register_bundled_fonts

    register_bundled_fonts()  # a bundle's own CJK and emoji fonts; nothing outside a bundle
    app.setApplicationName("Edge Counsel")
    app.setOrganizationName("")  # nothing of ours goes to Qt's settings folders
    app.setDesktopFileName(DESKTOP_FILE_NAME)  # Wayland and taskbars match the window to its entry
    icon = QIcon()
    for name in ("edge-counsel.svg", "edge-counsel.png"):
        icon.addFile(str(PACKAGE_DATA / "desktop" / name))
    app.setWindowIcon(icon)
    font = QFont()
    font.setFamilies(["Noto Sans", "DejaVu Sans", "WenQuanYi Micro Hei", "Noto Color Emoji"])
    app.setFont(font)
    install_translation(app, interface_language)
    return app


def _unlock(args):
    """The open store, or None if the user declined to unlock."""
    from .. import paths
    from ..cli.unlock import open_store_for
    from ..services.unlock import open_or_ask
    from ..ui.unlock_dialog import ask_passphrase

    if getattr(args, "passphrase_file", None):
        return open_store_for(args, create=True)
    home = paths.data_dir()
    return open_or_ask(home, lambda: ask_passphrase(home))


def _carry_retired_settings(store) -> None:
    """Settings that moved into the store; run_app's save_settings then drops them from the file."""
    from ..services.suggestions import Suggestions
    from ..settings import retired_setting

    Suggestions(store).adopt_retired_switch(retired_setting("suggestions_enabled"))


def run_app(args) -> int:
    from PySide6.QtCore import QTimer

    from datetime import date

    from ..crashes import enable_crash_traces
    from ..settings import load_settings, needs_disclosure, save_settings
    from ..ui.main_window import MainWindow

    enable_crash_traces()  # already on when started by the command; this launcher may be called alone
    settings = load_settings()
    app = create_qt_app(settings.interface_language)
    store = _unlock(args)
    if store is None:
        return 0  # the user chose not to unlock
    _carry_retired_settings(store)
    window = MainWindow(settings, store=store)
    window.show()
    disclosure_due = needs_disclosure(settings)
    QTimer.singleShot(0, lambda: window.start_dialogs(disclosure_due))
    settings.last_opened = date.today().isoformat()
    save_settings(settings)
    QTimer.singleShot(0, lambda: window.load_model(args.model or settings.model))
    if os.environ.get("EDGE_COUNSEL_QUIT_WHEN_READY"):  # for the cold-start benchmark and smoke tests
        window.model_ready.connect(lambda _name: QTimer.singleShot(0, window.close))
    return app.exec()
