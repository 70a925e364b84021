"""One interface language at a time: the Chinese catalogue is complete and compiled, the windows
speak the chosen language only, and text that follows a conversation keeps following it."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import REPO
from PySide6.QtCore import QLocale
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (QAbstractButton, QComboBox, QGroupBox, QLabel, QLineEdit, QPlainTextEdit,
                               QTabWidget, QToolBar)

from edge_counsel.safety import disclosure
from edge_counsel.safety.hotlines import HotlineDirectory
from edge_counsel.services import kiosk
from edge_counsel.settings import Settings, load_settings
from edge_counsel.ui.main_window import MainWindow
from edge_counsel.ui.settings_dialog import SettingsDialog
from edge_counsel.ui.translation import CATALOGUE_DIR, resolve_language

TS = CATALOGUE_DIR / "edge_counsel_zh_CN.ts"
QM = CATALOGUE_DIR / "edge_counsel_zh_CN.qm"
TOOLS = Path(sys.executable).parent  # pyside6-lupdate and pyside6-lrelease come with PySide6
CJK = re.compile("[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")
# "English / 中文" (or the other way round): Latin and Han text joined by a spaced slash.
PAIR = re.compile("[A-Za-z][^/\n]*\\s/\\s[^/\n]*[\u4e00-\u9fff]|[\u4e00-\u9fff][^/\n]*\\s/\\s[^/\n]*[A-Za-z]")
PLACEHOLDER = re.compile(r"\{[a-z_]*(?::[^}]*)?\}|%p")


@pytest.mark.parametrize("locale, lang", [("zh_CN", "zh"), ("zh_TW", "zh"), ("zh_HK", "zh"), ("en_US", "en"),
                                          ("de_DE", "en"), ("C", "en")])
def test_auto_follows_the_system_locale(locale, lang):
    assert resolve_language("auto", QLocale(locale)) == lang
    assert resolve_language("en", QLocale(locale)) == "en" and resolve_language("zh", QLocale(locale)) == "zh"


def _messages():
    for context in ET.parse(TS).getroot().iter("context"):
        for message in context.iter("message"):
            yield context.findtext("name"), message.findtext("source"), message.find("translation")


def test_every_message_is_translated_and_keeps_its_placeholders():
    messages = list(_messages())
    assert len(messages) > 150
    for context, source, translation in messages:
        assert translation.get("type") is None, (context, source)  # not unfinished, obsolete or vanished
        assert translation.text and translation.text.strip(), (context, source)
        assert sorted(PLACEHOLDER.findall(source)) == sorted(PLACEHOLDER.findall(translation.text)), source
        assert CJK.search(translation.text), (context, source)


def test_the_catalogue_matches_the_source_and_the_qm_matches_the_catalogue(tmp_path):
    """What tools/update_translations.sh would write is what is committed."""
    ts, qm = tmp_path / TS.name, tmp_path / QM.name
    shutil.copy2(TS, ts)
    sources = sorted(str(p) for p in (REPO / "edge_counsel" / "ui").glob("*.py"))
    subprocess.run([TOOLS / "pyside6-lupdate", "-silent", "-no-obsolete", "-locations", "none", *sources,
                    "-ts", ts], check=True, cwd=REPO)
    assert ts.read_bytes() == TS.read_bytes(), "run tools/update_translations.sh and translate what is new"
    subprocess.run([TOOLS / "pyside6-lrelease", "-silent", ts, "-qm", qm], check=True)
    assert qm.read_bytes() == QM.read_bytes(), "run tools/update_translations.sh"


# -- the windows -------------------------------------------------------------------------------

def _texts(root) -> list[str]:
    """Every text a person can be shown in ``root``: labels, buttons, actions, tabs, menus' items,
    placeholders, group titles, the title bar."""
    texts = [root.windowTitle()]
    texts += [w.text() for w in root.findChildren(QLabel) + root.findChildren(QAbstractButton)]
    texts += [a.text() for a in root.findChildren(QAction)]
    texts += [w.placeholderText() for w in root.findChildren(QLineEdit) + root.findChildren(QPlainTextEdit)]
    texts += [w.title() for w in root.findChildren(QGroupBox)]
    for tabs in root.findChildren(QTabWidget):
        texts += [tabs.tabText(i) for i in range(tabs.count())]
    for box in root.findChildren(QComboBox):
        texts += [box.itemText(i) for i in range(box.count())]
    return [t for t in texts if t]


@pytest.fixture
def window(qtbot, store):
    def make(lang: str) -> MainWindow:
        win = MainWindow(Settings(region="US", auto_lock_minutes=0, interface_language=lang), store=store)
        qtbot.addWidget(win)
        win.show()
        return win
    return make


def _headline_texts(win: MainWindow) -> list[str]:
    """Tab titles, toolbar actions, the chat's buttons and the status bar."""
    bar = win.findChild(QToolBar, "sessionToolbar")
    return ([win.tabs.tabText(i) for i in range(win.tabs.count())] + [a.text() for a in bar.actions()]
            + [b.text() for b in win.chat.findChildren(QAbstractButton) if b.isVisible()]
            + [win.statusBar().currentMessage()])


def test_a_chinese_interface_is_chinese_only(window, interface_language):
    interface_language("zh")
    win = window("zh")
    texts = _headline_texts(win)
    assert "聊天" in texts and "设置…" in texts and "发送" in texts and "正在启动…" in texts
    for text in texts:
        assert CJK.search(text) and not re.search("[A-Za-z]", text), text
    assert win.chat.approach_box.currentText() == "以人为中心"


