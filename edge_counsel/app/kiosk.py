"""Start the counseling-room kiosk as a short, readable sequence.

Read the kiosk config (``--config``, else kiosk.json in the data directory) and the non-content
state file, build the Qt application with the bundle's fonts in the kiosk's interface language,
cover the primary screen, then load the model in the background. Invariant: no encrypted store is
opened and nothing a visitor writes is ever saved; a kiosk with no PIN yet opens on the admin
set-up screen.
"""

from __future__ import annotations

import os

__all__ = ["run_kiosk"]


def run_kiosk(args) -> int:
    """``edge-counsel --kiosk [--config FILE] [--model REF]``; returns the exit status."""
    from PySide6.QtCore import QTimer

    from ..crashes import enable_crash_traces
    from ..services import kiosk
    from .desktop import create_qt_app
    from ..ui.fonts import register_bundled_fonts
    from ..ui.kiosk_window import KioskWindow

    enable_crash_traces()  # already on when started by the command; this launcher may be called alone
    config_path = getattr(args, "config", None) or kiosk.default_config_path()
    config = kiosk.load_config(config_path)  # a KioskConfigError is printed by the CLI
    state = kiosk.KioskState.load(kiosk.state_path())
    app = create_qt_app(config.interface_language)
    register_bundled_fonts()
    window = KioskWindow(config, config_path, state)
    window.enter_fullscreen()
    QTimer.singleShot(0, lambda: window.load_model(getattr(args, "model", None) or config.model))
    if os.environ.get("EDGE_COUNSEL_QUIT_WHEN_READY"):  # smoke tests and the cold-start benchmark
        window.model_ready.connect(lambda _name: QTimer.singleShot(0, window.exit_kiosk))
    return app.exec()
