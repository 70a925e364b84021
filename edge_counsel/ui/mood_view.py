"""The mood page: a check-in in a few seconds, and the trend drawn with QPainter.

A check-in is one click on an emoji, any number of tag chips, an optional one-line note, and Save.
Below it: average mood by week or by month, the current and longest streak, and the weekly summary
from ``mood.weekly_summary``. All statistics come from ``mood`` and the check-ins from its
``MoodLog``; this module only draws them. Invariant: the mood log is used on the UI thread only.
"""

from __future__ import annotations

from typing import Callable, Sequence

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QFont, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QButtonGroup,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ..errors import EdgeCounselError
from ..services.exercises import normalize_lang
from ..services.mood import (
    EMOJI_SCALE,
    EMOTION_TAGS,
    MoodCheckin,
    MoodLog,
    PeriodAverage,
    current_streak,
    level,
    longest_streak,
    monthly_averages,
    weekly_averages,
    weekly_summary,
)
from .appearance import mixed
from .translation import interface_language

__all__ = ["MoodPage", "MoodChart"]

NOTE_CHARS = 200


def _button_styles(palette: QPalette) -> tuple[str, str]:
    """The tag chips' and the emoji buttons' styles: a checked one is tinted with the palette's
    highlight and keeps the palette's text colour, readable in a light and a dark theme."""
    checked = mixed(palette.color(QPalette.Button), palette.color(QPalette.Highlight), 0.3).name()
    chip = ("QPushButton { border: 1px solid palette(mid); border-radius: 11px; padding: 3px 10px; }"
            f" QPushButton:checked {{ background: {checked}; border: 2px solid palette(highlight); }}")
    score = ("QPushButton { font-size: 28pt; padding: 6px; border: 2px solid transparent; border-radius: 10px; }"
             f" QPushButton:checked {{ border-color: palette(highlight); background: {checked}; }}")
    return chip, score


def _label(text) -> str:
    """A mood's or a tag's name in the interface language."""
    return text.zh if interface_language() == "zh" else text.en


class MoodChart(QWidget):
    """Average mood (1..5) per period as a line with dots; gaps where there were no check-ins."""

    MARGIN_LEFT, MARGIN = 40, 24

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.periods: list[PeriodAverage] = []
        self.mode = "week"
        self.setMinimumHeight(180)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)

    def set_periods(self, periods: Sequence[PeriodAverage], mode: str) -> None:
        self.periods, self.mode = list(periods), mode
        self.update()

    def points(self) -> list[QPointF | None]:
        """Where each period's average is drawn (None for a period without check-ins)."""
        plot = self._plot_rect()
        return [None if p.average is None else
                QPointF(self._x(plot, i), plot.bottom() - (p.average - 1) / 4 * plot.height())
                for i, p in enumerate(self.periods)]

    def _x(self, plot: QRectF, index: int) -> float:
        return plot.left() + index * plot.width() / max(1, len(self.periods) - 1)

    def _plot_rect(self) -> QRectF:
        return QRectF(self.MARGIN_LEFT, self.MARGIN / 2, self.width() - self.MARGIN_LEFT - self.MARGIN,
                      self.height() - self.MARGIN * 2)

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt naming
        painter = QPainter(self)
        painter.setRenderHint(QPainter.Antialiasing)
        painter.fillRect(self.rect(), self.palette().color(QPalette.Base))
        self._draw_grid(painter)
        self._draw_labels(painter)
        if any(p.average is not None for p in self.periods):
            self._draw_line(painter)
        else:
            self._draw_empty_note(painter)
        painter.end()

    def _draw_empty_note(self, painter: QPainter) -> None:
        """"No check-ins yet" in the middle, on the chart's background: the middle grid line runs
        behind the text and would otherwise strike it through."""
        painter.setFont(QFont(painter.font().family(), 11))
        text, plot = self.tr("No check-ins yet"), self._plot_rect()
        box = painter.boundingRect(plot, Qt.AlignCenter, text)
        pad = painter.fontMetrics().averageCharWidth()
        painter.fillRect(box.adjusted(-pad, -pad / 2, pad, pad / 2), self.palette().color(QPalette.Base))
        painter.setPen(self.palette().color(QPalette.Text))
        painter.drawText(plot, Qt.AlignCenter, text)

    def _draw_grid(self, painter: QPainter) -> None:
        plot = self._plot_rect()
        painter.setFont(QFont(painter.font().family(), 11))
        for mood in EMOJI_SCALE:
            y = plot.bottom() - (mood.score - 1) / 4 * plot.height()
            painter.setPen(QPen(self.palette().color(QPalette.Midlight), 1))
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(self.palette().color(QPalette.Text))
            painter.drawText(QRectF(0, y - 10, self.MARGIN_LEFT - 6, 20), Qt.AlignRight | Qt.AlignVCenter, mood.emoji)

    def _draw_labels(self, painter: QPainter) -> None:
        painter.setFont(QFont(painter.font().family(), 8))
        painter.setPen(self.palette().color(QPalette.Text))
        plot, fmt = self._plot_rect(), "%m-%d" if self.mode == "week" else "%Y-%m"
        for i, period in enumerate(self.periods):
            x = self._x(plot, i)
            painter.drawText(QRectF(x - 30, plot.bottom() + 4, 60, 16), Qt.AlignCenter, period.start.strftime(fmt))

    def _draw_line(self, painter: QPainter) -> None:
        painter.setPen(QPen(self.palette().color(QPalette.Highlight), 2))
        previous = None
        for point in self.points():
            if point is not None and previous is not None:
                painter.drawLine(previous, point)
            previous = point
        painter.setBrush(self.palette().color(QPalette.Highlight))
        for point in filter(None, self.points()):
            painter.drawEllipse(point, 4, 4)