def test_an_english_interface_is_english_only(window, interface_language):
    win = window("en")
    texts = _headline_texts(win)
    assert "Chat" in texts and "Settings…" in texts and "Send" in texts and "Starting…" in texts
    everything = _texts(win) + _texts(SettingsDialog(win.settings, win.directory, win))
    assert [t for t in everything if CJK.search(t) and t != "中文"] == []  # the language named in itself


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_text_is_an_english_chinese_pair(window, interface_language, lang, tmp_path):
    interface_language(lang)
    win = window(lang)
    texts = _texts(win) + _texts(SettingsDialog(win.settings, win.directory, win))
    kiosk_window = _kiosk(tmp_path)
    try:
        for name in kiosk_window.PAGES:  # every screen, the visit's chat included
            kiosk_window._show(name)
            texts += _texts(kiosk_window)
    finally:
        kiosk_window.exit_kiosk()
    assert len(texts) > 100
    assert [t for t in texts if PAIR.search(t)] == []


def test_the_disclosure_is_shown_whole_in_the_interface_language(window, interface_language):
    interface_language("zh")
    win = window("zh")
    box = win.show_disclosure()
    assert box.text() == disclosure.first_run_text("zh") and box.windowTitle() == "开始之前"
    box.accept()
    assert "不是真人" in win.findChild(QLabel, "disclosureFooter").text()
    interface_language("en")
    box = window("en").show_disclosure()
    assert box.text() == disclosure.first_run_text("en")
    box.accept()


def test_the_crisis_panel_follows_the_conversation_not_the_interface(window, interface_language):
    interface_language("zh")
    win = window("zh")
    win.chat.lang = "en"
    win.show_help()
    assert "You don't have to go through this alone" in win.crisis_panel.body.text()
    assert win.crisis_panel.safe_button.text() == "I'm safe right now"
    win.chat.lang = "zh"
    win.show_help()
    assert "你不必独自面对" in win.crisis_panel.body.text()


def test_the_language_is_chosen_in_settings_and_used_from_the_next_start(window, interface_language):
    win = window("en")
    dialog = SettingsDialog(win.settings, win.directory, win)
    assert dialog.language_note.text() == "The language changes when you restart Edge Counsel."
    dialog.language.setCurrentIndex(dialog.language.findData("zh"))
    assert dialog.language_note.text() == "重新启动 Edge Counsel 后，界面语言才会改变。"  # in the language chosen
    dialog.save()
    assert load_settings().interface_language == "zh"
    assert win.tabs.tabText(0) == "Chat"  # not retranslated live: the note says so


# -- the kiosk ---------------------------------------------------------------------------------

def _kiosk(tmp_path, **config):
    from edge_counsel.ui.kiosk_window import KioskWindow

    config = kiosk.KioskConfig(kiosk_name="Room 204 kiosk", region="US",
                               counselor={"name": "Ms Zhang Wei", "room": "Room 204"}, **config)
    kiosk.PinGuard(config, kiosk.KioskState(None)).set_pin("246810", "246810")
    return KioskWindow(config, tmp_path / "kiosk.json", kiosk.KioskState(None), directory=HotlineDirectory.load())


def test_a_chinese_kiosk_still_answers_an_english_visitor_in_english(tmp_path, qtbot, interface_language):
    interface_language("zh")
    win = _kiosk(tmp_path, interface_language="zh")
    qtbot.addWidget(win)
    try:
        assert win.pages["welcome"].text.text() == kiosk.welcome_text("zh", win.config)
        assert win.counselor_button.text() == "找心理老师" and win.pages["welcome"].start_button.text() == "开始"
        win.talk_to_counselor()  # a US kiosk: the visitor is spoken to in English until they write
        assert "You don't have to go through this alone" in win.crisis_panel.body.text()
        assert win.done_button.text() == "我说完了"
    finally:
        win.exit_kiosk()


def test_the_kiosk_admin_sets_the_kiosk_language(tmp_path, qtbot, interface_language):
    win = _kiosk(tmp_path)
    qtbot.addWidget(win)
    try:
        win.open_admin()
        assert win.try_pin("246810")
        page = win.pages["admin"]
        page.language.setCurrentIndex(page.language.findData("zh"))
        assert win.apply_admin()
        assert kiosk.load_config(tmp_path / "kiosk.json").interface_language == "zh"
    finally:
        win.exit_kiosk()


def test_the_launcher_translates_before_any_window(qapp, interface_language):
    from PySide6.QtCore import QCoreApplication

    from edge_counsel.app.desktop import create_qt_app
    from edge_counsel.ui.translation import interface_language as current

    create_qt_app("zh")
    assert current() == "zh" and QCoreApplication.translate("MainWindow", "Chat") == "聊天"
    assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "取消"  # Qt's own buttons too
    create_qt_app("en")
    assert current() == "en" and QCoreApplication.translate("MainWindow", "Chat") == "Chat"


def test_a_chinese_kiosk_states_the_pin_rules_in_chinese(tmp_path, qtbot, interface_language):
    from edge_counsel.ui.kiosk_window import KioskWindow

    interface_language("zh")
    win = KioskWindow(kiosk.KioskConfig(interface_language="zh"), tmp_path / "kiosk.json", kiosk.KioskState(None),
                      directory=HotlineDirectory.load())
    qtbot.addWidget(win)
    try:
        setup = win.pages["setup"]
        for pin, repeat, expected in (("12345", "12345", f"至少需要 {kiosk.MIN_PIN_DIGITS} 位"),
                                      ("777777", "777777", "同一个数字"), ("135790", "135791", "不一致")):
            setup.chosen.emit(pin, repeat)
            assert expected in setup.message.text() and not re.search("[a-z]{3}", setup.message.text())  # no English words
    finally:
        win.exit_kiosk()
