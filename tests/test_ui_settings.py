"""Preferences through the real widgets, offscreen: the hotline region asked on first start, and
Settings and the crisis panel agreeing on the region in use."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from edge_counsel.settings import Settings, load_settings
from edge_counsel.ui.main_window import MainWindow
from edge_counsel.ui.region_dialog import RegionDialog
from edge_counsel.ui.settings_dialog import SettingsDialog


def use_locale(monkeypatch, name: str) -> None:
    for var in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", name)


@pytest.fixture
def make_window(qtbot):
    def make(**settings) -> MainWindow:
        win = MainWindow(Settings(auto_lock_minutes=0, **settings))
        qtbot.addWidget(win)
        win.show()
        return win
    return make


def test_first_start_asks_for_the_region_preselected_from_the_locale(make_window, qtbot, monkeypatch):
    use_locale(monkeypatch, "en_GB.UTF-8")
    win = make_window()
    win.start_dialogs(disclosure_due=True)
    disclosure = win.findChild(QDialog, "disclosureDialog")
    assert disclosure.isVisible() and win.findChild(RegionDialog) is None  # one dialog at a time
    disclosure.accept()
    dialog = win.findChild(RegionDialog)
    assert dialog.isVisible() and dialog.box.region() == "GB"
    dialog.box.setCurrentIndex(dialog.box.findData("IE"))
    dialog.accept()
    saved = load_settings()
    assert saved.region == "IE" and saved.region_asked and saved.disclosure_seen
    qtbot.mouseClick(win.chat.help_button, Qt.LeftButton)
    assert "116 123" in win.crisis_panel.body.text() and win.crisis_panel.region == "IE"


def test_the_region_is_not_asked_again_once_answered(make_window, monkeypatch):
    use_locale(monkeypatch, "C")
    win = make_window(region_asked=True)
    win.start_dialogs(disclosure_due=False)
    assert win.findChild(RegionDialog) is None


@pytest.mark.parametrize("locale_name, chosen, shown, number", [
    ("en_US.UTF-8", None, "US", "988"),  # none chosen: the locale's region, in both places
    ("C", None, None, "12356"),  # nothing known: Settings says so; a Chinese writer sees CN lines
    ("C", "AU", "AU", "13 11 14"),
    ("zh_CN.UTF-8", "INTL", "INTL", "12356"),
])
def test_settings_and_the_crisis_panel_agree_on_the_region(make_window, monkeypatch, locale_name, chosen,
                                                          shown, number):
    use_locale(monkeypatch, locale_name)
    win = make_window(region=chosen)
    dialog = SettingsDialog(win.settings, win.directory, win)
    assert dialog.region.region() == shown == win.crisis_panel.region
    win.chat.lang = "zh"
    win.show_help()
    assert number in win.crisis_panel.body.text()
    dialog.reject()


def test_choosing_a_region_in_settings_moves_the_crisis_panel(make_window, monkeypatch):
    use_locale(monkeypatch, "C")
    win = make_window()
    dialog = SettingsDialog(win.settings, win.directory, win)
    dialog.region.setCurrentIndex(dialog.region.findData("US"))
    dialog.save()
    win.apply_settings()
    win.show_help()
    assert win.crisis_panel.region == "US" and "988" in win.crisis_panel.body.text()
    assert load_settings().region == "US"
