"""The window over a real SQLCipher store: unlock (off the UI thread), record, history, lock.

These tests are about the window and the store, so the model is the scripted fake engine; the real
model's part of the same flows is covered in test_ui_chat.py and test_privacy.py.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import time

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont, QTextFormat
from PySide6.QtWidgets import QApplication, QCheckBox, QDialog, QDialogButtonBox, QLabel, QMessageBox

from edge_counsel.services.unlock import unlock
from edge_counsel.settings import Settings
from edge_counsel.ui.main_window import MainWindow
from edge_counsel.ui.settings_dialog import SettingsDialog
from edge_counsel.ui.unlock_dialog import ChangePassphraseDialog, UnlockDialog

PASS = "a long enough passphrase"


pytestmark = pytest.mark.usefixtures("fast_kdf")


@pytest.fixture
def window(qtbot, data_home, scripted_engine):
    store = unlock(data_home, PASS, create=True)
    win = MainWindow(Settings(auto_lock_minutes=0), store=store)
    qtbot.addWidget(win)
    win.host.worker.engine = scripted_engine(["I hear ", "you. ", "Tell me more?"])
    win.chat.model_ready = True
    win.show()
    yield win
    win.close()


class PrimingEngine:
    """The scripted engine with a slow ``prime``: it holds until released or cancelled, and keeps
    what each warm-up was given and whether it was cancelled."""

    def __init__(self, base) -> None:
        self.base, self.n_ctx = base, base.n_ctx
        self.primed: list[tuple[list[str], bool]] = []
        self.release = threading.Event()
        self.release.set()

    def stream_chat(self, *args):
        return self.base.stream_chat(*args)

    def count_tokens(self, messages):
        return self.base.count_tokens(messages)

    def prime(self, messages, cancel=None):
        deadline = time.monotonic() + 10
        while not self.release.is_set() and not (cancel and cancel.cancelled) and time.monotonic() < deadline:
            time.sleep(0.005)
        self.primed.append(([m["content"] for m in messages], bool(cancel and cancel.cancelled)))
        return len(messages)

    def close(self):
        pass


@pytest.fixture
def warm_window(window, scripted_engine):
    engine = PrimingEngine(scripted_engine(["I hear ", "you."]))
    window.host.worker.engine = engine
    window.host._on_loaded("scripted")
    wait_until_warm(window)
    return window, engine


def wait_until_warm(window, timeout=5.0):
    """Until no warm-up runs (the one after loading included)."""
    deadline = time.monotonic() + timeout
    while (window.chat.warming or window.host._warm_after_load) and time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.01)


def say(qtbot, win, text):
    win.chat.input.setPlainText(text)
    with qtbot.waitSignal(win.chat.reply_finished, timeout=10_000):
        win.chat.submit()


def test_create_then_unlock(qtbot, data_home, sync_pool):
    dialog = UnlockDialog(data_home, pool=sync_pool)
    qtbot.addWidget(dialog)
    assert dialog.creating
    dialog.passphrase.setText(PASS)
    dialog.confirm.setText("something else")
    assert not dialog.try_accept() and "differ" in dialog.error.text()
    assert sync_pool.started == 0  # the form was wrong: no key was derived
    dialog.confirm.setText(PASS)
    with qtbot.waitSignal(dialog.unlocked) as unlocked:
        assert dialog.try_accept()
    assert dialog.result() == QDialog.Accepted and unlocked.args == [dialog.store]
    dialog.store.close()
    again = UnlockDialog(data_home, pool=sync_pool)
    qtbot.addWidget(again)
    assert not again.creating
    again.passphrase.setText(PASS)
    again.try_accept()
    assert again.result() == QDialog.Accepted and again.store.is_open
    again.store.close()


def assert_nothing_clipped(dialog) -> None:
    QApplication.processEvents()
    for label in dialog.findChildren(QLabel):
        if label.isVisible() and label.text():
            assert label.wordWrap() or label.width() >= label.sizeHint().width(), label.text()
            if label.wordWrap():
                assert label.height() >= label.heightForWidth(label.width()), label.text()
    for box in dialog.findChildren(QCheckBox):
        assert box.width() >= box.sizeHint().width(), box.text()


@pytest.mark.parametrize("points", [0, 20])
def test_the_unlock_dialog_shows_all_its_text_at_any_size(qtbot, qapp, data_home, points):
    before = qapp.font()
    if points:
        qapp.setFont(QFont(before.family(), points))
    try:
        dialog = UnlockDialog(data_home)
        qtbot.addWidget(dialog)
        dialog.show()
        assert_nothing_clipped(dialog)
        dialog.passphrase.setText(PASS)
        dialog.confirm.setText("something else")
        dialog.try_accept()  # an error appears: the dialog grows for it
        assert_nothing_clipped(dialog)
    finally:
        qapp.setFont(before)


def test_wrong_passphrase_shows_the_message_and_keeps_the_dialog_usable(qtbot, data_home, sync_pool):
    unlock(data_home, PASS, create=True).close()
    dialog = UnlockDialog(data_home, pool=sync_pool)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.passphrase.setText("wrong guess")
    with qtbot.waitSignal(dialog.unlock_failed) as failed:
        dialog.buttons.button(QDialogButtonBox.Ok).click()
    assert "passphrase" in failed.args[0].lower() and dialog.error.text() == failed.args[0]
    assert dialog.isVisible() and dialog.result() != QDialog.Accepted and dialog.store is None
    assert dialog.passphrase.isEnabled() and dialog.buttons.isEnabled() and dialog.busy.isHidden()
    assert dialog.passphrase.selectedText() == "wrong guess"  # ready to be typed over
    dialog.passphrase.setText(PASS)
    with qtbot.waitSignal(dialog.unlocked):
        dialog.buttons.button(QDialogButtonBox.Ok).click()
    assert dialog.error.text() == "" and dialog.store.is_open
    dialog.store.close()


def test_unlocking_keeps_the_ui_thread_free(qtbot, data_home, monkeypatch):
    """The real Argon2id cost, on the real pool: the event loop ticks while the key is derived."""
    monkeypatch.delenv("EDGE_COUNSEL_KDF_FAST")  # 64 MiB, 3 passes: a visible freeze on the UI thread
    unlock(data_home, PASS, create=True).close()
    dialog = UnlockDialog(data_home)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.passphrase.setText(PASS)
    ticks = []
    timer = QTimer(interval=5)
    timer.timeout.connect(lambda: ticks.append((dialog.working, dialog.busy.isVisible(),
                                                dialog.buttons.isEnabled(), dialog.passphrase.isEnabled())))
    timer.start()
    with qtbot.waitSignal(dialog.unlocked, timeout=60_000):
        assert dialog.try_accept()
    timer.stop()
    during = [t for t in ticks if t[0]]
    assert len(during) >= 2, "the event loop did not run while the key was derived"
    assert all(t == (True, True, False, False) for t in during)  # busy bar shown, buttons disabled
    assert dialog.result() == QDialog.Accepted and dialog.store.is_open
    dialog.store.close()


def test_the_dialog_cannot_be_closed_while_unlocking(qtbot, data_home, sync_pool):
    unlock(data_home, PASS, create=True).close()
    sync_pool.hold = True
    dialog = UnlockDialog(data_home, pool=sync_pool)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.passphrase.setText(PASS)
    assert dialog.try_accept()
    assert dialog.working and not dialog.try_accept()  # a second OK starts nothing
    assert not dialog.busy.isHidden() and not dialog.buttons.isEnabled()
    dialog.reject()  # Esc, or the window's close button
    dialog.close()
    assert dialog.isVisible()
    sync_pool.run_held()
    assert dialog.result() == QDialog.Accepted and dialog.store.is_open and sync_pool.started == 1
    dialog.store.close()


def test_a_keychain_that_fails_is_told_and_the_store_still_opens(qtbot, data_home, sync_pool, monkeypatch):
    told = []
    monkeypatch.setattr(QMessageBox, "information", lambda _parent, _title, text: told.append(text))
    dialog = UnlockDialog(data_home, pool=sync_pool)
    qtbot.addWidget(dialog)
    dialog.passphrase.setText(PASS)
    dialog.confirm.setText(PASS)
    dialog.remember.setChecked(True)  # the null keyring keeps nothing
    dialog.try_accept()
    assert dialog.result() == QDialog.Accepted and dialog.store.is_open
    assert len(told) == 1 and "passphrase each time" in told[0]
    dialog.store.close()


def test_change_passphrase_off_the_ui_thread(qtbot, data_home, sync_pool):
    unlock(data_home, PASS, create=True).close()
    dialog = ChangePassphraseDialog(data_home, pool=sync_pool)
    qtbot.addWidget(dialog)
    dialog.old.setText("not it")
    dialog.new.setText("a new passphrase")
    dialog.again.setText("a new passphrase")
    with qtbot.waitSignal(dialog.change_failed) as failed:
        dialog.try_accept()
    assert "passphrase" in failed.args[0].lower() and dialog.buttons.isEnabled()
    dialog.old.setText(PASS)
    dialog.new.setText("")
    dialog.again.setText("")
    dialog.try_accept()
    assert "empty" in dialog.error.text()  # a named error: the message, not a traceback's name
    dialog.new.setText("a new passphrase")
    dialog.again.setText("a new passphrase")
    with qtbot.waitSignal(dialog.changed):
        dialog.try_accept()
    assert dialog.result() == QDialog.Accepted
    unlock(data_home, "a new passphrase").close()


def test_corrupt_database_is_moved_aside_never_overwritten(qtbot, data_home, monkeypatch, sync_pool):
    unlock(data_home, PASS, create=True).close()
    db = data_home / "counsel.db"
    garbage = b"\x13" * 5000
    db.write_bytes(garbage)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.Yes)
    dialog = UnlockDialog(data_home, pool=sync_pool)
    qtbot.addWidget(dialog)
    dialog.passphrase.setText(PASS)
    with qtbot.waitSignal(dialog.unlock_failed):
        dialog.try_accept()
    assert dialog.result() != QDialog.Accepted
    moved = [p for p in data_home.iterdir() if p.name.startswith("counsel.db.corrupt")]
    assert len(moved) == 1 and moved[0].read_bytes() == garbage
    assert "Moved to" in dialog.error.text()


def test_messages_are_recorded_and_regenerate_retracts(qtbot, window):
    say(qtbot, window, "Exams make me nervous.")
    (conv,) = window.store.list_conversations()
    assert [m.role for m in window.store.list_messages(conv.id)] == ["user", "assistant"]
    with qtbot.waitSignal(window.chat.reply_finished, timeout=10_000):
        window.chat.regen_button.click()
    assert [m.role for m in window.store.list_messages(conv.id)] == ["user", "assistant"]
    assert conv.title.startswith("Exams make me nervous")


def test_history_search_continue_export_delete(qtbot, window, tmp_path):
    say(qtbot, window, "我和室友吵架了")
    window.chat.new_button.click()
    say(qtbot, window, "Work has been stressful.")
    page = window.history
    page.refresh()
    assert page.list.count() == 2
    page.search_box.setText("室友")
    assert page.list.count() == 1
    page.list.setCurrentRow(0)
    page.continue_selected()
    assert "我和室友吵架了" in window.chat.transcript.toPlainText()
    assert [t.role for t in window.conversation.turns] == ["user", "assistant"]
    say(qtbot, window, "我们后来和好了")
    conv_id = window.conversation.recorder.conversation_id
    assert len(window.store.list_messages(conv_id)) == 4
    out = page.export_selected(str(tmp_path / "talk.json"))
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert "我们后来和好了" in json.dumps(exported, ensure_ascii=False)
    monkey = QMessageBox.question
    try:
        QMessageBox.question = lambda *a, **k: QMessageBox.Yes
        page.delete_selected()
    finally:
        QMessageBox.question = monkey
    page.search_box.clear()
    assert page.list.count() == 1


def test_erase_all_needs_the_word(qtbot, window):
    say(qtbot, window, "Something private.")
    assert not window.history.erase_all("erase")
    assert window.store.list_conversations()
    assert window.history.erase_all("ERASE")
    assert window.store.list_conversations() == []
    assert window.chat.transcript.toPlainText() == ""


def lock_by(qtbot, window, how: str) -> None:
    with qtbot.waitSignal(window.locked, timeout=5_000):
        if how == "button":
            window.lock_action.trigger()
        else:
            window.settings.auto_lock_minutes = 0.005  # 0.3 s
            window.reset_idle_timer()


@pytest.mark.parametrize("how", ["button", "idle"])
def test_lock_hides_everything_and_unlock_restores_the_conversation(qtbot, window, data_home, how):
    say(qtbot, window, "Private words.")
    conv_id = window.conversation.recorder.conversation_id
    settings = SettingsDialog(window.settings, window.directory, window)
    settings.open()  # a dialog over the window is closed by the lock, whichever lock it is
    lock_by(qtbot, window, how)
    assert window.store is None and window.stack.currentWidget() is window.lock_screen
    assert not settings.isVisible() and not window.lock_action.isEnabled()
    # Nothing of the conversation stays in memory: only its id, to reload it from the store.
    assert window.chat.transcript.toPlainText() == "" and window.conversation.turns == []
    assert window.resume_after_unlock == conv_id
    assert window.conversation.detector._scan_cached.cache_info().currsize == 0  # no scans keyed by text
    qtbot.waitUntil(lambda: window.host.forgets == 1)  # nor the engine's cache
    window.unlock_with(unlock(data_home, PASS))
    assert window.stack.currentIndex() == 0 and window.lock_action.isEnabled()
    assert "Private words." in window.chat.transcript.toPlainText()
    assert [t.role for t in window.conversation.turns] == ["user", "assistant"]
    say(qtbot, window, "And more words.")  # recorded on in the same conversation
    assert len(window.store.list_messages(conv_id)) == 4 and len(window.store.list_conversations()) == 1


def test_a_message_left_unanswered_by_the_lock_can_be_answered_after_unlock(qtbot, window, data_home):
    window.chat.model_ready = False  # the message is kept, and no reply comes
    window.chat.input.setPlainText("Are you there?")
    window.chat.submit()
    lock_by(qtbot, window, "button")
    window.unlock_with(unlock(data_home, PASS))
    window.chat.model_ready = True
    assert "no reply yet" in window.chat.transcript.toPlainText() and window.chat.regen_button.isEnabled()
    with qtbot.waitSignal(window.chat.reply_finished, timeout=10_000):
        window.chat.regen_button.click()
    assert [t.role for t in window.conversation.turns] == ["user", "assistant"]


def test_an_empty_chat_stays_empty_after_unlock(qtbot, window, data_home):
    lock_by(qtbot, window, "button")
    window.unlock_with(unlock(data_home, PASS))
    assert window.conversation.turns == [] and window.store.list_conversations() == []


def test_new_conversation_gets_the_model_ready_in_the_background(qtbot, warm_window):
    window, engine = warm_window
    say(qtbot, window, "Exams make me nervous.")
    engine.release.clear()  # a slow warm-up, as on a 2-core laptop
    window.chat.new_button.click()
    qtbot.waitUntil(lambda: window.chat.status.text().startswith("Getting ready"))  # the UI runs meanwhile
    assert window.chat.input.isEnabled() and not window.chat.regen_button.isEnabled()
    engine.release.set()
    qtbot.waitUntil(lambda: window.chat.status.text() == "")
    contents, cancelled = engine.primed[-1]
    assert not cancelled and contents[0].startswith(window.conversation.messages()[0]["content"][:40])
    assert "Exams make me nervous." not in contents  # the new conversation's start: the persona only


def test_continue_and_unlock_evaluate_the_conversation_so_far(qtbot, warm_window, data_home):
    window, engine = warm_window
    say(qtbot, window, "Exams make me nervous.")
    conv_id = window.conversation.recorder.conversation_id
    window.chat.new_button.click()
    window.continue_conversation(conv_id)
    qtbot.waitUntil(lambda: bool(engine.primed) and "Exams make me nervous." in engine.primed[-1][0])
    lock_by(qtbot, window, "button")
    primed = len(engine.primed)
    window.unlock_with(unlock(data_home, PASS))
    qtbot.waitUntil(lambda: len(engine.primed) > primed and "Exams make me nervous." in engine.primed[-1][0])
    assert not engine.primed[-1][1]  # evaluated to the end
    assert all("Exams make me nervous." in contents for contents, _ in engine.primed[primed:])  # no empty one


def test_a_message_sent_while_warming_up_cancels_the_warm_up(qtbot, warm_window):
    window, engine = warm_window
    engine.release.clear()
    window.chat.new_button.click()
    qtbot.waitUntil(lambda: window.chat.warming)
    started = time.monotonic()
    say(qtbot, window, "Hello?")  # answered at once, not after the warm-up's 10 s
    assert time.monotonic() - started < 5 and engine.primed[-1][1]  # the warm-up was cancelled
    assert window.chat.status.text() == "" and window.conversation.turns[-1].role == "assistant"


def bubble_blocks(transcript) -> dict[str, object]:
    """The transcript's blocks by their text."""
    blocks, block = {}, transcript.document().begin()
    while block.isValid():
        blocks[block.text()] = block
        block = block.next()
    return blocks


