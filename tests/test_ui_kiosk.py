"""The kiosk window, offscreen: wipes, idle timeout, PIN, blocked shortcuts, escalation, counts."""

from __future__ import annotations

import datetime as dt
import gc
import json
import time

import pytest
from conftest import drawn_contrast
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QInputMethodEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication

from edge_counsel.services import kiosk
from edge_counsel.safety.hotlines import HotlineDirectory
from edge_counsel.ui.conversation_list import ConversationList
from edge_counsel.ui.kiosk_window import KioskWindow

PIN = "246810"
COUNSELOR = {"name": "Ms Zhang Wei", "room": "Room 204", "phone": "ext. 2204", "hours": "Mon-Fri 8-16"}
IN_HOURS = dt.datetime(2025, 6, 4, 10, 0)  # a Wednesday morning: within COUNSELOR's hours
SATURDAY = dt.datetime(2025, 6, 7, 10, 0)
CRISIS = "I want to kill myself tonight"
PRIVATE = "my secret about Lucy"


class ResettableEngine:
    """The scripted engine with the ``reset()`` a kiosk asks for between visitors."""

    def __init__(self, base) -> None:
        self.base, self.resets = base, 0
        self.n_ctx = base.n_ctx

    def stream_chat(self, *args):
        return self.base.stream_chat(*args)

    def count_tokens(self, messages):
        return self.base.count_tokens(messages)

    def reset(self) -> None:
        self.resets += 1

    def close(self) -> None:
        pass


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def make_config(tmp_path, **kw) -> kiosk.KioskConfig:
    kw.setdefault("region", "US")
    kw.setdefault("counselor", dict(COUNSELOR))
    config = kiosk.KioskConfig(kiosk_name="Room 204 kiosk", **kw)
    kiosk.PinGuard(config, kiosk.KioskState(None)).set_pin(PIN, PIN)
    kiosk.save_config(config, tmp_path / "kiosk.json")
    return config


@pytest.fixture
def make_window(qtbot, tmp_path):
    windows = []

    def make(config=None, engine=None, **kw) -> KioskWindow:
        config = config or make_config(tmp_path)
        state = kiosk.KioskState.load(tmp_path / "state.json")
        kw.setdefault("now", lambda: IN_HOURS)
        win = KioskWindow(config, tmp_path / "kiosk.json", state, directory=HotlineDirectory.load(), **kw)
        qtbot.addWidget(win)
        windows.append(win)
        win.enter_fullscreen()
        if engine is not None:
            win.host.worker.engine = engine
            win.host._on_loaded("scripted")
        return win

    yield make
    for win in windows:
        win.exit_kiosk()
    gc.collect()  # now, while no worker thread runs, not in the middle of a later test


@pytest.fixture
def win(make_window, scripted_engine):
    return make_window(engine=ResettableEngine(scripted_engine(["I hear ", "you. ", "Tell me more."])))


def type_text(widget, text: str) -> None:
    event = QInputMethodEvent("", [])
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def send(qtbot, win, text: str, timeout=60_000) -> None:
    """Send ``text`` and wait until the window has shown the whole reply.

    Waiting on the window's own state, not on the worker's signals: pytest-qt's blocker hears a
    signal from another thread directly, and one that fires just before its event loop starts
    is missed (the wait then lasts its full timeout).
    """
    win.chat.input.setFocus()
    type_text(win.chat.input, text)
    qtbot.keyClick(win.chat.input, Qt.Key_Return)
    assert win.chat.busy
    qtbot.waitUntil(lambda: not win.chat.busy, timeout=timeout)


def finish(qtbot, win, how="done") -> None:
    forgotten = win.host.forgets
    if how == "done":
        win.done_button.click()
    else:
        win.end_visit(how)
    qtbot.waitUntil(lambda: win.host.forgets > forgotten, timeout=10_000)  # the engine forgot the visit


