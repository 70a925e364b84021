"""The exercises page: the list of guided exercises and a runner that walks through one.

The runner only shows what ``exercises.ExerciseRun`` says and feeds it the answers: validation,
order and the saved record all come from there, so the window and the tests follow the same rules.
Paced breathing is an animated circle that follows ``Exercise.schedule`` with a QTimer; timed
steps count down and move on by themselves. ``speed`` (1 = real time) speeds both up for tests.
Finished runs are kept through ``ExerciseLog``; the "Suggest exercises" box shows and sets the one
switch ``Suggestions`` keeps. Invariants: both are used on the UI thread only; a run is saved once,
when it completes.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Mapping

from PySide6.QtCore import QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSlider,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ..errors import EdgeCounselError
from ..services.suggestions import Suggestions
from ..services.exercises import (
    Exercise,
    ExerciseLog,
    ExerciseRun,
    InvalidAnswerError,
    Step,
    load_exercises,
    normalize_lang,
)

__all__ = ["ExercisesPage", "ExerciseRunner", "BreathingGuide"]

TICK_MS = 50
_TEXT = {
    "back": ("Back", "上一步"), "next": ("Next", "下一步"), "skip": ("Skip", "跳过"),
    "finish": ("Finish", "完成"), "again": ("Do it again", "再做一次"),
    "step": ("Step {n} of {total}", "第 {n} 步，共 {total} 步"),
    "left": ("{s} s left", "还剩 {s} 秒"),
    "done": ("Done, and saved. Thank you for taking this time for yourself.", "完成了，已保存。谢谢你花时间照顾自己。"),
    "change": ("The feeling you rated went from {before} to {after}.", "你评分的那种感受从 {before} 变成了 {after}。"),
    "not_saved": ("This run could not be saved: {error}", "这次练习没能保存：{error}"),
    "minutes": ("about {n} min", "约 {n} 分钟"),
}


def _t(key: str, lang: str, **fmt: Any) -> str:
    en, zh = _TEXT[key]
    return (zh if lang == "zh" else en).format(**fmt)


class _Ticker:
    """Seconds of exercise time that pass per QTimer tick: real time times ``speed``."""

    def __init__(self, owner: QWidget, on_tick: Callable[[float], None]) -> None:
        self.speed = 1.0
        self.timer = QTimer(owner, interval=TICK_MS)
        self.timer.timeout.connect(lambda: on_tick(TICK_MS / 1000 * self.speed))


class BreathingGuide(QWidget):
    """A circle that grows on the in-breath, holds, and shrinks on the out-breath."""

    phase_changed = Signal(str)  # phase label key ("inhale", "hold", "exhale")
    finished = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setMinimumSize(220, 220)
        self.schedule: list[tuple[str, int]] = []
        self.index, self.remaining, self.size_level, self._start_level = 0, 0.0, 0.0, 0.0
        self.label_of: Callable[[str], str] = str
        self.caption = QLabel(alignment=Qt.AlignCenter)
        self.caption.setStyleSheet("font-size: 16pt;")
        self._ticker = _Ticker(self, self._advance)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.caption)

    @property
    def running(self) -> bool:
        return self._ticker.timer.isActive()

    @property
    def phase(self) -> str | None:
        return self.schedule[self.index][0] if self.index < len(self.schedule) else None

    def start(self, schedule: list[tuple[str, int]], label_of: Callable[[str], str], speed: float = 1.0) -> None:
        self.schedule, self.label_of, self._ticker.speed = list(schedule), label_of, speed
        self.index, self.size_level, self._start_level = 0, 0.0, 0.0
        self.remaining = float(self.schedule[0][1])
        self._ticker.timer.start()
        self._show()
        self.phase_changed.emit(self.phase)

    def stop(self) -> None:
        self._ticker.timer.stop()

    def _advance(self, seconds: float) -> None:
        self.remaining -= seconds
        while self.remaining <= 0 and self.phase is not None:
            self._start_level = self._target_level()
            self.index += 1
            if self.phase is None:
                self.stop()
                self.finished.emit()
                return
            self.remaining += self.schedule[self.index][1]
            self.phase_changed.emit(self.phase)
        self._show()

    def _target_level(self) -> float:
        return {"inhale": 1.0, "exhale": 0.0}.get(self.phase, self._start_level)

    def _show(self) -> None:
        total = self.schedule[self.index][1]
        done = 1 - max(0.0, self.remaining) / total
        self.size_level = self._start_level + (self._target_level() - self._start_level) * done
        self.caption.setText(f"{self.label_of(self.phase)} · {math.ceil(max(0.0, self.remaining))}")
        self.update()

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt naming
        painter = QPainter(self)
        painter.setRenderHint(QPainter.Antialiasing)
        side = min(self.width(), self.height() - self.caption.height())
        radius = side / 2 * (0.35 + 0.6 * self.size_level)
        painter.setPen(Qt.NoPen)
        painter.setBrush(QColor(100, 181, 246, 160))
        painter.drawEllipse(QPointF(self.width() / 2, (self.height() - self.caption.height()) / 2), radius, radius)
        painter.end()


class _ChoiceList(QListWidget):
    """Choices of a step: one selectable item each, or checkable items for a multichoice step.
    A long explanation wraps, and the items are laid out again when the list's width changes."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent, wordWrap=True, resizeMode=QListWidget.Adjust)
        self.setSpacing(self.fontMetrics().height() // 4)

    def fill(self, step: Step, lang: str, value: Any) -> None:
        self.clear()
        multi = step.input == "multichoice"
        picked = set(value or ()) if multi else {value}
        for choice in step.choices:
            help_text = choice.text(lang, "help")
            item = QListWidgetItem(choice.text(lang) + (f"\n    {help_text}" if help_text else ""))
            item.setData(Qt.UserRole, choice.id)
            item.setToolTip(choice.text(lang, "example"))
            if multi:
                item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
                item.setCheckState(Qt.Checked if choice.id in picked else Qt.Unchecked)
            self.addItem(item)
            if not multi and choice.id in picked:
                self.setCurrentItem(item)

    def value(self, multi: bool) -> Any:
        items = [self.item(i) for i in range(self.count())]
        if multi:
            return [i.data(Qt.UserRole) for i in items if i.checkState() == Qt.Checked]
        current = self.currentItem()
        return current.data(Qt.UserRole) if current is not None and current.isSelected() else None


class _ScaleInput(QWidget):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.slider, self.spin = QSlider(Qt.Horizontal), QSpinBox()
        self.slider.valueChanged.connect(self.spin.setValue)
        self.spin.valueChanged.connect(self.slider.setValue)
        layout = QHBoxLayout(self)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.spin)

    def fill(self, step: Step, value: Any) -> None:
        for widget in (self.slider, self.spin):
            widget.setRange(step.min, step.max)
        self.spin.setValue(value if isinstance(value, int) else (step.min + step.max) // 2)

    def value(self) -> int:
        return self.spin.value()


class ExerciseRunner(QWidget):
    """Shows the current step of a run, takes its answer, and moves on."""

    completed = Signal(object)  # ExerciseRun

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.run: ExerciseRun | None = None
        self.speed = 1.0
        self.remaining = 0.0
        self._ticker = _Ticker(self, self._count_down)
        self._build()

    def _build(self) -> None:
        self.title, self.progress = QLabel(), QLabel()
        self.title.setStyleSheet("font-size: 15pt; font-weight: bold;")
        self.prompt, self.help = QLabel(wordWrap=True), QLabel(wordWrap=True)
        self.prompt.setStyleSheet("font-size: 12pt;")
        self.error = QLabel(wordWrap=True)
        self.error.setStyleSheet("color: #c62828;")
        self.countdown = QLabel()
        self.text_input, self.scale_input, self.choice_list = QPlainTextEdit(), _ScaleInput(), _ChoiceList()
        self.guide = BreathingGuide()
        self.guide.finished.connect(self._on_timed_out)
        self.inputs = QStackedWidget()
        for widget in (QWidget(), self.text_input, self.scale_input, self.choice_list, self.guide):
            self.inputs.addWidget(widget)
        layout = QVBoxLayout(self)
        for widget in (self.title, self.progress, self.prompt, self.help, self.countdown):
            layout.addWidget(widget)
        layout.addWidget(self.inputs, 1)
        layout.addWidget(self.error)
        layout.addLayout(self._buttons())

    def _buttons(self) -> QHBoxLayout:
        self.back_button = QPushButton(clicked=self.back)
        self.skip_button = QPushButton(clicked=self.skip)
        self.next_button = QPushButton(clicked=self.next)
        self.next_button.setDefault(True)
        row = QHBoxLayout()
        row.addWidget(self.back_button)
        row.addStretch(1)
        row.addWidget(self.skip_button)
        row.addWidget(self.next_button)
        return row

    # -- driving the run -----------------------------------------------------------------------

    def start(self, exercise: Exercise, lang: str, preset: Mapping[str, Any] | None = None) -> ExerciseRun:
        self.run = ExerciseRun(exercise, lang, defaults=preset)
        self.title.setText(exercise.text(self.run.lang))
        self.render()
        return self.run

    def stop(self) -> None:
        """Drop the run and clear what was typed."""
        self._stop_timers()
        self.run = None
        self.text_input.clear()

    def set_lang(self, lang: str) -> None:
        if self.run is not None and not self.run.is_complete:
            self.run.lang = normalize_lang(lang)
            self.title.setText(self.run.exercise.text(self.run.lang))
            self.render()

    def value(self) -> Any:
        """The answer the inputs hold for the current step."""
        step = self.run.current_step
        if step.input == "text":
            return self.text_input.toPlainText()
        if step.input == "scale":
            return self.scale_input.value()
        if step.input in ("choice", "multichoice"):
            return self.choice_list.value(step.input == "multichoice")
        return None

    def next(self) -> None:
        if self.run is None or self.run.is_complete:
            return
        try:
            self.run.answer(self.value())
        except InvalidAnswerError as error:
            self.error.setText(error.text(self.run.lang))
            return
        self._moved()

    def skip(self) -> None:
        if self.run is None or self.run.is_complete:
            return
        try:
            self.run.skip()
        except InvalidAnswerError as error:
            self.error.setText(error.text(self.run.lang))
            return
        self._moved()

    def back(self) -> None:
        if self.run is not None and self.run.can_go_back:
            self.run.back()
            self.render()

    def _moved(self) -> None:
        if self.run.is_complete:
            self._stop_timers()
            self.completed.emit(self.run)
        else:
            self.render()

    def _on_timed_out(self) -> None:
        if self.run is not None and not self.run.is_complete:
            self.run.answer(None)
            self._moved()

    # -- showing a step ------------------------------------------------------------------------

    def render(self) -> None:
        self._stop_timers()
        step, lang = self.run.current_step, self.run.lang
        done, total = self.run.progress
        self.progress.setText(_t("step", lang, n=done + 1, total=total))
        self.prompt.setText(step.text(lang))
        self.help.setText(step.text(lang, "help"))
        self.help.setVisible(bool(self.help.text()))
        self.error.clear()
        self._fill_input(step, lang)
        self.back_button.setText(_t("back", lang))
        self.back_button.setEnabled(self.run.can_go_back)
        self.skip_button.setText(_t("skip", lang))
        self.skip_button.setVisible(step.can_skip and step.input != "none")
        last = done + 1 == total
        self.next_button.setText(_t("finish" if last else "next", lang))
        self._start_timers(step)

    def _fill_input(self, step: Step, lang: str) -> None:
        value = self.run.current_value
        if step.display == "breathing_guide":
            self.inputs.setCurrentWidget(self.guide)
        elif step.input == "text":
            self.text_input.setPlainText(value or "")
            self.inputs.setCurrentWidget(self.text_input)
        elif step.input == "scale":
            self.scale_input.fill(step, value)
            self.inputs.setCurrentWidget(self.scale_input)
        elif step.input in ("choice", "multichoice"):
            self.choice_list.fill(step, lang, value)
            self.inputs.setCurrentWidget(self.choice_list)
        else:
            self.inputs.setCurrentIndex(0)

    def _start_timers(self, step: Step) -> None:
        self.countdown.hide()
        if step.display == "breathing_guide":
            exercise, lang = self.run.exercise, self.run.lang
            pattern = self.run.answers.get("pattern") or self.run.defaults.get("pattern") or exercise.patterns[0].id
            self.guide.start(exercise.schedule(pattern), lambda key: exercise.phase_label(key, lang), self.speed)
        elif step.seconds:
            self.remaining = float(step.seconds)
            self._ticker.speed = self.speed
            self._ticker.timer.start()
            self._show_countdown()

    def _stop_timers(self) -> None:
        self.guide.stop()
        self._ticker.timer.stop()

    def _count_down(self, seconds: float) -> None:
        self.remaining -= seconds
        if self.remaining <= 0:
            self._on_timed_out()
        else:
            self._show_countdown()

    def _show_countdown(self) -> None:
        self.countdown.setText(_t("left", self.run.lang, s=math.ceil(self.remaining)))
        self.countdown.show()


def closing_line(run: ExerciseRun) -> str:
    """A short line for the end of a run: thanks, and the change in feeling when there is one."""
    lines = [_t("done", run.lang)]
    change = run.exercise.change
    if change and run.answers.get(change["before"]) is not None and run.answers.get(change["after"]) is not None:
        lines.append(_t("change", run.lang, before=run.answers[change["before"]], after=run.answers[change["after"]]))
    return " ".join(lines) if run.lang == "en" else "".join(lines)


class ExercisesPage(QWidget):
    """The exercise list beside the runner; ``start()`` is public for chat and suggestions."""

    record_saved = Signal(object)  # the ExerciseRecord ExerciseLog.save returns

    def __init__(self, services=None, *, lang_provider: Callable[[], str] | None = None, speed: float = 1.0,
                 parent=None) -> None:
        super().__init__(parent)
        self.log: ExerciseLog | None = None
        self.suggestions: Suggestions | None = None
        self.lang_provider = lang_provider or (lambda: "en")
        self.exercises = load_exercises()
        self._build()
        self.speed = speed
        self.set_services(services)

    @property
    def speed(self) -> float:
        return self.runner.speed

    @speed.setter
    def speed(self, value: float) -> None:
        self.runner.speed = value

    def _build(self) -> None:
        self.lang_box = QComboBox()
        for key, label in (("follow", self.tr("Follow the chat")), ("en", "English"), ("zh", "中文")):
            self.lang_box.addItem(label, key)
        self.lang_box.currentIndexChanged.connect(self._on_lang)
        self.exercise_list = QListWidget(wordWrap=True, alternatingRowColors=True, resizeMode=QListWidget.Adjust)
        metrics = self.exercise_list.fontMetrics()
        self.exercise_list.setSpacing(metrics.height() // 3)  # room between one exercise and the next
        self.exercise_list.setMinimumWidth(metrics.averageCharWidth() * 56)  # a summary in two or three lines
        self.exercise_list.itemActivated.connect(lambda item: self.start(item.data(Qt.UserRole)))
        self.start_button = QPushButton(self.tr("Start"), clicked=self._start_selected)
        self.suggestions_box = QCheckBox(self.tr("Suggest exercises"))
        self.suggestions_box.toggled.connect(self._on_suggestions_toggled)
        self.runner = ExerciseRunner()
        self.runner.completed.connect(self._on_completed)
        self.closing = QLabel(wordWrap=True)
        self.closing.setStyleSheet("font-size: 12pt;")
        self.again_button = QPushButton(clicked=self._again)
        self.right = QStackedWidget()
        self.right.addWidget(QLabel(self.tr("Choose an exercise to begin."), alignment=Qt.AlignCenter))
        self.right.addWidget(self.runner)
        self.right.addWidget(self._closing_pane())
        splitter = QSplitter()
        splitter.addWidget(self._list_pane())
        splitter.addWidget(self.right)
        splitter.setStretchFactor(1, 2)
        QVBoxLayout(self).addWidget(splitter)

    def _list_pane(self) -> QWidget:
        pane = QWidget()
        layout = QVBoxLayout(pane)
        layout.addWidget(self.lang_box)
        layout.addWidget(self.exercise_list, 1)
        layout.addWidget(self.start_button)
        layout.addWidget(self.suggestions_box)
        return pane

    def _closing_pane(self) -> QWidget:
        pane = QWidget()
        layout = QVBoxLayout(pane)
        layout.addStretch(1)
        layout.addWidget(self.closing)
        layout.addWidget(self.again_button, 0, Qt.AlignLeft)
        layout.addStretch(1)
        return pane

    # -- language and list ---------------------------------------------------------------------

    def lang(self) -> str:
        choice = self.lang_box.currentData()
        return normalize_lang(self.lang_provider() if choice == "follow" else choice)

    def set_lang(self, lang: str) -> None:
        """Pin the page to "en" or "zh", or "follow" the chat."""
        self.lang_box.setCurrentIndex(max(0, self.lang_box.findData(lang)))

    def _on_lang(self, _index: int) -> None:
        self.fill_list()
        self.runner.set_lang(self.lang())

    def fill_list(self) -> None:
        lang, current = self.lang(), self.exercise_list.currentRow()
        self.exercise_list.clear()
        for exercise in self.exercises.values():
            meta = f"{_t('minutes', lang, n=exercise.minutes)} · {exercise.text(lang, 'basis')}"
            item = QListWidgetItem(f"{exercise.text(lang)}\n{exercise.text(lang, 'summary')}\n{meta}")
            item.setData(Qt.UserRole, exercise.id)
            self.exercise_list.addItem(item)
        self.exercise_list.setCurrentRow(max(0, current))

    def showEvent(self, event) -> None:  # noqa: N802 - Qt naming
        if self.lang_box.currentData() == "follow":
            self._on_lang(0)  # the chat's language may have changed
        self._sync_suggestions_box()  # the suggestion bar may have turned suggestions off
        super().showEvent(event)

    # -- runs ----------------------------------------------------------------------------------

    def start(self, exercise_id: str, preset: Mapping[str, Any] | None = None) -> ExerciseRun:
        """Begin ``exercise_id`` in the page's language, prefilled from ``preset`` (e.g. a pattern)."""
        exercise = self.exercises[exercise_id]
        self.exercise_list.setCurrentRow(list(self.exercises).index(exercise_id))
        self.right.setCurrentWidget(self.runner)
        return self.runner.start(exercise, self.lang(), preset)

    def _start_selected(self) -> None:
        item = self.exercise_list.currentItem()
        if item is not None:
            self.start(item.data(Qt.UserRole))

    def _again(self) -> None:
        run = self.runner.run
        if run is not None:
            self.start(run.exercise.id, run.defaults)

    def _on_completed(self, run: ExerciseRun) -> None:
        text = closing_line(run)
        if self.log is not None:
            try:
                self.record_saved.emit(self.log.save(run))
            except EdgeCounselError as error:
                text = _t("not_saved", run.lang, error=error)
        self.closing.setText(text)
        self.again_button.setText(_t("again", run.lang))
        self.right.setCurrentIndex(2)

    # -- services ------------------------------------------------------------------------------

    def set_services(self, services) -> None:
        """Use ``services``' exercise log and suggestions; None (locked) also drops a run in
        progress, answers and all."""
        self.log = services.exercises if services is not None else None
        self.suggestions = services.suggestions if services is not None else None
        if services is None:
            self.runner.stop()
            self.right.setCurrentIndex(0)
        self.fill_list()
        self._sync_suggestions_box()

    def _sync_suggestions_box(self) -> None:
        try:
            enabled = self.suggestions is None or self.suggestions.enabled
        except EdgeCounselError:
            return
        self.suggestions_box.blockSignals(True)
        self.suggestions_box.setChecked(bool(enabled))
        self.suggestions_box.blockSignals(False)

    def _on_suggestions_toggled(self, on: bool) -> None:
        try:
            if self.suggestions is not None:
                self.suggestions.set_enabled(on)
        except EdgeCounselError:
            self._sync_suggestions_box()
