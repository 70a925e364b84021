"""Guided self-help exercises: bilingual content loaded from data, and a run driven step by step.

The content lives in ``edge_counsel/data/exercises/*.json``, one file per exercise; this module
never hard-codes a user-visible sentence. Every user-visible string is a ``Text`` with both an
English and a Chinese version; loading fails loudly if either is missing.

``ExerciseRun`` is a plain state machine (no Qt, no clock of its own, no storage): the UI asks it
for ``current_step``, feeds it answers, and saves the finished run through ``ExerciseLog``, the one
class here that touches the store. Answers are validated here, so the UI and the tests exercise the
same rules. (Whether exercises are suggested is ``suggestions.Suggestions``' to keep, not this
module's.)
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from ..errors import EdgeCounselError
from ..paths import PACKAGE_DATA

if TYPE_CHECKING:  # the content and the runs need no database driver
    from ..store.database import ExerciseRecord, Store

__all__ = [
    "LANGS",
    "INPUTS",
    "KINDS",
    "normalize_lang",
    "Text",
    "Choice",
    "Step",
    "BreathingPattern",
    "Exercise",
    "ContentError",
    "InvalidAnswerError",
    "ExerciseStateError",
    "parse_exercise",
    "load_exercises",
    "get_exercise",
    "breathing_schedule",
    "values_gaps",
    "ExerciseRun",
    "ExerciseLog",
]

LANGS = ("en", "zh")
INPUTS = ("text", "scale", "choice", "multichoice", "none")
KINDS = ("form", "timed", "breathing")
EXERCISES_DIR = PACKAGE_DATA / "exercises"


def normalize_lang(lang: str | None) -> str:
    """'zh-CN', 'zh_Hans' -> 'zh'; anything unknown -> 'en'."""
    base = (lang or "en").replace("_", "-").split("-")[0].lower()
    return base if base in LANGS else "en"


class ContentError(ValueError):
    """A packaged content file (an exercise, the suggestion rules) is malformed: a packaging bug."""


class ExerciseStateError(RuntimeError):
    """An ExerciseRun method was called out of order (a caller bug)."""


_ANSWER_MESSAGES = {
    "empty": {"en": "Please write something here, or go back if you'd rather not.",
              "zh": "请在这里写点什么；如果暂时不想写，也可以返回上一步。"},
    "range": {"en": "Please choose a number from {min} to {max}.", "zh": "请选择 {min} 到 {max} 之间的数字。"},
    "choice": {"en": "Please pick one of the options shown.", "zh": "请从列出的选项中选择。"},
    "required": {"en": "This step is needed to finish the exercise.", "zh": "完成这个练习需要这一步。"},
}


class InvalidAnswerError(EdgeCounselError):
    """An answer does not fit its step (empty, out of range, not one of the choices)."""

    def __init__(self, reason: str, **params: Any) -> None:
        self.reason, self.params = reason, params
        super().__init__(self.text("en"))

    def text(self, lang: str) -> str:
        return _ANSWER_MESSAGES[self.reason][normalize_lang(lang)].format(**self.params)


@dataclass(frozen=True)
class Text:
    """One user-visible string in every supported language."""

    en: str
    zh: str

    def get(self, lang: str) -> str:
        return getattr(self, normalize_lang(lang))

    @classmethod
    def parse(cls, raw: Any, where: str) -> "Text":
        if not isinstance(raw, Mapping) or set(raw) != set(LANGS):
            raise ContentError(f"{where}: expected an object with exactly {LANGS}, got {raw!r}")
        if not all(isinstance(raw[k], str) and raw[k].strip() for k in LANGS):
            raise ContentError(f"{where}: every language needs a non-empty string")
        return cls(en=raw["en"], zh=raw["zh"])


def _opt_text(raw: Mapping, key: str, where: str) -> Text | None:
    return Text.parse(raw[key], f"{where}.{key}") if key in raw else None


def _text_of(obj: Any, lang: str, field_name: str) -> str:
    value = getattr(obj, field_name)
    return value.get(lang) if value is not None else ""


@dataclass(frozen=True)
class Choice:
    id: str
    label: Text
    help: Text | None = None
    example: Text | None = None

    def text(self, lang: str, field: str = "label") -> str:
        return _text_of(self, lang, field)

    @classmethod
    def parse(cls, raw: Mapping, where: str) -> "Choice":
        where = f"{where}.{raw.get('id')}"
        return cls(id=_require(raw, "id", str, where), label=Text.parse(raw.get("label"), f"{where}.label"),
                   help=_opt_text(raw, "help", where), example=_opt_text(raw, "example", where))


@dataclass(frozen=True)
class Step:
    """One screen of an exercise. ``seconds`` is set for timed steps; ``count`` hints how many
    answers a text step asks for (5-4-3-2-1); ``display`` names a special widget; ``phase`` is
    'tense' or 'release' in muscle relaxation."""

    id: str
    prompt: Text
    input: str = "none"
    help: Text | None = None
    required: bool = False
    min: int | None = None
    max: int | None = None
    choices: tuple[Choice, ...] = ()
    seconds: int | None = None
    count: int | None = None
    display: str | None = None
    phase: str | None = None

    def text(self, lang: str, field: str = "prompt") -> str:
        return _text_of(self, lang, field)

    def choice(self, choice_id: str) -> Choice:
        for choice in self.choices:
            if choice.id == choice_id:
                return choice
        raise KeyError(choice_id)

    @property
    def can_skip(self) -> bool:
        return not self.required


@dataclass(frozen=True)
class BreathingPattern:
    id: str
    label: Text
    help: Text | None
    cycles: int
    phases: tuple[tuple[str, int], ...]  # (phase label key, seconds)

    def text(self, lang: str, field: str = "label") -> str:
        return _text_of(self, lang, field)


@dataclass(frozen=True)
class Exercise:
    id: str
    kind: str
    title: Text
    summary: Text
    basis: Text
    minutes: int
    steps: tuple[Step, ...]
    patterns: tuple[BreathingPattern, ...] = ()
    phase_labels: Mapping[str, Text] = field(default_factory=dict)
    change: Mapping[str, str] | None = None  # {"before": step id, "after": step id, "key": record key}

    def text(self, lang: str, field: str = "title") -> str:
        return _text_of(self, lang, field)

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def pattern(self, pattern_id: str) -> BreathingPattern:
        for pattern in self.patterns:
            if pattern.id == pattern_id:
                return pattern
        known = ", ".join(p.id for p in self.patterns) or "none"
        raise KeyError(f"no breathing pattern {pattern_id!r} in {self.id} (known: {known})")

    def phase_label(self, key: str, lang: str) -> str:
        return self.phase_labels[key].get(lang)

    def schedule(self, pattern_id: str, cycles: int | None = None) -> list[tuple[str, int]]:
        pattern = self.pattern(pattern_id)
        cycles = pattern.cycles if cycles is None else cycles
        if not isinstance(cycles, int) or cycles < 1:
            raise ValueError(f"cycles must be a positive whole number, got {cycles!r}")
        return list(pattern.phases) * cycles

    @property
    def total_seconds(self) -> int:
        return sum(step.seconds or 0 for step in self.steps)


# ---------------------------------------------------------------- loading


def _require(raw: Mapping, key: str, kind: type | tuple, where: str) -> Any:
    value = raw.get(key)
    if not isinstance(value, kind) or isinstance(value, bool) and kind is int:
        raise ContentError(f"{where}: '{key}' is missing or not a {kind}")
    return value


def _parse_patterns(raw: Mapping, where: str) -> tuple[BreathingPattern, ...]:
    out = []
    for item in raw.get("patterns", ()):
        here = f"{where}.patterns.{item.get('id')}"
        phases = tuple((_require(p, "phase", str, here), _require(p, "seconds", int, here)) for p in item["phases"])
        out.append(BreathingPattern(id=_require(item, "id", str, here), label=Text.parse(item.get("label"), here),
                                    help=_opt_text(item, "help", here), cycles=_require(item, "cycles", int, here),
                                    phases=phases))
    return tuple(out)


def _parse_choices(raw: Mapping, patterns: tuple[BreathingPattern, ...], where: str) -> tuple[Choice, ...]:
    if raw.get("choices_from") == "patterns":
        return tuple(Choice(id=p.id, label=p.label, help=p.help) for p in patterns)
    return tuple(Choice.parse(c, where) for c in raw.get("choices", ()))


def _check_step(step: Step, where: str) -> None:
    if step.input not in INPUTS:
        raise ContentError(f"{where}: unknown input {step.input!r}")
    if step.input == "scale" and not (isinstance(step.min, int) and isinstance(step.max, int) and step.min < step.max):
        raise ContentError(f"{where}: a scale needs integer min < max")
    if step.input in ("choice", "multichoice") and not step.choices:
        raise ContentError(f"{where}: a {step.input} step needs choices")
    if len({c.id for c in step.choices}) != len(step.choices):
        raise ContentError(f"{where}: duplicate choice ids")


def _parse_step(raw: Mapping, patterns: tuple[BreathingPattern, ...], where: str) -> Step:
    where = f"{where}.steps.{raw.get('id')}"
    step = Step(id=_require(raw, "id", str, where), prompt=Text.parse(raw.get("prompt"), f"{where}.prompt"),
                input=raw.get("input", "none"), help=_opt_text(raw, "help", where),
                required=bool(raw.get("required", False)), min=raw.get("min"), max=raw.get("max"),
                choices=_parse_choices(raw, patterns, where), seconds=raw.get("seconds"),
                count=raw.get("count"), display=raw.get("display"), phase=raw.get("phase"))
    _check_step(step, where)
    return step


def _check_exercise(exercise: Exercise, where: str) -> None:
    if exercise.kind not in KINDS:
        raise ContentError(f"{where}: unknown kind {exercise.kind!r}")
    ids = [s.id for s in exercise.steps]
    if not ids or len(set(ids)) != len(ids):
        raise ContentError(f"{where}: steps must be present and have unique ids")
    if exercise.kind == "timed" and any(not isinstance(s.seconds, int) or s.seconds <= 0 for s in exercise.steps):
        raise ContentError(f"{where}: every step of a timed exercise needs positive 'seconds'")
    if exercise.kind == "breathing" and not exercise.patterns:
        raise ContentError(f"{where}: a breathing exercise needs patterns")
    missing = {key for p in exercise.patterns for key, _ in p.phases} - set(exercise.phase_labels)
    if missing:
        raise ContentError(f"{where}: no phase label for {sorted(missing)}")
    if exercise.change and not {exercise.change["before"], exercise.change["after"]} <= set(ids):
        raise ContentError(f"{where}: 'change' names steps that do not exist")


def parse_exercise(raw: Mapping, where: str = "exercise") -> Exercise:
    """Build an Exercise from its JSON object, checking every field; raises ContentError."""
    patterns = _parse_patterns(raw, where)
    labels = {k: Text.parse(v, f"{where}.phase_labels.{k}") for k, v in raw.get("phase_labels", {}).items()}
    exercise = Exercise(
        id=_require(raw, "id", str, where), kind=_require(raw, "kind", str, where),
        title=Text.parse(raw.get("title"), f"{where}.title"),
        summary=Text.parse(raw.get("summary"), f"{where}.summary"),
        basis=Text.parse(raw.get("basis"), f"{where}.basis"), minutes=_require(raw, "minutes", int, where),
        steps=tuple(_parse_step(s, patterns, where) for s in _require(raw, "steps", list, where)),
        patterns=patterns, phase_labels=labels, change=raw.get("change"))
    _check_exercise(exercise, where)
    return exercise


@functools.lru_cache(maxsize=4)
def _load_folder(folder: Path) -> tuple[Exercise, ...]:
    found = []
    for path in sorted(folder.glob("*.json")):
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ContentError(f"{path.name}: cannot read: {exc}") from exc
        exercise = parse_exercise(raw, path.name)
        if exercise.id != path.stem:
            raise ContentError(f"{path.name}: id {exercise.id!r} must match the file name")
        found.append(exercise)
    return tuple(found)


def load_exercises(folder: Path | None = None) -> dict[str, Exercise]:
    """All exercises by id, in file-name order. Files are read once per process."""
    return {e.id: e for e in _load_folder(Path(folder or EXERCISES_DIR))}


def get_exercise(exercise_id: str) -> Exercise:
    return load_exercises()[exercise_id]


def breathing_schedule(pattern: str, cycles: int | None = None) -> list[tuple[str, int]]:
    """The paced-breathing guide as (phase label key, seconds) pairs, for ``cycles`` rounds
    (the pattern's default when None). Label keys resolve with ``Exercise.phase_label``."""
    return get_exercise("breathing").schedule(pattern, cycles)


def values_gaps(answers: Mapping[str, Any]) -> list[tuple[str, int]]:
    """Life domains from a values run, largest (importance - lived) first: where a small step
    may matter most. Domains the person skipped are left out."""
    gaps = []
    for choice in get_exercise("values").step("focus").choices:
        importance, lived = answers.get(f"{choice.id}_importance"), answers.get(f"{choice.id}_lived")
        if importance is not None and lived is not None:
            gaps.append((choice.id, importance - lived))
    return sorted(gaps, key=lambda item: -item[1])


# ---------------------------------------------------------------- validation


def _check_text(step: Step, value: Any) -> str | None:
    if not isinstance(value, str):
        raise TypeError(f"step {step.id!r} takes text, got {type(value).__name__}")
    value = value.strip()
    if not value and step.required:
        raise InvalidAnswerError("empty")
    return value or None


def _check_scale(step: Step, value: Any) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"step {step.id!r} takes a whole number, got {type(value).__name__}")
    if not step.min <= value <= step.max:
        raise InvalidAnswerError("range", min=step.min, max=step.max)
    return value


