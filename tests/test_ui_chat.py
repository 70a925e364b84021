"""The real window, offscreen, with the real embedded model."""

from __future__ import annotations

import pytest
from conftest import type_text
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFontDatabase

from edge_counsel.settings import Settings, load_settings
from edge_counsel.ui.main_window import MainWindow


@pytest.fixture
def window(qtbot):
    win = MainWindow(Settings(max_tokens=40, temperature=0.0, region="US"))
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()


@pytest.fixture
def ready(window, qtbot, model_path):
    with qtbot.waitSignal(window.model_ready, timeout=60_000):
        window.load_model(str(model_path))
    return window


def send(qtbot, win, text: str, timeout=60_000) -> None:
    win.chat.input.setFocus()
    type_text(win.chat.input, text)
    with qtbot.waitSignal(win.chat.reply_finished, timeout=timeout):
        qtbot.keyClick(win.chat.input, Qt.Key_Return)


def test_loading_shows_progress_then_ready(window, qtbot, model_path):
    values = []
    window.worker.progress.connect(values.append)
    with qtbot.waitSignal(window.model_ready, timeout=60_000):
        window.load_model(str(model_path))
    assert values and max(values) == pytest.approx(1.0)
    assert "ready" in window.statusBar().currentMessage()


def test_chinese_message_streams_a_reply(ready, qtbot):
    deltas = []
    ready.worker.delta.connect(deltas.append)
    send(qtbot, ready, "我今天心情不太好，考试没考好😞")
    html = ready.chat.transcript.toPlainText()
    assert "考试没考好😞" in html
    assert len(deltas) > 2
    assert ready.chat.reply_text().strip() == "".join(deltas).strip()


def test_stop_mid_reply(ready, qtbot):
    ready.settings.max_tokens = 300
    ready.conversation.params = ready.conversation.params.__class__(max_tokens=300, temperature=0.0)
    ready.worker.delta.connect(lambda _t: ready.chat.stop() if ready.chat.busy else None)
    send(qtbot, ready, "Please describe a long walk by the sea in great detail.")
    assert "stopped" in ready.chat.transcript.toPlainText()
    assert not ready.chat.busy and ready.chat.send_button.isEnabled()


def test_regenerate_replaces_the_reply(ready, qtbot):
    send(qtbot, ready, "I feel a bit lonely.")
    before = ready.chat.transcript.toPlainText().count("Edge Counsel")
    with qtbot.waitSignal(ready.chat.reply_finished, timeout=60_000):
        ready.chat.regen_button.click()
    assert ready.chat.transcript.toPlainText().count("Edge Counsel") == before
    assert [t.role for t in ready.conversation.turns] == ["user", "assistant"]


def test_new_conversation_clears(ready, qtbot):
    send(qtbot, ready, "Hello there.")
    ready.chat.new_button.click()
    assert ready.chat.transcript.toPlainText() == ""
    assert ready.conversation.turns == []


def test_a_warm_up_takes_the_prompt_off_the_first_reply_after_the_cache_was_emptied(ready, qtbot):
    """What a lock does to the model's cache; the warm-up runs in the worker, with a status text."""
    engine, forgets = ready.worker.engine, ready.host.forgets
    ready.host.forget()
    qtbot.waitUntil(lambda: ready.host.forgets > forgets, timeout=60_000)  # after the load's own warm-up
    statuses = []
    ready.host.warming.connect(lambda busy: statuses.append((busy, ready.chat.status.text())))
    with qtbot.waitSignal(ready.host.warming, check_params_cb=lambda busy: not busy, timeout=60_000):
        ready.host.warm(ready.conversation)
    assert statuses[0] == (True, "Getting ready…") and statuses[-1] == (False, "")
    primed = engine.count_tokens(ready.conversation.messages())
    send(qtbot, ready, "Hello there.")
    assert engine.last_prefix_hit >= primed - 5  # only the new turn was evaluated for the reply


