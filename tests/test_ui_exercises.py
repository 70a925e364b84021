"""The exercises page, offscreen, on a real encrypted store: every kind of step, in both languages."""

from __future__ import annotations

import pytest
from conftest import type_text
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QApplication

from edge_counsel.services.bundle import Services
from edge_counsel.ui.exercises_view import BreathingGuide, ExercisesPage


@pytest.fixture
def page(qtbot, store):
    exercises = ExercisesPage(Services.for_store(store), speed=400)
    qtbot.addWidget(exercises)
    exercises.show()
    return exercises




def step_id(page: ExercisesPage) -> str:
    return page.runner.run.current_step.id


def next_with(qtbot, page: ExercisesPage, text: str | None = None, scale: int | None = None) -> None:
    runner = page.runner
    if text is not None:
        runner.text_input.clear()
        type_text(runner.text_input, text)
    if scale is not None:
        runner.scale_input.spin.setValue(scale)
    qtbot.mouseClick(runner.next_button, Qt.LeftButton)


def check_choices(page: ExercisesPage, *ids: str) -> None:
    items = page.runner.choice_list
    for row in range(items.count()):
        if items.item(row).data(Qt.UserRole) in ids:
            items.item(row).setCheckState(Qt.Checked)


def select_choice(page: ExercisesPage, choice_id: str) -> None:
    items = page.runner.choice_list
    for row in range(items.count()):
        if items.item(row).data(Qt.UserRole) == choice_id:
            items.setCurrentRow(row)


def test_list_shows_title_summary_minutes_and_basis(page):
    texts = [page.exercise_list.item(i).text() for i in range(page.exercise_list.count())]
    thought = next(t for t in texts if t.startswith("Thought record"))
    assert "thinking traps" in thought and "about 10 min" in thought and "cognitive behavioural" in thought
    page.set_lang("zh")
    assert any(page.exercise_list.item(i).text().startswith("思维记录") for i in range(page.exercise_list.count()))


def test_thought_record_with_a_validation_error(qtbot, page, store):
    page.start("thought_record")
    assert page.runner.progress.text() == "Step 1 of 10" and not page.runner.back_button.isEnabled()
    next_with(qtbot, page)
    next_with(qtbot, page, "")  # the situation is required
    assert step_id(page) == "situation"
    assert "Please write something here" in page.runner.error.text()
    next_with(qtbot, page, "My friend didn't reply to my message all day.")
    assert page.runner.error.text() == ""
    qtbot.mouseClick(page.runner.back_button, Qt.LeftButton)  # back keeps the answer
    assert page.runner.text_input.toPlainText() == "My friend didn't reply to my message all day."
    next_with(qtbot, page)
    next_with(qtbot, page, "She must be annoyed with me.")
    next_with(qtbot, page, "anxious, hurt")
    next_with(qtbot, page, scale=80)
    assert step_id(page) == "distortions" and page.runner.skip_button.isVisible()
    check_choices(page, "mind_reading", "fortune_telling")
    next_with(qtbot, page)
    qtbot.mouseClick(page.runner.skip_button, Qt.LeftButton)  # evidence for: skipped
    next_with(qtbot, page, "She is often busy on Tuesdays.")
    next_with(qtbot, page, "She may just be busy; I can ask her tomorrow.")
    assert page.runner.next_button.text() == "Finish"
    with qtbot.waitSignal(page.record_saved) as saved:
        next_with(qtbot, page, scale=40)
    [record] = store.list_exercise_records("thought_record")
    assert record.id == saved.args[0].id
    answers = record.data["answers"]
    assert answers["distortions"] == ["mind_reading", "fortune_telling"] and "evidence_for" not in answers
    assert record.data["emotion_change"] == 40 and record.data["completed_at"]
    assert "from 80 to 40" in page.closing.text()


@pytest.mark.parametrize("lang, needed, skippable", [
    ("en", ("What happened", "the thought", "the feeling"), "can be skipped"),
    ("zh", ("发生了什么", "想法", "感受"), "可以跳过"),
])
def test_thought_record_says_which_steps_are_needed_and_keeps_to_it(qtbot, page, lang, needed, skippable):
    page.set_lang(lang)
    page.start("thought_record")
    intro = page.runner.prompt.text()
    assert all(part in intro for part in needed) and skippable in intro
    next_with(qtbot, page)
    next_with(qtbot, page, "我的朋友一整天没回我消息。" if lang == "zh" else "No reply all day.")
    assert step_id(page) == "automatic_thought"
    assert not page.runner.skip_button.isVisible()  # named as needed: no Skip offered
    next_with(qtbot, page, "")
    assert step_id(page) == "automatic_thought" and page.runner.error.text()