def _check_choice(step: Step, value: Any) -> str:
    if value not in {c.id for c in step.choices}:
        raise InvalidAnswerError("choice")
    return value


def _check_multichoice(step: Step, value: Any) -> list[str] | None:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(f"step {step.id!r} takes a list of choice ids")
    picked = set(value)
    if not picked <= {c.id for c in step.choices}:
        raise InvalidAnswerError("choice")
    if not picked and step.required:
        raise InvalidAnswerError("required")
    return [c.id for c in step.choices if c.id in picked] or None


def _check_none(step: Step, value: Any) -> None:
    if value is not None:
        raise TypeError(f"step {step.id!r} takes no answer; call answer(None) to go on")
    return None


_CHECKS: dict[str, Callable[[Step, Any], Any]] = {
    "text": _check_text, "scale": _check_scale, "choice": _check_choice,
    "multichoice": _check_multichoice, "none": _check_none,
}


def _now() -> datetime:
    return datetime.now().astimezone()


class ExerciseRun:
    """One person going through one exercise, a step at a time.

    ``answer()`` validates, stores and moves on; ``skip()`` moves on without an answer (only for
    steps that are not required); ``back()`` returns to the previous step keeping its answer, so
    the UI can prefill it from ``current_value``. After the last step ``is_complete`` is true and
    ``current_step`` is None; ``back()`` from there reopens the last step.
    """

    def __init__(self, exercise: Exercise, lang: str = "en", *, defaults: Mapping[str, Any] | None = None,
                 clock: Callable[[], datetime] = _now) -> None:
        self.exercise = exercise
        self.lang = normalize_lang(lang)
        self.defaults = dict(defaults or {})  # e.g. {"pattern": "box"} from a suggestion's preset
        self.answers: dict[str, Any] = {}
        self.index = 0
        self._clock = clock
        self.started_at = clock()
        self.completed_at: datetime | None = None

    @property
    def current_step(self) -> Step | None:
        return None if self.is_complete else self.exercise.steps[self.index]

    @property
    def current_value(self) -> Any:
        """The stored answer for the current step, else its default, else None."""
        step = self.current_step
        return None if step is None else self.answers.get(step.id, self.defaults.get(step.id))

    @property
    def is_complete(self) -> bool:
        return self.index >= len(self.exercise.steps)

    @property
    def can_go_back(self) -> bool:
        return self.index > 0

    @property
    def progress(self) -> tuple[int, int]:
        """(steps done, steps in all), for a progress bar."""
        return self.index, len(self.exercise.steps)

    def _step_or_fail(self) -> Step:
        step = self.current_step
        if step is None:
            raise ExerciseStateError(f"the {self.exercise.id} run is already complete")
        return step

    def answer(self, value: Any = None) -> Any:
        """Validate ``value`` for the current step, store it and advance; returns the stored value.
        Raises InvalidAnswerError (show ``error.text(lang)``) and stays on the step if it does not fit."""
        step = self._step_or_fail()
        stored = _CHECKS[step.input](step, value)
        if stored is None:
            self.answers.pop(step.id, None)
        else:
            self.answers[step.id] = stored
        self._advance()
        return stored

    def skip(self) -> None:
        step = self._step_or_fail()
        if step.required:
            raise InvalidAnswerError("required")
        self.answers.pop(step.id, None)
        self._advance()

    def back(self) -> Step:
        if not self.can_go_back:
            raise ExerciseStateError("already at the first step")
        self.index -= 1
        self.completed_at = None
        return self.exercise.steps[self.index]

    def _advance(self) -> None:
        self.index += 1
        if self.is_complete:
            self.completed_at = self._clock()

    def record(self) -> dict[str, Any]:
        """A JSON-ready summary for the store; callable before completion to save a partial run."""
        out: dict[str, Any] = {
            "exercise_id": self.exercise.id,
            "lang": self.lang,
            "answers": {s.id: self.answers[s.id] for s in self.exercise.steps if s.id in self.answers},
            "started_at": self.started_at.isoformat(timespec="seconds"),
            "completed_at": self.completed_at.isoformat(timespec="seconds") if self.completed_at else None,
        }
        if self.exercise.change:
            out[self.exercise.change["key"]] = self._change()
        return out

    def _change(self) -> int | None:
        before = self.answers.get(self.exercise.change["before"])
        after = self.answers.get(self.exercise.change["after"])
        return None if before is None or after is None else before - after


class ExerciseLog:
    """Finished exercise runs in the store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def save(self, run: ExerciseRun) -> ExerciseRecord:
        """Keep ``run.record()`` under the exercise's id."""
        return self.store.save_exercise_record(run.exercise.id, run.record())

    def records(self, exercise_id: str | None = None) -> list[ExerciseRecord]:
        """Newest first; only ``exercise_id``'s when given."""
        return self.store.list_exercise_records(exercise_id)