class MoodPage(QWidget):
    """Check in, then see the trend."""

    checked_in = Signal(object)  # the stored check-in, as MoodLog.add returns it

    def __init__(self, services=None, *, lang_provider: Callable[[], str] | None = None, parent=None) -> None:
        super().__init__(parent)
        self.mood: MoodLog | None = None
        self.lang_provider = lang_provider or (lambda: "en")
        self._build()
        self.set_services(services)

    # -- layout --------------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<b>" + self.tr("How are you feeling right now?") + "</b>"))
        layout.addLayout(self._score_row())
        layout.addLayout(self._tag_grid())
        self.note = QLineEdit(placeholderText=self.tr("A short note, if you like"), maxLength=NOTE_CHARS)
        self.save_button = QPushButton(self.tr("Save check-in"), clicked=self.save, enabled=False)
        self.status = QLabel()
        row = QHBoxLayout()
        row.addWidget(self.note, 1)
        row.addWidget(self.save_button)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addLayout(self._mode_row())
        self.chart = MoodChart()
        self.streaks = QLabel()
        self.summary = QLabel(wordWrap=True)
        layout.addWidget(self.chart, 1)
        layout.addWidget(self.streaks)
        layout.addWidget(self.summary)
        self._style_buttons()

    def _style_buttons(self) -> None:
        chip, score = _button_styles(self.palette())
        for button in self.score_buttons:
            button.setStyleSheet(score)
        for chip_button in self.tag_chips.values():
            chip_button.setStyleSheet(chip)

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt naming
        super().changeEvent(event)
        if event.type() == QEvent.PaletteChange and hasattr(self, "tag_chips"):
            self._style_buttons()  # a theme change: tints that follow the new palette

    def _score_row(self) -> QHBoxLayout:
        self.score_group = QButtonGroup(self)
        self.score_buttons: list[QPushButton] = []
        row = QHBoxLayout()
        for mood in EMOJI_SCALE:
            button = QPushButton(mood.emoji, checkable=True, toolTip=_label(mood.label))
            button.setAccessibleName(_label(mood.label))
            self.score_group.addButton(button, mood.score)
            self.score_buttons.append(button)
            row.addWidget(button)
        self.score_group.idClicked.connect(lambda _score: self.save_button.setEnabled(True))
        row.addStretch(1)
        return row

    def _tag_grid(self) -> QGridLayout:
        grid = QGridLayout()
        self.tag_chips: dict[str, QPushButton] = {}
        for i, (tag, label) in enumerate(EMOTION_TAGS.items()):
            chip = QPushButton(_label(label), checkable=True)
            self.tag_chips[tag] = chip
            grid.addWidget(chip, i // 5, i % 5)
        return grid

    def _mode_row(self) -> QHBoxLayout:
        self.week_button = QRadioButton(self.tr("By week"), checked=True)
        self.month_button = QRadioButton(self.tr("By month"))
        self.week_button.toggled.connect(lambda _on: self.refresh())
        row = QHBoxLayout()
        row.addWidget(QLabel("<b>" + self.tr("Your mood over time") + "</b>"))
        row.addWidget(self.week_button)
        row.addWidget(self.month_button)
        row.addStretch(1)
        return row

    # -- check-in ------------------------------------------------------------------------------

    @property
    def score(self) -> int | None:
        return self.score_group.checkedId() if self.score_group.checkedId() > 0 else None

    def selected_tags(self) -> list[str]:
        return [tag for tag, chip in self.tag_chips.items() if chip.isChecked()]

    def save(self):
        """Save the check-in, reset the form and redraw; returns the check-in or None."""
        if self.mood is None or self.score is None:
            return None
        try:
            checkin = self.mood.add(self.score, self.selected_tags(), self.note.text().strip())
        except EdgeCounselError as error:
            self.status.setText(str(error))
            return None
        self._reset_form()
        self.status.setText(self.tr("Saved {emoji} — thank you for checking in.")
                            .format(emoji=level(checkin.score).emoji))
        self.refresh()
        self.checked_in.emit(checkin)
        return checkin

    def _reset_form(self) -> None:
        self.score_group.setExclusive(False)
        for button in self.score_buttons:
            button.setChecked(False)
        self.score_group.setExclusive(True)
        for chip in self.tag_chips.values():
            chip.setChecked(False)
        self.note.clear()
        self.save_button.setEnabled(False)

    # -- trend ---------------------------------------------------------------------------------

    def set_services(self, services) -> None:
        """Use ``services.mood`` (None while locked)."""
        self.mood = services.mood if services is not None else None
        self._reset_form()
        self.status.clear()
        self.refresh()

    def _checkins(self) -> list[MoodCheckin]:
        if self.mood is None:
            return []
        try:
            return self.mood.checkins()
        except EdgeCounselError as error:
            self.status.setText(str(error))
            return []

    def refresh(self) -> None:
        """Redraw the chart, the streaks and the summary from the saved check-ins."""
        checkins, lang = self._checkins(), normalize_lang(self.lang_provider())
        monthly = self.month_button.isChecked()
        periods = monthly_averages(checkins) if monthly else weekly_averages(checkins)
        self.chart.set_periods(periods, "month" if monthly else "week")
        now, best = current_streak(checkins), longest_streak(checkins)
        self.streaks.setText(self.tr("Current streak: {now} day(s) · Longest: {best} day(s)")
                             .format(now=now, best=best))
        self.summary.setText(weekly_summary(checkins, lang))

    def showEvent(self, event) -> None:  # noqa: N802 - Qt naming
        self.refresh()  # the chat's language, and the date, may have changed meanwhile
        super().showEvent(event)
