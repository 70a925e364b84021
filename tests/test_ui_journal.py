"""The journal page, offscreen, on a real encrypted store; the reflection on the real model."""

from __future__ import annotations

import html

import pytest
from conftest import type_text
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from edge_counsel.services.bundle import Services
from edge_counsel.settings import Settings
from edge_counsel.ui.journal_view import JournalPage
from edge_counsel.ui.main_window import MainWindow
from edge_counsel.ui.pages import install_pages


@pytest.fixture
def page(qtbot, store):
    journal = JournalPage(Services.for_store(store))
    qtbot.addWidget(journal)
    journal.show()
    return journal


@pytest.fixture
def window(qtbot, store):
    win = MainWindow(Settings(max_tokens=40, temperature=0.0, region="US", auto_lock_minutes=0), store=store)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()


def write(qtbot, journal: JournalPage, text: str) -> None:
    qtbot.mouseClick(journal.new_button, Qt.LeftButton)
    type_text(journal.editor, text)
    qtbot.mouseClick(journal.save_button, Qt.LeftButton)


def test_write_edit_search_delete(qtbot, page, store, monkeypatch):
    write(qtbot, page, "考试前很紧张，复习不完。")
    write(qtbot, page, "A quiet walk by the river.")
    first, second = [e.id for e in reversed(store.list_journal_entries())]
    assert page.entry_ids() == [second, first]  # newest first
    assert "A quiet walk" in page.entry_list.item(0).text()

    page.entry_list.setCurrentRow(1)  # open the Chinese entry and edit it
    assert page.editor.toPlainText() == "考试前很紧张，复习不完。"
    page.editor.moveCursor(page.editor.textCursor().MoveOperation.End)
    type_text(page.editor, "还好有朋友陪我。")
    qtbot.mouseClick(page.save_button, Qt.LeftButton)
    assert store.get_journal_entry(first).text == "考试前很紧张，复习不完。还好有朋友陪我。"
    assert len(store.list_journal_entries()) == 2

    page.search_box.setText("朋友")
    assert page.entry_ids() == [first]
    page.search_box.setText("river")
    assert page.entry_ids() == [second]
    page.search_box.clear()

    page.entry_list.setCurrentRow(0)
    monkeypatch.setattr(QMessageBox, "question", lambda *args, **kwargs: QMessageBox.No)
    qtbot.mouseClick(page.delete_button, Qt.LeftButton)
    assert len(store.list_journal_entries()) == 2
    monkeypatch.setattr(QMessageBox, "question", lambda *args, **kwargs: QMessageBox.Yes)
    qtbot.mouseClick(page.delete_button, Qt.LeftButton)
    assert [e.id for e in store.list_journal_entries()] == [first]
    assert page.entry_ids() == [first] and page.editor.toPlainText() == ""


def test_empty_entry_is_not_saved(qtbot, page, store):
    qtbot.mouseClick(page.save_button, Qt.LeftButton)
    assert store.list_journal_entries() == [] and "Write something" in page.status.text()


def test_switching_entries_keeps_unsaved_edits(qtbot, page, store):
    write(qtbot, page, "first")
    write(qtbot, page, "second")
    type_text(page.editor, " plus more")
    page.entry_list.setCurrentRow(1)
    assert [e.text for e in store.list_journal_entries()] == ["second plus more", "first"]


def test_risky_entry_is_saved_and_opens_the_crisis_panel(qtbot, window, store):
    pages = install_pages(window)
    journal = pages["journal"]
    window.tabs.setCurrentIndex(window.tabs.indexOf(journal.parentWidget()))
    write(qtbot, journal, "我不想活了，觉得撑不下去。")
    assert [e.text for e in store.list_journal_entries()] == ["我不想活了，觉得撑不下去。"]
    assert window.crisis_panel.isVisible()
    assert window.tabs.currentWidget() is window.chat_tab
    assert "12356" in window.crisis_panel.body.text() or "988" in window.crisis_panel.body.text()
    assert "你不必独自面对" in window.crisis_panel.body.text()
    assert not pages["suggestions"].isVisible()


def test_a_risky_entry_is_not_sent_to_the_model(qtbot, store):
    tasks, crises = [], []
    journal = JournalPage(Services.for_store(store), model_task=lambda *args: tasks.append(args), crisis_hook=crises.append)
    qtbot.addWidget(journal)
    type_text(journal.editor, "I want to end my life.")
    qtbot.mouseClick(journal.reflect_button, Qt.LeftButton)  # saves first, which opens the crisis flow
    assert len(crises) == 1 and tasks == [] and "no AI reflection" in journal.status.text()
    qtbot.mouseClick(journal.reflect_button, Qt.LeftButton)  # asked again: the crisis flow again
    assert len(crises) == 2 and tasks == []
    assert len(store.list_journal_entries()) == 1