def body_format(block) -> tuple:
    """What decides a message body's size: its characters' size and size adjustment, and the
    height its first line is laid out at."""
    fragment = block.begin().fragment()
    fmt = fragment.charFormat()
    return fmt.fontPointSize(), fmt.property(QTextFormat.FontSizeAdjustment), block.layout().lineAt(0).height()


HEADER = re.compile(r"^(You|Edge Counsel \(AI\))  ·  (\d{2}:\d{2})$", re.M)


def test_messages_look_the_same_live_and_reloaded(qtbot, window):
    say(qtbot, window, "Exams make me nervous.")
    window.chat.transcript.document().adjustSize()
    live = bubble_blocks(window.chat.transcript)
    user, ai = body_format(live["Exams make me nervous."]), body_format(live["I hear you. Tell me more?"])
    assert user == ai and user[1] is None  # the AI's words are the same size as the person's
    headers = HEADER.findall(window.chat.transcript.toPlainText())
    assert [who for who, _ in headers] == ["You", "Edge Counsel (AI)"]  # a time on every message
    assert all(when == dt.datetime.now().strftime("%H:%M") or when for _, when in headers)
    conv_id = window.conversation.recorder.conversation_id
    window.chat.new_button.click()
    window.continue_conversation(conv_id)
    reloaded_text = window.chat.transcript.toPlainText()
    assert HEADER.findall(reloaded_text) == headers  # the "(AI)" tag and the stored times, as shown live
    window.chat.transcript.document().adjustSize()
    again = bubble_blocks(window.chat.transcript)
    assert body_format(again["I hear you. Tell me more?"]) == ai == body_format(again["Exams make me nervous."])
    with qtbot.waitSignal(window.chat.reply_finished, timeout=10_000):
        window.chat.regen_button.click()  # a reloaded reply can be regenerated too
    assert window.chat.transcript.toPlainText().count("Edge Counsel (AI)") == 1
    assert [t.role for t in window.conversation.turns] == ["user", "assistant"]