def assert_fresh(win) -> None:
    assert win.chat.transcript.toPlainText() == ""
    assert win.chat.input.toPlainText() == ""
    assert win.chat.user_texts == []
    assert not win.crisis_panel.isVisible()
    assert win.conversation.turns == [] and win.conversation.summary == ""
    assert QGuiApplication.clipboard().text() == ""


def test_im_done_wipes_the_visit(win, qtbot):
    win.pages["welcome"].start_button.click()
    assert win.page() == "visit" and win.isFullScreen()
    send(qtbot, win, PRIVATE)
    send(qtbot, win, CRISIS)
    assert PRIVATE in win.chat.transcript.toPlainText() and win.crisis_panel.isVisible()
    type_text(win.chat.input, "half-typed words")
    QGuiApplication.clipboard().setText(PRIVATE)
    old_chat, old_session = win.chat, win.conversation
    finish(qtbot, win)
    assert win.page() == "welcome"
    assert win.chat is not old_chat and win.conversation is not old_session
    assert win.host.worker.engine.resets == 1
    win.pages["welcome"].start_button.click()
    win.show()
    assert_fresh(win)
    assert not win.findChildren(ConversationList)  # no list of anyone's conversations in the kiosk
    send(qtbot, win, "hello again")
    assert PRIVATE not in win.chat.transcript.toPlainText()
    assert [t.content for t in win.conversation.turns if t.role == "user"] == ["hello again"]


class SlowEngine(ResettableEngine):
    """Streams a long reply slowly, so a visit can end in the middle of it."""

    def stream_chat(self, messages, params, cancel=None):
        for i in range(200):
            if cancel is not None and cancel.cancelled:
                return
            time.sleep(0.02)
            yield f"stale{i} "


def test_a_reply_still_streaming_never_reaches_the_next_visitor(make_window, scripted_engine, qtbot):
    win = make_window(engine=SlowEngine(scripted_engine([])))
    win.start_visit()
    win.chat.input.setPlainText(PRIVATE)
    win.chat.submit()
    qtbot.waitUntil(lambda: "stale3" in win.chat.transcript.toPlainText(), timeout=5_000)
    finish(qtbot, win)
    win.start_visit()
    qtbot.wait(200)
    assert_fresh(win)
    assert "stale" not in win.chat.transcript.toPlainText() and not win.chat.busy


def test_idle_timeout_wipes_the_visit(make_window, scripted_engine, tmp_path, qtbot):
    config = make_config(tmp_path, idle_timeout_s=2)
    win = make_window(config, ResettableEngine(scripted_engine(["ok"])))
    win.start_visit()
    send(qtbot, win, PRIVATE)
    type_text(win.chat.input, "still typing")
    with qtbot.waitSignal(win.visit_ended, timeout=8_000) as blocker:  # emitted on the UI thread
        pass
    assert blocker.args == ["idle"]
    qtbot.waitUntil(lambda: win.host.forgets == 1, timeout=5_000)
    assert win.page() == "welcome"
    win.start_visit()
    assert_fresh(win)


def test_countdown_and_im_still_here(make_window, scripted_engine, qtbot):
    clock = Clock()
    win = make_window(engine=ResettableEngine(scripted_engine(["ok"])), clock=clock)
    win.start_visit()
    banner = win.pages["visit"].banner
    clock.now += 180 - 20
    win.tick()
    assert banner.isVisible() and "20 s" in win.pages["visit"].countdown.text()
    win.pages["visit"].still_button.click()
    win.tick()
    assert not banner.isVisible() and win.in_visit
    clock.now += 181
    with qtbot.waitSignal(win.visit_ended):
        win.tick()
    assert win.page() == "welcome"


def test_idle_admin_page_returns_to_welcome(make_window, scripted_engine):
    clock = Clock()
    win = make_window(clock=clock)
    win.open_admin()
    assert win.try_pin(PIN) and win.page() == "admin"
    clock.now += 181
    win.tick()
    assert win.page() == "welcome"


