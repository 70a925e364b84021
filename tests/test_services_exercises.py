"""The exercise log on a real encrypted store: a finished run is kept as its record."""

from __future__ import annotations

from edge_counsel.services.exercises import ExerciseLog, ExerciseRun, get_exercise


def finished(exercise_id: str) -> ExerciseRun:
    run = ExerciseRun(get_exercise(exercise_id), "en")
    while not run.is_complete:
        if run.current_step.required:
            run.answer(_answer(run.current_step))
        else:
            run.skip()
    return run


def _answer(step):
    if step.input == "text":
        return "a thought"
    if step.input == "scale":
        return step.min
    if step.input in ("choice", "multichoice"):
        first = step.choices[0].id
        return first if step.input == "choice" else [first]
    return None


def test_save_keeps_the_runs_record_and_lists_newest_first(store):
    log = ExerciseLog(store)
    first = log.save(finished("grounding"))
    second = log.save(finished("breathing"))
    assert [r.id for r in log.records()] == [second.id, first.id]
    [kept] = log.records("grounding")
    assert kept.kind == "grounding" and kept.data["exercise_id"] == "grounding"
    assert kept.data["completed_at"] is not None
