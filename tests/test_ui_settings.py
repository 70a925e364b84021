"""Preferences through the real widgets, offscreen: the hotline region asked on first start, and
Settings and the crisis panel agreeing on the region in use."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette, QTextFormat
from PySide6.QtWidgets import QApplication, QDialog

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
    windows = []

    def make(**settings) -> MainWindow:
        win = MainWindow(Settings(auto_lock_minutes=0, **settings))
        qtbot.addWidget(win)
        win.show()
        windows.append(win)
        return win
    yield make
    for win in windows:  # the font and palette are the application's: leave them as they were
        win.appearance.apply(0, "system")
    QApplication.processEvents()


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


def bubble_colours(window) -> list:
    document, colours = window.chat.transcript.document(), []
    block = document.begin()
    while block.isValid():
        if block.blockFormat().hasProperty(QTextFormat.BackgroundBrush):
            colours.append(block.blockFormat().background().color().lightness())
        block = block.next()
    return colours


def test_text_size_applies_to_every_widget_and_the_messages(make_window, qtbot):
    win = make_window()
    win.chat.input.setPlainText("Exams make me nervous.")
    win.chat.model_ready = False  # no reply needed: the message itself is shown
    win.chat.submit()
    dialog = SettingsDialog(win.settings, win.directory, win)
    assert dialog.text_size.text() == "system"
    dialog.text_size.setValue(16)
    dialog.save()
    win.apply_settings()
    QApplication.processEvents()  # Qt passes the application's font on to the widgets by event
    assert load_settings().text_size == 16
    for widget in (win.chat.transcript, win.chat.input, win.chat.send_button, win.tabs):
        assert widget.font().pointSize() == 16, widget
    width = win.chat.status.width()
    assert width > 0 and win.chat.status.fontMetrics().horizontalAdvance("Writing…") < width
    dialog = SettingsDialog(win.settings, win.directory, win)
    dialog.text_size.setValue(dialog.text_size.minimum())  # back to the system's size
    dialog.save()
    win.apply_settings()
    QApplication.processEvents()
    assert load_settings().text_size == 0 and win.chat.transcript.font().pointSize() != 16


def test_dark_theme_chosen_or_followed_from_the_system(make_window):
    win = make_window()
    win.chat.input.setPlainText("Exams make me nervous.")
    win.chat.model_ready = False
    win.chat.submit()
    light = bubble_colours(win)
    assert light and min(light) > 180
    win.settings.theme = "dark"
    win.apply_settings()
    QApplication.processEvents()
    app = QApplication.instance()
    assert app.palette().color(QPalette.Window).lightness() < 60
    assert max(bubble_colours(win)) < 90  # the bubbles follow: light text on dark bubbles
    assert "#ffb4ab" in win.chat.help_button.styleSheet()
    win.settings.theme = "system"
    win.apply_settings()
    QApplication.processEvents()
    assert app.palette().color(QPalette.Window).lightness() > 180  # offscreen reports no scheme: light
    win.appearance.on_system_scheme()  # the system turning dark, as QStyleHints reports it
    assert win.appearance.is_dark() is False
    app.styleHints().setColorScheme(Qt.ColorScheme.Dark)  # what a dark desktop tells Qt
    try:
        if app.styleHints().colorScheme() == Qt.ColorScheme.Dark:  # platforms that pass it on
            win.appearance.on_system_scheme()
            assert app.palette().color(QPalette.Window).lightness() < 60
    finally:
        app.styleHints().unsetColorScheme()