def test_quit_and_switch_shortcuts_are_swallowed(win, qtbot):
    fired = []
    QShortcut(QKeySequence("Ctrl+Q"), win, activated=lambda: fired.append("ctrl+q"),
              context=Qt.ApplicationShortcut)
    win.start_visit()
    keys = [(Qt.Key_F4, Qt.AltModifier), (Qt.Key_Q, Qt.ControlModifier), (Qt.Key_W, Qt.ControlModifier),
            (Qt.Key_Escape, Qt.NoModifier), (Qt.Key_Tab, Qt.AltModifier), (Qt.Key_Delete, Qt.ControlModifier | Qt.AltModifier)]
    for key, mods in keys:
        qtbot.keyClick(win.chat.input, key, mods)
        qtbot.keyClick(win, key, mods)
    QApplication.processEvents()
    assert win.guard.swallowed >= 2 * len(keys)
    assert fired == [] and win.isVisible() and win.isFullScreen() and win.in_visit
    qtbot.keyClick(win.chat.input, Qt.Key_A)  # ordinary typing still works
    assert win.chat.input.toPlainText() == "a"


def test_close_is_ignored_without_the_pin(win, qtbot):
    assert win.close() is False
    assert win.isVisible()
    win.showNormal()
    qtbot.waitUntil(win.isFullScreen, timeout=2_000)  # it goes back to full screen
    win.open_admin()
    win.try_pin(PIN)
    win.pages["admin"].exit_button.click()
    assert not win.isVisible()


def test_pin_lockout_and_its_persistence(make_window, tmp_path):
    win = make_window()
    win.open_admin()
    assert win.page() == "pin"
    for _ in range(kiosk.MAX_FAILURES - 1):
        assert not win.try_pin("111112")
    assert "1 more tries" in win.pages["pin"].message.text()
    assert not win.try_pin("111112")
    assert "Too many wrong PINs" in win.pages["pin"].message.text()
    assert not win.pages["pin"].unlock_button.isEnabled()
    assert not win.try_pin(PIN) and win.page() == "pin"  # locked: even the right PIN waits
    win.exit_kiosk()
    restarted = make_window(kiosk.load_config(tmp_path / "kiosk.json"))
    restarted.open_admin()
    assert restarted.pin.seconds_locked() > kiosk.BASE_LOCKOUT_S - 30
    assert not restarted.try_pin(PIN) and restarted.page() == "pin"
    assert not restarted.pages["pin"].unlock_button.isEnabled()


def test_counselor_shown_before_hotlines(win):
    win.talk_to_counselor()
    assert win.page() == "visit" and win.crisis_panel.isVisible()
    html = win.crisis_panel.body.text()
    first_number = min(html.index(n) for n in win.crisis_panel.hotline_numbers())
    assert html.index(COUNSELOR["name"]) < first_number
    assert html.index(COUNSELOR["room"]) < first_number
    assert "safety plan" not in html.lower()
    assert "Room 204" in win.chat.transcript.toPlainText()  # the scripted kiosk_counselor note


def test_the_counselor_note_comes_once_a_visit(win, qtbot):
    win.talk_to_counselor()
    send(qtbot, win, CRISIS)
    win.talk_to_counselor()
    assert win.chat.transcript.toPlainText().count("Room 204 right now") == 1
    finish(qtbot, win)
    win.talk_to_counselor()  # the next visitor is told again
    assert win.chat.transcript.toPlainText().count("Room 204 right now") == 1