def test_reflect_runs_the_model_half_and_saves_what_comes_back(qtbot, store, scripted_engine):
    engine = scripted_engine(['{"themes": ["exams"], "tone": "worried", '
                              '"observation": "You sound stretched thin by the exams and the lost sleep."}'])
    run_now = lambda task, done, _failed: done(task(engine))  # noqa: E731 - the worker, synchronously
    journal = JournalPage(Services.for_store(store), model_task=run_now)
    qtbot.addWidget(journal)
    type_text(journal.editor, "Exams next week and I can't sleep.")
    with qtbot.waitSignal(journal.reflection_ready) as blocker:
        qtbot.mouseClick(journal.reflect_button, Qt.LeftButton)
    [entry] = store.list_journal_entries()
    assert store.get_reflection(entry.id)["themes"] == blocker.args[0].themes
    assert "not a diagnosis" in journal.reflection_view.text() and journal.reflect_button.isEnabled()
    journal.new_entry()
    journal.open_entry(entry.id)  # a saved reflection shows again when its entry is opened
    assert "stretched thin" in journal.reflection_view.text()


@pytest.mark.parametrize("answer, shown, hidden", [
    # The instruction echoed as the tone: the tone is left out, the rest is shown.
    ('{"themes": ["exams"], "tone": "one or two words", "observation": "You seem worried about the exams."}',
     ["Themes:", "worried about the exams", "not a diagnosis"], ["Tone:", "one or two words"]),
    # The entry retold in the writer's voice: no reflection, said plainly.
    ('{"themes": ["exams"], "tone": "worried", "observation": "Exams next week and I can\'t sleep."}',
     ["I could not reflect on this one"], ["Themes:", "Tone:", "not a diagnosis", "can't sleep"]),
])
def test_reflect_shows_only_what_fits_the_entry(qtbot, store, scripted_engine, answer, shown, hidden):
    run_now = lambda task, done, _failed: done(task(scripted_engine([answer])))  # noqa: E731
    journal = JournalPage(Services.for_store(store), model_task=run_now)
    qtbot.addWidget(journal)
    type_text(journal.editor, "Exams next week and I can't sleep.")
    with qtbot.waitSignal(journal.reflection_ready):
        qtbot.mouseClick(journal.reflect_button, Qt.LeftButton)
    text = html.unescape(journal.reflection_view.text())
    assert all(s in text for s in shown) and not any(h in text for h in hidden), text
    [entry] = store.list_journal_entries()
    journal.new_entry()
    journal.open_entry(entry.id)  # stored as shown
    assert html.unescape(journal.reflection_view.text()) == text


def test_pages_without_a_store_ask_to_unlock(qtbot):
    win = MainWindow(Settings(region="US", auto_lock_minutes=0))
    qtbot.addWidget(win)
    pages = install_pages(win)
    container = pages["journal"].parentWidget()
    assert container.currentWidget() is container.notice and not pages["journal"].isEnabled()
    assert "Unlock to use" in container.notice.text()
    win.close()


def test_reflect_with_the_real_model(qtbot, window, store, model_path):
    with qtbot.waitSignal(window.model_ready, timeout=60_000):
        window.load_model(str(model_path))
    journal = install_pages(window)["journal"]
    window.tabs.setCurrentIndex(window.tabs.indexOf(journal.parentWidget()))
    type_text(journal.editor, "下周就要考试了，我很担心会考砸，晚上睡不着。")
    journal.recent_box.setChecked(True)
    with qtbot.waitSignal(journal.reflection_ready, timeout=90_000) as blocker:
        qtbot.mouseClick(journal.reflect_button, Qt.LeftButton)
    reflection = blocker.args[0]
    assert reflection.lang == "zh" and reflection.observation
    entry = store.list_journal_entries()[0]
    assert store.get_reflection(entry.id)["themes"] == reflection.themes
    shown = journal.reflection_view.text()
    assert html.escape(reflection.observation) in shown and journal.reflect_button.isEnabled()
    if reflection.reflected:  # the model's reflection passed every check: shown as the AI's reading
        assert "不是诊断" in shown and ("主题" in shown) == bool(reflection.themes)
        assert ("情绪基调" in shown) == bool(reflection.tone)
    else:  # it did not fit the entry: said plainly, with why kept for the record
        assert "没能好好回顾" in shown and "不是诊断" not in shown and reflection.rejected