def test_window_stays_responsive_while_streaming(ready, qtbot):
    """The UI thread keeps serving its timers between streamed chunks: the model runs elsewhere.
    How long the longest stall is, is bench/chat_speed.py's ui_max_stall_ms to report."""
    ready.conversation.params = ready.conversation.params.__class__(max_tokens=120, temperature=0.0)
    ticks, ticks_at_delta = [0], []
    timer = QTimer(interval=10, timeout=lambda: ticks.__setitem__(0, ticks[0] + 1))
    ready.worker.delta.connect(lambda _text: ticks_at_delta.append(ticks[0]))
    timer.start()
    send(qtbot, ready, "Tell me about a calm lake at night.")
    timer.stop()
    assert len(ticks_at_delta) > 3
    assert ticks_at_delta[-1] > ticks_at_delta[0]  # timer events ran while the reply streamed


def test_crisis_shows_the_panel_and_a_scripted_reply(ready, qtbot):
    send(qtbot, ready, "I want to kill myself tonight.")
    panel = ready.crisis_panel
    assert panel.isVisible()
    text = panel.body.text()
    assert "988" in text and "911" in text
    assert ready.conversation.turns[-1].meta["source"] == "crisis"


def test_missing_model_opens_window_with_a_dialog(window, qtbot, tmp_path):
    with qtbot.waitSignal(window.worker.load_failed, timeout=20_000):
        window.load_model(str(tmp_path / "missing.gguf"))
    qtbot.waitUntil(lambda: window.model_error_dialog is not None and window.model_error_dialog.isVisible())
    assert "not found" in window.model_error_dialog.text()
    assert window.isVisible()
    # Without a model, a crisis is still answered and the panel still opens.
    send(qtbot, window, "我想自杀", timeout=10_000)
    assert window.crisis_panel.isVisible() and "12356" not in window.crisis_panel.body.text()
    assert "988" in window.crisis_panel.body.text()


def test_corrupt_model_dialog(window, qtbot, tmp_path):
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF" + b"\x00" * 1000)
    with qtbot.waitSignal(window.worker.load_failed, timeout=20_000) as blocker:
        window.load_model(str(bad))
    assert "damaged" in blocker.args[0]


def test_first_run_disclosure_is_remembered(window, qtbot):
    box = window.show_disclosure()
    assert "AI" in box.text()
    box.accept()
    assert load_settings().disclosure_seen


def test_fonts_for_chinese_and_emoji_are_installed(qapp):
    assert QFontDatabase.families(QFontDatabase.SimplifiedChinese), "install fonts-wqy-microhei"
    assert any("emoji" in f.lower() for f in QFontDatabase.families()), "install fonts-noto-color-emoji"


def test_crisis_panel_shows_every_safety_plan_section():
    from edge_counsel.store.database import SAFETY_PLAN_SECTIONS
    from edge_counsel.ui.crisis_panel import PLAN_SECTIONS

    assert tuple(key for key, _en, _zh in PLAN_SECTIONS) == SAFETY_PLAN_SECTIONS


def test_moderate_risk_gets_the_counselor_and_a_safety_check(ready, qtbot):
    """The graded response in the window: no takeover, the model's reply, one screening question,
    and the help button lit; a "yes" to the thoughts question then takes over."""
    send(qtbot, ready, "everyone would be better off without me")
    assert not ready.crisis_panel.isVisible()
    text = ready.chat.reply_text()
    assert ready.conversation.dialogue.step_asked(text) == "wish"
    assert "background:#c62828" in ready.chat.help_button.styleSheet()
    send(qtbot, ready, "yes")
    assert ready.conversation.dialogue.step_asked(ready.chat.reply_text()) == "thoughts"
    send(qtbot, ready, "yes")
    assert ready.crisis_panel.isVisible()


def test_help_button_opens_the_hotlines_at_any_time(window, qtbot):
    assert not window.crisis_panel.isVisible()
    qtbot.mouseClick(window.chat.help_button, Qt.LeftButton)
    assert window.crisis_panel.isVisible() and "988" in window.crisis_panel.body.text()


def test_im_safe_is_read_as_the_answer_to_the_safety_question(window, qtbot):
    """No model needed: the takeover is scripted; "I'm safe right now" then de-escalates."""
    send(qtbot, window, "I can't do this anymore, I want to kill myself")
    assert window.crisis_panel.isVisible()
    qtbot.mouseClick(window.crisis_panel.safe_button, Qt.LeftButton)
    assert not window.crisis_panel.isVisible()
    after = window.conversation.history() + [{"role": "user", "content": "ok"}]
    assert window.conversation.dialogue.assess(after).level in ("none", "low")
