"""Write PNGs of the app's main screens, to look at before a release.

    QT_QPA_PLATFORM=offscreen python tools/screenshots.py OUT_DIR [--lang en|zh] [--theme light|dark]
    xvfb-run -a -s "-screen 0 1280x900x24" python tools/screenshots.py OUT_DIR --lang zh

It starts the real desktop window and the real kiosk over a throwaway data folder (deleted after),
with no model: the chat shows a saved exchange reopened the way History's Continue does. ``--lang``
is the interface language (the ``interface_language`` setting, installed as the app's translator
before any window, as at a real start) and the saved conversation's language, so the crisis panel,
exercises and kiosk visitor follow it too. The store uses the tests' cheap key derivation, so never
point it at real data.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

_EXCHANGE = {
    "en": ("Exams are next week and I can't sleep.",
           "That sounds exhausting. What goes through your mind when you lie awake?"),
    "zh": ("下周就考试了，我一直睡不着。", "听起来真的很累。你躺着睡不着的时候，脑子里在想些什么？"),
}
_PASS = "screenshots only"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for the PNGs (created)")
    parser.add_argument("--lang", choices=("en", "zh"), default="en")
    parser.add_argument("--theme", choices=("light", "dark"), default="light")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="edge-counsel-shots-") as home:
        os.environ["EDGE_COUNSEL_HOME"] = home
        os.environ["EDGE_COUNSEL_KDF_FAST"] = "1"
        os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
        from edge_counsel.app.desktop import create_qt_app

        app = create_qt_app(args.lang)  # the interface_language setting: one language per screen
        desktop(app, Path(home), args)
        kiosk(app, Path(home), args)
    for path in sorted(args.out.glob("*.png")):
        print(path)
    return 0


def shoot(app, widget, out: Path, name: str) -> None:
    for _ in range(3):  # layouts settle over a few passes
        app.processEvents()
    widget.grab().save(str(out / f"{name}.png"))


def desktop(app, home: Path, args) -> None:
    from edge_counsel.services.unlock import unlock
    from edge_counsel.settings import Settings
    from edge_counsel.ui.main_window import MainWindow
    from edge_counsel.ui.settings_dialog import SettingsDialog
    from edge_counsel.ui.unlock_dialog import UnlockDialog

    store = unlock(home, _PASS, create=True)
    conv = store.create_conversation(_EXCHANGE[args.lang][0], "person_centred", args.lang)
    for role, text in zip(("user", "assistant"), _EXCHANGE[args.lang]):
        store.add_message(conv.id, role, text)
    window = MainWindow(Settings(auto_lock_minutes=0, theme=args.theme, region_asked=True,
                                 interface_language=args.lang), store=store)
    window.resize(1100, 760)
    window.show()
    window.continue_conversation(conv.id)
    window.chat.lang = args.lang
    out = args.out
    shoot(app, window, out, "chat")
    window.show_help()
    shoot(app, window, out, "crisis")
    window.crisis_panel.hide()
    for name in ("journal", "mood", "exercises"):
        window.tabs.setCurrentIndex(window.tabs.indexOf(window.pages[name].parentWidget()))
        shoot(app, window, out, name)
    exercises = window.pages["exercises"]
    exercises.start("breathing")
    exercises.runner.next()  # the breathing patterns to choose from
    shoot(app, window, out, "exercise_step")
    settings = SettingsDialog(window.settings, window.directory, window)
    settings.show()
    shoot(app, settings, out, "settings")
    settings.findChild(type(window.tabs)).setCurrentIndex(1)
    shoot(app, settings, out, "settings_models")
    settings.reject()
    for name, folder in (("unlock", home), ("unlock_create", home / "fresh")):
        dialog = UnlockDialog(folder, window)
        dialog.show()
        shoot(app, dialog, out, name)
        dialog.reject()
    window.close()


def kiosk(app, home: Path, args) -> None:
    from edge_counsel.services import kiosk as kiosk_config
    from edge_counsel.ui.kiosk_window import KioskWindow

    config = kiosk_config.KioskConfig(kiosk_name="screenshots", region="CN" if args.lang == "zh" else "US",
                                      counselor={"name": "Ms Li", "room": "B204", "hours": "Mon-Fri 08:00-16:00"},
                                      interface_language=args.lang)
    kiosk_config.PinGuard(config, kiosk_config.KioskState(None)).set_pin("246810", "246810")
    state = kiosk_config.KioskState.load(home / "kiosk-state.json")
    window = KioskWindow(config, home / "kiosk.json", state)
    window.resize(1280, 800)
    window.show()
    shoot(app, window, args.out, "kiosk_welcome")
    window.pages["welcome"].start_button.click()
    window.chat.lang = args.lang
    window.chat.show_help()
    shoot(app, window, args.out, "kiosk_crisis")
    window.exit_kiosk()


if __name__ == "__main__":
    sys.exit(main())
