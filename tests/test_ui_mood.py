"""The mood page and the suggestion bar, offscreen, on a real encrypted store."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from conftest import drawn_contrast
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette

from edge_counsel.store import database as store_module
from edge_counsel.services.bundle import Services
from edge_counsel.services.conversation import Reply, Turn
from edge_counsel.services.suggestions import Suggestions
from edge_counsel.settings import Settings
from edge_counsel.ui.main_window import MainWindow
from edge_counsel.ui.mood_view import MoodPage
from edge_counsel.ui.pages import install_pages


@pytest.fixture
def window(qtbot, store):
    win = MainWindow(Settings(region="US", auto_lock_minutes=0), store=store)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()


def check_in(qtbot, page: MoodPage, score: int, tags=(), note: str = "") -> None:
    qtbot.mouseClick(page.score_buttons[score - 1], Qt.LeftButton)
    for tag in tags:
        qtbot.mouseClick(page.tag_chips[tag], Qt.LeftButton)
    if note:
        qtbot.keyClicks(page.note, note)
    qtbot.mouseClick(page.save_button, Qt.LeftButton)


def days_ago(monkeypatch, days: int) -> None:
    """Make the store stamp the next writes ``days`` days back."""
    moment = datetime.now(timezone.utc) - timedelta(days=days)
    monkeypatch.setattr(store_module, "now_iso", lambda: moment.isoformat(timespec="microseconds"))


def test_check_in_in_a_few_clicks_updates_chart_and_summary(qtbot, store):
    page = MoodPage(Services.for_store(store))
    qtbot.addWidget(page)
    page.show()
    assert not page.save_button.isEnabled()
    assert "haven't checked in" in page.summary.text()
    check_in(qtbot, page, 2, ["anxious", "tired"], "exam tomorrow")
    [saved] = store.list_checkins()
    assert (saved.score, saved.tags, saved.note) == (2, ("anxious", "tired"), "exam tomorrow")
    assert page.score is None and page.selected_tags() == [] and page.note.text() == ""
    assert page.chart.periods[-1].average == 2 and page.chart.mode == "week"
    assert page.chart.points()[-1] is not None and page.chart.points()[0] is None
    assert "one check-in" in page.summary.text() and "anxious" in page.summary.text()
    assert "Current streak: 1" in page.streaks.text()
    check_in(qtbot, page, 4)
    assert page.chart.periods[-1].average == 3
    page.month_button.click()
    assert page.chart.mode == "month" and len(page.chart.periods) == 6
    assert page.chart.periods[-1].average == 3
    assert not page.chart.grab().isNull()  # paints without error


def test_the_mood_buttons_and_chart_are_readable_in_either_theme(qtbot, store, theme):
    page = MoodPage(Services.for_store(store))
    qtbot.addWidget(page)
    page.resize(900, 600)
    page.show()
    chips = list(page.tag_chips.values())
    qtbot.mouseClick(chips[0], Qt.LeftButton)
    qtbot.mouseClick(page.score_buttons[2], Qt.LeftButton)
    assert chips[0].isChecked() and not chips[1].isChecked()
    for widget in (chips[0], chips[1], page.chart):  # the chart says "No check-ins yet"
        assert drawn_contrast(widget) >= 4.5, (theme, widget)
    checked, window = (page.score_buttons[2].grab().toImage().pixelColor(8, page.score_buttons[2].height() // 2),
                       page.palette().color(page.backgroundRole()))
    assert (checked.lightness() < 128) == (window.lightness() < 128)  # a checked emoji is not a light patch on dark


def test_no_check_ins_yet_is_not_struck_through_by_the_grid(qtbot, store, theme):
    page = MoodPage(Services.for_store(store))
    qtbot.addWidget(page)
    page.resize(900, 600)
    page.show()
    chart = page.chart
    image, plot = chart.grab().toImage(), chart._plot_rect()
    base, y = chart.palette().color(QPalette.Base), plot.bottom() - 2 / 4 * plot.height()
    # the middle grid line, which runs behind the note: the row it is drawn in (antialiased)
    middle = next(row for row in range(int(y) - 2, int(y) + 3) if image.pixelColor(round(plot.left()) + 5, row) != base)
    line = image.pixelColor(round(plot.left()) + 5, middle)
    centre = round(plot.center().x())
    crossed = [x for x in range(centre - 40, centre + 40) if image.pixelColor(x, middle) == line]
    assert crossed == [], (theme, "the grid line runs through the note")


def test_summary_follows_the_chat_language(qtbot, store):
    page = MoodPage(Services.for_store(store), lang_provider=lambda: "zh")
    qtbot.addWidget(page)
    check_in(qtbot, page, 3, ["calm"])
    assert "过去 7 天你记录了 1 次心情" in page.summary.text()


def test_streaks_count_consecutive_days(qtbot, store, monkeypatch):
    page = MoodPage(Services.for_store(store))
    qtbot.addWidget(page)
    for days in (5, 2, 1, 0):
        days_ago(monkeypatch, days)
        check_in(qtbot, page, 3)
    assert "Current streak: 3" in page.streaks.text() and "Longest: 3" in page.streaks.text()


def test_three_anxious_days_suggest_breathing_and_not_now_dismisses(qtbot, window, store, monkeypatch):
    pages = install_pages(window)
    mood, bar = pages["mood"], pages["suggestions"]
    for days in (2, 1, 0):
        days_ago(monkeypatch, days)
        check_in(qtbot, mood, 2, ["anxious"])
    assert bar.isVisibleTo(window) and bar.suggestion.exercise_id == "breathing"
    assert "anxious" in bar.reason.text() and bar.basis.text()
    assert window.chat.layout().indexOf(bar) == 1
    qtbot.mouseClick(bar.later_button, Qt.LeftButton)
    assert not bar.isVisibleTo(window)
    assert "anxious_days" in store.get_private_setting("dismissed_suggestions")
    check_in(qtbot, mood, 3, ["anxious"])
    assert not bar.isVisibleTo(window)
    assert Suggestions(store).find(None, "en") is None  # also across restarts: it is in the store


def test_try_it_opens_the_exercise_with_its_preset(qtbot, window, store, monkeypatch):
    pages = install_pages(window)
    for days in (2, 1, 0):
        days_ago(monkeypatch, days)
        check_in(qtbot, pages["mood"], 2, ["stressed"])
    qtbot.mouseClick(pages["suggestions"].try_button, Qt.LeftButton)
    exercises = pages["exercises"]
    assert window.tabs.currentWidget() is exercises.parentWidget()
    run = exercises.runner.run
    assert run.exercise.id == "breathing" and run.defaults == {"pattern": "box"}


def test_turn_off_suggestions(qtbot, window, store, monkeypatch):
    pages = install_pages(window)
    for days in (2, 1, 0):
        days_ago(monkeypatch, days)
        check_in(qtbot, pages["mood"], 2, ["anxious"])
    qtbot.mouseClick(pages["suggestions"].off_button, Qt.LeftButton)
    assert store.get_private_setting("suggestions_enabled") is False
    assert not pages["exercises"].suggestions_box.isChecked()
    check_in(qtbot, pages["mood"], 2, ["anxious"])
    assert not pages["suggestions"].isVisibleTo(window)
    pages["exercises"].suggestions_box.setChecked(True)  # and back on, from the exercises page
    assert Suggestions(store).find(None, "en").rule_id == "anxious_days"


def test_a_chat_turn_suggests_but_never_after_a_crisis_reply(qtbot, window, store):
    pages = install_pages(window)
    bar = pages["suggestions"]
    window.conversation.turns.append(Turn("user", "I'm panicking, my heart is racing before the exam"))
    crisis = Reply(text="...", source="crisis", lang="en", assessment=None)
    bar.on_chat_reply(crisis)
    assert not bar.isVisibleTo(window)
    bar.on_chat_reply(Reply(text="...", source="model", lang="en", assessment=None))
    assert bar.isVisibleTo(window) and bar.suggestion.exercise_id == "grounding"
    assert "panicking" in bar.reason.text()
    bar.on_chat_reply(crisis)
    assert not bar.isVisibleTo(window)


def test_a_reply_signalled_from_another_thread_is_handled_on_the_ui_thread(qtbot, window, store):
    bar = install_pages(window)["suggestions"]
    window.conversation.turns.append(Turn("user", "I feel overwhelmed"))
    reply = Reply(text="", source="model", lang="en", assessment=None)
    worker_side = threading.Thread(target=lambda: window.worker.done.emit(reply))
    worker_side.start()
    worker_side.join()
    qtbot.waitUntil(lambda: bar.isVisibleTo(window), timeout=5000)  # the store refuses other threads
    assert bar.suggestion.rule_id == "panic_words"