def assert_items_show_all_their_text(items) -> None:
    QApplication.processEvents()
    metrics = items.fontMetrics()
    for item in map(items.item, range(items.count())):
        rect = items.visualItemRect(item)
        needed = metrics.boundingRect(QRect(0, 0, rect.width(), 0), Qt.TextWordWrap, item.text())
        assert rect.height() >= needed.height() and rect.width() <= items.viewport().width(), item.text()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_exercise_or_breathing_pattern_is_cut_off_in_a_narrow_window(qtbot, page, lang):
    page.set_lang(lang)
    page.resize(720, 560)
    assert page.exercise_list.viewport().width() >= 50 * page.exercise_list.fontMetrics().averageCharWidth()
    assert_items_show_all_their_text(page.exercise_list)
    page.start("breathing")
    next_with(qtbot, page)
    assert step_id(page) == "pattern"
    assert_items_show_all_their_text(page.runner.choice_list)


def test_breathing_guide_follows_the_phases():
    guide = BreathingGuide()
    labels = {"inhale": "Breathe in", "hold": "Hold", "exhale": "Breathe out"}
    phases, ended = [], []
    guide.phase_changed.connect(phases.append)
    guide.finished.connect(lambda: ended.append(True))
    guide.start([("inhale", 4), ("hold", 4), ("exhale", 4)], labels.get)
    guide.stop()  # drive time by hand
    guide._advance(2)
    assert guide.size_level == pytest.approx(0.5) and guide.caption.text() == "Breathe in · 2"
    guide._advance(2.5)
    assert guide.phase == "hold" and guide.size_level == pytest.approx(1.0) and guide.caption.text() == "Hold · 4"
    guide._advance(5.5)
    assert guide.phase == "exhale" and guide.size_level == pytest.approx(0.5)
    assert not guide.grab().isNull()
    guide._advance(2)
    assert phases == ["inhale", "hold", "exhale"] and ended == [True]


def test_breathing_run_at_a_fast_speed(qtbot, page, store):
    page.start("breathing", preset={"pattern": "4-7-8"})
    next_with(qtbot, page)
    current = page.runner.choice_list.currentItem()
    assert current.data(Qt.UserRole) == "4-7-8"  # the suggestion's preset is preselected
    select_choice(page, "box")
    phases = []
    page.runner.guide.phase_changed.connect(phases.append)
    next_with(qtbot, page)
    assert step_id(page) == "breathe" and page.runner.guide.running
    qtbot.waitUntil(lambda: step_id(page) == "closing", timeout=5000)  # 8 box cycles, 128 s at 400x
    assert phases[:4] == ["inhale", "hold", "exhale", "hold"] and len(phases) == 32
    next_with(qtbot, page)
    [record] = store.list_exercise_records("breathing")
    assert record.data["answers"] == {"pattern": "box"}


def test_grounding_in_chinese(qtbot, page, store):
    page.set_lang("zh")
    page.start("grounding")
    assert page.runner.title.text() == "5-4-3-2-1 着陆练习"
    next_with(qtbot, page)
    assert page.runner.prompt.text() == "说出你能看到的 5 样东西。"
    assert page.runner.next_button.text() == "下一步"
    for answer in ("桌子、台灯、窗户、书、杯子", "椅子、衣服、风、地板", "空调声、鸟叫、键盘声", "茶香、洗衣液", "薄荷糖"):
        next_with(qtbot, page, answer)
    next_with(qtbot, page)
    [record] = store.list_exercise_records("grounding")
    assert record.data["lang"] == "zh" and record.data["answers"]["taste"] == "薄荷糖"
    assert page.closing.text().startswith("完成了")


def test_values_with_a_required_choice(qtbot, page, store):
    page.start("values")
    next_with(qtbot, page)
    for n in range(16):  # importance and how closely it was lived, for eight areas
        next_with(qtbot, page, scale=9 if n % 2 == 0 else 3)
    assert step_id(page) == "focus"
    next_with(qtbot, page)
    assert page.runner.error.text() == "Please pick one of the options shown."
    select_choice(page, "friendships")
    next_with(qtbot, page)
    next_with(qtbot, page, "A friend who shows up")
    next_with(qtbot, page, "Call Mei")
    next_with(qtbot, page, "Saturday morning")
    next_with(qtbot, page)
    [record] = store.list_exercise_records("values")
    answers = record.data["answers"]
    assert answers["focus"] == "friendships" and answers["family_importance"] == 9 and answers["action"] == "Call Mei"


def test_timed_steps_count_down_and_move_on(qtbot, page, store):
    page.speed = 2000
    page.start("body_scan")
    assert page.runner.countdown.isVisible() and "s left" in page.runner.countdown.text()
    with qtbot.waitSignal(page.record_saved, timeout=5000):
        pass  # 11 steps, 320 s in all
    assert store.list_exercise_records("body_scan")


def test_follows_the_chat_language(qtbot, store):
    page = ExercisesPage(Services.for_store(store), lang_provider=lambda: "zh")
    qtbot.addWidget(page)
    page.show()
    assert page.lang() == "zh"
    run = page.start("breathing")
    assert run.lang == "zh" and page.runner.next_button.text() == "下一步"


def test_locking_drops_a_run_in_progress(qtbot, page):
    page.start("thought_record")
    next_with(qtbot, page)
    type_text(page.runner.text_input, "private words")
    page.set_services(None)
    assert page.runner.run is None and page.runner.text_input.toPlainText() == ""