def test_new_conversation_disables_regenerate(qtbot, window):
    assert not window.chat.regen_button.isEnabled()
    say(qtbot, window, "Exams make me nervous.")
    assert window.chat.regen_button.isEnabled()
    window.chat.new_button.click()
    assert not window.chat.regen_button.isEnabled()
    window.chat.regenerate()  # even asked directly, nothing happens on an empty chat
    assert not window.chat.busy and window.conversation.turns == []


def test_the_status_never_widens_the_window(qtbot, window):
    window.resize(980, 720)
    qtbot.waitUntil(lambda: window.width() == 980)
    before = window.chat.minimumSizeHint().width(), window.minimumSizeHint().width()
    assert before[1] <= 980  # the default width holds every control
    for busy, warming in ((True, False), (False, True), (False, False)):
        window.chat.set_warming(warming)
        window.chat.set_busy(busy)
        QApplication.processEvents()
        assert (window.chat.minimumSizeHint().width(), window.minimumSizeHint().width()) == before
        assert window.width() == 980
    window.chat.set_busy(True)
    assert window.chat.status.text() == "Writing…"
    window.chat.set_busy(False)


def test_help_is_one_click_away_without_any_crisis(qtbot, window):
    window.tabs.setCurrentIndex(window.tabs.count() - 1)
    window.help_action.trigger()
    assert window.tabs.currentWidget() is window.chat_tab
    assert window.crisis_panel.isVisible()
    assert window.crisis_panel.hotline_numbers()