@pytest.mark.parametrize("hours, now, told, heading", [
    ("Mon-Fri 8-16", IN_HOURS, "is in Room 204 right now", "Counselor on duty"),
    ("Mon-Fri 8-16", SATURDAY, "during their hours (Mon-Fri 8-16), and this is outside them", "School counselor"),
    ("08:00-16:00", SATURDAY.replace(hour=17), "this is outside them", "School counselor"),
    ("by appointment", IN_HOURS, "room is Room 204", "School counselor"),  # unreadable: no claim
    ("", IN_HOURS, "room is Room 204", "School counselor"),
])
def test_the_counselor_is_said_to_be_in_only_within_their_hours(make_window, scripted_engine, tmp_path,
                                                               hours, now, told, heading):
    config = make_config(tmp_path, counselor={**COUNSELOR, "hours": hours})
    win = make_window(config, ResettableEngine(scripted_engine(["ok"])), now=lambda: now)
    win.talk_to_counselor()
    note, body = win.chat.transcript.toPlainText(), win.crisis_panel.body.text()
    assert told in note and (("Room 204 right now" in note) == (heading == "Counselor on duty"))
    assert f"{heading}: Ms Zhang Wei" in body


def test_a_china_region_kiosk_speaks_chinese_until_the_visitor_writes_english(make_window, scripted_engine,
                                                                              tmp_path, qtbot):
    win = make_window(make_config(tmp_path, region="CN"), ResettableEngine(scripted_engine(["ok"])))
    win.talk_to_counselor()
    panel = win.crisis_panel
    body = panel.body.text()
    assert "你不必独自面对" in body and "请现在就联系" in body and "值班心理老师" in body and "12356" in body
    assert "alone" not in body and "Settings" not in body and "设置" not in body
    assert panel.safe_button.text() == "我现在是安全的" and panel.keep_button.text() == "继续聊聊"
    assert "现在就在Room 204" in win.chat.transcript.toPlainText()
    send(qtbot, win, CRISIS)  # an English-speaking visitor: the panel follows them
    assert "You don't have to go through this alone" in panel.body.text()
    assert panel.safe_button.text() == "I'm safe right now"


def test_admin_is_told_when_the_hours_cannot_be_read(win):
    win.open_admin()
    assert win.try_pin(PIN)
    page = win.pages["admin"]
    page.counselor["hours"].setText("whenever")
    assert win.apply_admin() and "could not be read" in page.message.text()
    page.counselor["hours"].setText("Mon-Fri 08:00-16:00")
    assert win.apply_admin() and "could not be read" not in page.message.text()


def test_alert_runs_without_the_visitors_words(make_window, scripted_engine, tmp_path, qtbot):
    out = tmp_path / "alerts.env"
    script = tmp_path / "alert.sh"
    script.write_text('#!/bin/sh\nenv >> "$1"\necho --- >> "$1"\n', encoding="utf-8")
    script.chmod(0o755)
    config = make_config(tmp_path, alert_command=[str(script), str(out)])
    win = make_window(config, ResettableEngine(scripted_engine(["ok"])))
    assert "alerted automatically" in win.pages["welcome"].text.text()
    win.start_visit()
    send(qtbot, win, PRIVATE)
    send(qtbot, win, CRISIS)
    level = win.conversation.turns[-2].meta["risk"]["level"]
    win.talk_to_counselor()
    win.talk_to_counselor()  # once per visit
    for thread in win.alert_threads:
        thread.join(10)
    text = out.read_text(encoding="utf-8")
    assert len(win.alert_threads) == 2 and text.count("---") == 2
    assert level in ("moderate", "high", "imminent") and f"EDGE_COUNSEL_ALERT_LEVEL={level}" in text
    assert "EDGE_COUNSEL_ALERT_LEVEL=request" in text and "EDGE_COUNSEL_ALERT_KIOSK=Room 204 kiosk" in text
    assert "EDGE_COUNSEL_ALERT_REASON=crisis_detected" in text
    assert "EDGE_COUNSEL_ALERT_REASON=visitor_request" in text
    assert "kill myself" not in text and "Lucy" not in text


def test_counts_increment_and_hold_no_text(win, qtbot, tmp_path):
    win.start_visit()
    send(qtbot, win, PRIVATE)
    send(qtbot, win, CRISIS)
    send(qtbot, win, CRISIS)
    win.talk_to_counselor()
    finish(qtbot, win)
    win.talk_to_counselor()  # a second visit that starts with the button
    raw = (tmp_path / "state.json").read_text(encoding="utf-8")
    (row,) = json.loads(raw)["counts"].values()
    assert row == {"visits": 2, "escalations": 1, "counselor_requests": 2}
    assert "Lucy" not in raw and "kill" not in raw and "Zhang" not in raw


