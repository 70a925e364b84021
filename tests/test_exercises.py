"""Exercise content files and the ExerciseRun state machine."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import pytest

from edge_counsel.services.exercises import (
    EXERCISES_DIR,
    ContentError,
    ExerciseRun,
    ExerciseStateError,
    InvalidAnswerError,
    Text,
    breathing_schedule,
    get_exercise,
    load_exercises,
    normalize_lang,
    values_gaps,
)

EXPECTED = {"thought_record", "breathing", "grounding", "values", "muscle_relaxation", "body_scan"}
CJK = re.compile(r"[\u4e00-\u9fff]")
# Keys whose string values are identifiers or settings, never shown to the user.
NOT_SHOWN = {"id", "kind", "input", "phase", "display", "choices_from", "before", "after", "key"}


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


def _walk_strings(node, path=""):
    """Yield (path, string) for every string value outside an {en, zh} pair."""
    if isinstance(node, dict):
        if set(node) == {"en", "zh"}:
            return
        for key, value in node.items():
            if key not in NOT_SHOWN:
                yield from _walk_strings(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk_strings(value, f"{path}[{i}]")
    elif isinstance(node, str):
        yield path, node


def _pairs(node):
    if isinstance(node, dict):
        if set(node) == {"en", "zh"}:
            yield node
            return
        for value in node.values():
            yield from _pairs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _pairs(value)


@pytest.fixture
def clock():
    return FakeClock(datetime(2024, 3, 1, 9, 0).astimezone())


# ---------------------------------------------------------------- content


def test_all_exercise_files_load():
    exercises = load_exercises()
    assert set(exercises) == EXPECTED
    for exercise in exercises.values():
        assert exercise.minutes > 0 and exercise.steps
        assert exercise.basis.en.startswith("Based on") and exercise.basis.zh.startswith("参考")


@pytest.mark.parametrize("path", sorted(EXERCISES_DIR.glob("*.json")), ids=lambda p: p.stem)
def test_every_user_visible_string_is_bilingual(path):
    raw = json.loads(path.read_text(encoding="utf-8"))
    stray = [p for p, s in _walk_strings(raw) if not p.endswith("_comment")]
    assert stray == [], f"strings outside an en/zh pair: {stray}"
    pairs = list(_pairs(raw))
    assert len(pairs) >= 4
    for pair in pairs:
        assert pair["en"].strip() and not CJK.search(pair["en"]), pair
        assert CJK.search(pair["zh"]), pair


def test_thought_record_lists_twelve_distortions_with_explanations_and_examples():
    step = get_exercise("thought_record").step("distortions")
    assert step.input == "multichoice"
    ids = [c.id for c in step.choices]
    assert ids == ["all_or_nothing", "overgeneralisation", "mental_filter", "discounting_positive", "mind_reading",
                   "fortune_telling", "catastrophising", "emotional_reasoning", "should_statements", "labelling",
                   "personalisation", "blaming"]
    for choice in step.choices:
        for lang in ("en", "zh"):
            assert choice.text(lang) and choice.text(lang, "help") and choice.text(lang, "example")


def test_thought_record_order_and_scales():
    exercise = get_exercise("thought_record")
    order = [s.id for s in exercise.steps]
    assert order.index("situation") < order.index("automatic_thought") < order.index("emotion_before") \
        < order.index("distortions") < order.index("evidence_for") < order.index("evidence_against") \
        < order.index("balanced_thought") < order.index("emotion_after")
    for sid in ("emotion_before", "emotion_after"):
        assert (exercise.step(sid).min, exercise.step(sid).max) == (0, 100)


def test_grounding_counts_down_through_the_senses():
    steps = [s for s in get_exercise("grounding").steps if s.input == "text"]
    assert [(s.id, s.count) for s in steps] == [("see", 5), ("feel", 4), ("hear", 3), ("smell", 2), ("taste", 1)]


def test_values_rates_each_domain_twice_and_asks_for_one_action():
    exercise = get_exercise("values")
    domains = [c.id for c in exercise.step("focus").choices]
    assert {"family", "friendships", "study_work", "health", "growth", "leisure", "community"} <= set(domains)
    for domain in domains:
        for suffix in ("importance", "lived"):
            step = exercise.step(f"{domain}_{suffix}")
            assert (step.input, step.min, step.max) == ("scale", 0, 10)
    assert exercise.step("action").required


@pytest.mark.parametrize("exercise_id", ["muscle_relaxation", "body_scan"])
def test_timed_exercises_are_timed_and_their_minutes_add_up(exercise_id):
    exercise = get_exercise(exercise_id)
    assert exercise.kind == "timed"
    assert all(s.seconds and s.input == "none" for s in exercise.steps)
    assert abs(exercise.total_seconds / 60 - exercise.minutes) <= 1


def test_muscle_relaxation_tenses_about_five_and_releases_about_ten_seconds():
    steps = get_exercise("muscle_relaxation").steps
    tense = [s for s in steps if s.phase == "tense"]
    release = [s for s in steps if s.phase == "release"]
    assert len(tense) == len(release) >= 8
    assert all(4 <= s.seconds <= 7 for s in tense) and all(8 <= s.seconds <= 15 for s in release)


def test_loader_rejects_a_missing_translation(tmp_path):
    raw = json.loads((EXERCISES_DIR / "grounding.json").read_text(encoding="utf-8"))
    del raw["steps"][1]["prompt"]["zh"]
    (tmp_path / "grounding.json").write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(ContentError, match="see"):
        load_exercises(tmp_path)


def test_loader_rejects_a_scale_without_bounds(tmp_path):
    raw = json.loads((EXERCISES_DIR / "thought_record.json").read_text(encoding="utf-8"))
    del raw["steps"][4]["max"]
    (tmp_path / "thought_record.json").write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(ContentError, match="scale"):
        load_exercises(tmp_path)


def test_language_helpers():
    assert normalize_lang("zh-CN") == normalize_lang("zh_Hans") == "zh"
    assert normalize_lang("fr") == normalize_lang(None) == "en"
    assert Text("Hi", "你好").get("zh-TW") == "你好"
    step = get_exercise("grounding").step("see")
    assert step.text("zh") == "说出你能看到的 5 样东西。" and step.text("en", "help").startswith("Look around")


# ---------------------------------------------------------------- breathing


def test_box_breathing_schedule():
    assert breathing_schedule("box", 2) == [("inhale", 4), ("hold", 4), ("exhale", 4), ("hold", 4)] * 2


def test_478_schedule_uses_default_cycles():
    schedule = breathing_schedule("4-7-8")
    assert schedule[:3] == [("inhale", 4), ("hold", 7), ("exhale", 8)]
    assert len(schedule) == 3 * get_exercise("breathing").pattern("4-7-8").cycles
    assert sum(seconds for _, seconds in schedule) == 19 * 4


def test_every_phase_has_a_label_in_both_languages():
    exercise = get_exercise("breathing")
    keys = {key for p in exercise.patterns for key, _ in p.phases}
    assert keys == {"inhale", "hold", "exhale"}
    assert exercise.phase_label("inhale", "zh") == "吸气" and exercise.phase_label("exhale", "en") == "Breathe out"


@pytest.mark.parametrize("pattern,cycles", [("square", 2), ("box", 0), ("box", -1), ("box", 1.5)])
def test_breathing_schedule_rejects_bad_input(pattern, cycles):
    with pytest.raises((KeyError, ValueError)):
        breathing_schedule(pattern, cycles)


def test_breathing_pattern_step_offers_the_patterns(clock):
    run = ExerciseRun(get_exercise("breathing"), "zh", defaults={"pattern": "4-7-8"}, clock=clock)
    run.answer(None)
    assert run.current_step.id == "pattern"
    assert [c.id for c in run.current_step.choices] == ["box", "4-7-8"]
    assert run.current_value == "4-7-8"
    assert run.current_step.choice("box").text("zh").startswith("方块呼吸")
    run.answer("box")
    assert run.current_step.display == "breathing_guide"


# ---------------------------------------------------------------- a thought record, start to finish


def test_full_thought_record_run_with_validation(clock):
    run = ExerciseRun(get_exercise("thought_record"), "zh-CN", clock=clock)
    assert run.lang == "zh" and run.progress == (0, 10) and not run.can_go_back
    with pytest.raises(TypeError):
        run.answer("something")  # the intro takes no answer
    run.answer(None)

    with pytest.raises(InvalidAnswerError) as empty:
        run.answer("   ")
    assert empty.value.reason == "empty" and "写" in empty.value.text("zh")
    with pytest.raises(InvalidAnswerError):
        run.skip()  # the situation is required
    assert run.current_step.id == "situation"
    run.answer("  小组展示时我讲错了一个数据。 ")
    assert run.answers["situation"] == "小组展示时我讲错了一个数据。"

    run.answer("大家肯定觉得我很笨")
    run.answer("羞愧、焦虑")
    with pytest.raises(InvalidAnswerError) as out_of_range:
        run.answer(101)
    assert out_of_range.value.text("en") == "Please choose a number from 0 to 100."
    with pytest.raises(TypeError):
        run.answer("80")
    with pytest.raises(TypeError):
        run.answer(True)
    run.answer(80)

    with pytest.raises(InvalidAnswerError):
        run.answer(["mind_reading", "not_a_distortion"])
    run.answer(["labelling", "mind_reading", "mind_reading"])
    assert run.answers["distortions"] == ["mind_reading", "labelling"]  # list order, no duplicates

    run.skip()  # evidence for is optional
    assert "evidence_for" not in run.answers
    step = run.back()
    assert step.id == "evidence_for"
    run.answer("我确实讲错了一个数字。")
    run.answer("老师说整体结构很清楚；只有一个同学提了问题。")
    run.answer("我讲错了一个数字，但大部分内容讲得不错。")
    assert not run.is_complete and run.completed_at is None
    run.answer(45)

    assert run.is_complete and run.current_step is None and run.current_value is None
    with pytest.raises(ExerciseStateError):
        run.answer(10)
    record = run.record()
    assert json.loads(json.dumps(record, ensure_ascii=False)) == record
    assert record["exercise_id"] == "thought_record" and record["lang"] == "zh"
    assert record["emotion_change"] == 35
    assert record["answers"]["evidence_for"] == "我确实讲错了一个数字。"
    assert list(record["answers"])[0] == "situation"
    assert datetime.fromisoformat(record["completed_at"]) > datetime.fromisoformat(record["started_at"])


def test_back_from_complete_reopens_the_last_step_and_keeps_answers(clock):
    run = ExerciseRun(get_exercise("grounding"), clock=clock)
    for _ in run.exercise.steps:
        run.answer("blue mug, window" if run.current_step.input == "text" else None)
    assert run.is_complete
    run.back()
    assert not run.is_complete and run.record()["completed_at"] is None
    run.back()
    assert run.current_step.id == "taste" and run.current_value == "blue mug, window"


def test_back_at_first_step_fails_loudly(clock):
    run = ExerciseRun(get_exercise("body_scan"), clock=clock)
    with pytest.raises(ExerciseStateError):
        run.back()


def test_partial_record_has_no_emotion_change(clock):
    run = ExerciseRun(get_exercise("thought_record"), clock=clock)
    run.answer(None)
    run.answer("Exam results came out.")
    record = run.record()
    assert record["completed_at"] is None and record["emotion_change"] is None
    assert record["answers"] == {"situation": "Exam results came out."}


def test_choice_validation_in_values(clock):
    run = ExerciseRun(get_exercise("values"), clock=clock)
    while run.current_step.id != "focus":
        if run.current_step.input == "scale":
            run.answer(9 if run.current_step.id == "health_importance" else 5)
        else:
            run.answer(None)
    with pytest.raises(InvalidAnswerError) as bad:
        run.answer("money")
    assert bad.value.reason == "choice"
    with pytest.raises(InvalidAnswerError):
        run.skip()
    run.answer("health")
    assert values_gaps(run.answers)[0] == ("health", 4)
    run.skip()  # "what kind of person" is optional
    with pytest.raises(InvalidAnswerError):
        run.answer("")
    run.answer("Go for a 20-minute walk on Saturday morning.")
    assert "action" in run.record()["answers"]