def test_the_app_asks_only_when_no_key_is_remembered(qtbot, data_home, monkeypatch, memory_keyring):
    from argparse import Namespace

    from edge_counsel.app.desktop import _unlock

    asked = []
    monkeypatch.setattr("edge_counsel.ui.unlock_dialog.ask_passphrase",
                        lambda home: asked.append(home) or unlock(home, PASS, create=True))
    _unlock(Namespace()).close()  # first run: nothing remembered, so the dialog asks
    assert asked == [data_home]
    unlock(data_home, PASS, remember=True).close()
    with _unlock(Namespace()) as store:  # remembered: no dialog
        assert store.is_open and asked == [data_home]


def listed(window) -> list[tuple[str, bool]]:
    """The side list's lines: (text, highlighted), newest first."""
    items = window.conversations.list
    return [(items.item(i).text(), items.item(i) is items.currentItem()) for i in range(items.count())]


def test_the_side_list_shows_conversations_newest_first_and_opens_them(qtbot, window, monkeypatch):
    assert window.conversations.isVisibleTo(window) and listed(window) == []
    say(qtbot, window, "My roommate and I keep arguing about the dishes and the noise at night.")
    today = dt.date.today().isoformat()
    [(text, highlighted)] = listed(window)
    title, day = text.split("\n")
    assert title.startswith("My roommate") and title.endswith("…") and day == today
    assert highlighted  # the open one
    window.conversations.new_button.click()
    assert window.conversation.turns == [] and [on for _, on in listed(window)] == [False]
    say(qtbot, window, "我和室友吵架了，因为她每天晚上都很晚才回来，还把声音开得很大")
    title, day = listed(window)[0][0].split("\n")
    assert title.startswith("我和室友吵架了") and day == today and listed(window)[0][1]
    metrics, room = window.conversations.list.fontMetrics(), window.conversations.list.viewport().width()
    for row, (text, _) in enumerate(listed(window)):  # a long title is shortened, its date stays
        assert metrics.horizontalAdvance(text.split("\n")[0]) < room
        assert window.conversations.list.visualRect(window.conversations.list.model().index(row, 0)).height() \
            >= 2 * metrics.lineSpacing() + 4  # Qt's own hint (2 lines + 1 px) dropped the date under a Chinese title
    first = window.conversations.list.item(1)
    qtbot.mouseClick(window.conversations.list.viewport(), Qt.LeftButton,
                     pos=window.conversations.list.visualItemRect(first).center())
    assert "keep arguing" in window.chat.transcript.toPlainText()  # continued, as History's Continue does
    assert [on for _, on in listed(window)] == [False, True]
    window.history.refresh()
    window.history.list.setCurrentRow(0)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.Yes)
    window.history.delete_selected()
    assert [text.split("\n")[0][:11] for text, _ in listed(window)] == ["My roommate"]
    window.history.erase_all("ERASE")
    assert listed(window) == []


def test_the_side_list_empties_at_the_lock_and_comes_back_at_unlock(qtbot, window, data_home):
    say(qtbot, window, "Private words.")
    lock_by(qtbot, window, "button")
    assert listed(window) == []
    window.unlock_with(unlock(data_home, PASS))
    assert [(text.split("\n")[0], on) for text, on in listed(window)] == [("Private words.", True)]


def test_the_side_list_can_be_hidden_and_keeps_the_window_narrow(qtbot, window):
    assert window.minimumSizeHint().width() <= 980
    list_width = window.conversations.width()
    assert window.chat.width() > 2 * list_width
    window.list_action.trigger()
    assert not window.conversations.isVisible()
    window.list_action.trigger()
    assert window.conversations.isVisible()