def test_first_start_asks_for_a_pin_then_opens_admin(make_window, tmp_path):
    win = make_window(kiosk.KioskConfig())
    assert win.page() == "setup" and not win.counselor_button.isVisible()
    win.pages["setup"].chosen.emit("12345", "12345")
    assert "at least 6" in win.pages["setup"].message.text() and win.page() == "setup"
    win.pages["setup"].chosen.emit(PIN, "135791")
    assert "differ" in win.pages["setup"].message.text()
    win.pages["setup"].chosen.emit(PIN, PIN)
    assert win.page() == "admin"
    saved = json.loads((tmp_path / "kiosk.json").read_text(encoding="utf-8"))
    assert saved["pin_hash"].startswith("$argon2id$") and PIN not in json.dumps(saved)


def test_admin_applies_counselor_and_pin_change(win, tmp_path):
    win.open_admin()
    assert win.try_pin(PIN)
    page = win.pages["admin"]
    page.counselor["name"].setText("Mr Chen")
    page.idle.setValue(240)
    page.new_pin.setText("135790")
    page.new_pin2.setText("135790")
    assert win.apply_admin()
    assert "Saved" in page.message.text()
    saved = kiosk.load_config(tmp_path / "kiosk.json")
    assert saved.counselor["name"] == "Mr Chen" and saved.idle_timeout_s == 240
    assert win.crisis_panel.counselor["name"] == "Mr Chen"
    assert "4 minutes" in win.pages["welcome"].text.text()
    page.fields["alert_command"].setText("relative/notify")
    assert not win.apply_admin() and "absolute path" in page.message.text()
    win.show_home()
    win.open_admin()
    assert not win.try_pin(PIN) and win.try_pin("135790")


@pytest.mark.model
def test_a_real_visit_with_the_embedded_model(make_window, tmp_path, qtbot, model_path):
    config = make_config(tmp_path, max_tokens=24, n_ctx=2048)
    win = make_window(config)
    with qtbot.waitSignal(win.model_ready, timeout=90_000):
        win.load_model(str(model_path))
    win.start_visit()
    send(qtbot, win, "I feel nervous about my exams tomorrow.", timeout=240_000)  # 2 shared cores
    reply = win.chat.reply_text().strip()
    assert reply and [t.role for t in win.conversation.turns] == ["user", "assistant"]
    engine = win.host.worker.engine
    finish(qtbot, win)
    assert win.host.worker.engine is engine  # the model stays loaded for the next visitor
    win.start_visit()
    assert_fresh(win)
    assert "exams" not in win.chat.transcript.toPlainText()


def test_every_screen_is_readable_in_either_theme(make_window, scripted_engine, theme):
    win = make_window(engine=ResettableEngine(scripted_engine(["Hi."])))
    pages = win.pages
    win.status.setText("Model ready")
    checks = [("welcome", pages["welcome"].text), ("welcome", pages["welcome"].counselor),
              ("welcome", win.status), ("welcome", win.staff_button), ("welcome", win.counselor_button)]
    pages["pin"].message.setText("Wrong PIN")
    pages["setup"].message.setText("The PINs differ")
    checks += [("pin", pages["pin"].message), ("setup", pages["setup"].message), ("admin", pages["admin"].exit_button)]
    for page, widget in checks:
        win.stack.setCurrentWidget(pages[page])
        assert drawn_contrast(widget) >= 4.5, (theme, page, widget.text())
    pages["welcome"].start_button.click()
    pages["visit"].show_countdown(30)
    for widget in (pages["visit"].countdown, pages["visit"].footer):
        assert drawn_contrast(widget) >= 4.5, (theme, widget.text())
