"""Mood check-ins: the emoji scale, emotion tags, pure statistics over a list of check-ins, and
``MoodLog``, the check-ins kept in the encrypted store.

Only ``MoodLog`` reads or writes storage (through an open Store, on the caller's thread).
``MoodCheckin`` is the store's record type, re-exported here so there is one check-in type: the
store hands check-ins in (or callers build them in memory) and the UI shows what comes back. A day is the local calendar day of ``created_at`` (aware datetimes
are converted to this computer's local time; naive ones are taken as local already). Each day
counts once in an average: the day's own mean comes first, so ten check-ins on one bad afternoon
do not outweigh the rest of the week. Summaries state facts gently and never name a diagnosis.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from statistics import fmean
from typing import TYPE_CHECKING, Iterable, NamedTuple, Sequence

from ..store.database import MoodCheckin, as_datetime, day_of
from .exercises import Text, normalize_lang

if TYPE_CHECKING:
    from ..store.database import Store

__all__ = [
    "MoodLog",
    "MoodCheckin",
    "MoodLevel",
    "PeriodAverage",
    "EMOJI_SCALE",
    "EMOTION_TAGS",
    "level",
    "tag_label",
    "as_datetime",
    "day_of",
    "daily_average",
    "weekly_averages",
    "monthly_averages",
    "current_streak",
    "longest_streak",
    "weekly_summary",
]


class MoodLevel(NamedTuple):
    score: int
    emoji: str
    label: Text


EMOJI_SCALE: tuple[MoodLevel, ...] = (
    MoodLevel(1, "😞", Text("Very low", "很低落")),
    MoodLevel(2, "🙁", Text("Low", "有点低落")),
    MoodLevel(3, "😐", Text("Okay", "一般")),
    MoodLevel(4, "🙂", Text("Good", "不错")),
    MoodLevel(5, "😄", Text("Very good", "很好")),
)

EMOTION_TAGS: dict[str, Text] = {
    "anxious": Text("anxious", "焦虑"),
    "sad": Text("sad", "难过"),
    "angry": Text("angry", "生气"),
    "lonely": Text("lonely", "孤单"),
    "tired": Text("tired", "疲惫"),
    "stressed": Text("stressed", "压力大"),
    "calm": Text("calm", "平静"),
    "happy": Text("happy", "开心"),
    "hopeful": Text("hopeful", "充满希望"),
    "grateful": Text("grateful", "感恩"),
}


class MoodLog:
    """Check-ins in the store: add them, and read them back for the CLI or the statistics."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, score: int, tags: Sequence[str] = (), note: str = "") -> MoodCheckin:
        """Save a check-in (score 1..5); returns it as stored, with its id."""
        return self.store.add_checkin(score, tags, note)

    def rows(self, since: datetime | None = None) -> list[MoodCheckin]:
        """Check-ins as stored (with ids and ISO 8601 times), oldest first; at or after ``since``."""
        return self.store.list_checkins(since=since)

    def checkins(self, since: datetime | None = None) -> list[MoodCheckin]:
        """As ``rows``, with datetimes, as the statistics take them."""
        return [MoodCheckin.from_stored(row) for row in self.rows(since)]


class PeriodAverage(NamedTuple):
    start: date
    end: date  # inclusive
    average: float | None  # mean of daily averages; None when there were no check-ins
    checkins: int


def level(score: int) -> MoodLevel:
    return EMOJI_SCALE[score - 1]


def tag_label(tag: str, lang: str) -> str:
    """The tag's label in ``lang``; a tag outside EMOTION_TAGS is shown as written."""
    return EMOTION_TAGS[tag].get(lang) if tag in EMOTION_TAGS else tag


def _as_date(today: date | datetime | None) -> date:
    if today is None:
        return date.today()
    return day_of(today) if isinstance(today, datetime) else today


def daily_average(checkins: Iterable[MoodCheckin]) -> dict[date, float]:
    """Mean score per day, oldest day first."""
    by_day: dict[date, list[int]] = {}
    for checkin in checkins:
        by_day.setdefault(checkin.day, []).append(checkin.score)
    return {day: fmean(by_day[day]) for day in sorted(by_day)}


def _period(checkins: Sequence[MoodCheckin], daily: dict[date, float], start: date, end: date) -> PeriodAverage:
    days = [avg for day, avg in daily.items() if start <= day <= end]
    count = sum(1 for c in checkins if start <= c.day <= end)
    return PeriodAverage(start, end, fmean(days) if days else None, count)


def weekly_averages(checkins: Iterable[MoodCheckin], weeks: int = 8,
                    today: date | datetime | None = None) -> list[PeriodAverage]:
    """Averages for the last ``weeks`` calendar weeks (Monday to Sunday), oldest first; the last
    one is the week containing ``today``."""
    checkins = list(checkins)
    daily = daily_average(checkins)
    monday = _as_date(today) - timedelta(days=_as_date(today).weekday())
    starts = [monday - timedelta(weeks=n) for n in reversed(range(weeks))]
    return [_period(checkins, daily, s, s + timedelta(days=6)) for s in starts]


def _month_start(day: date, back: int) -> date:
    """The first day of the month ``back`` months before ``day``'s (negative: after)."""
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def monthly_averages(checkins: Iterable[MoodCheckin], months: int = 6,
                     today: date | datetime | None = None) -> list[PeriodAverage]:
    """Averages for the last ``months`` calendar months, oldest first, ending with this month."""
    checkins = list(checkins)
    daily, day = daily_average(checkins), _as_date(today)
    starts = [_month_start(day, n) for n in reversed(range(months))]
    return [_period(checkins, daily, s, _month_start(s, -1) - timedelta(days=1)) for s in starts]


def current_streak(checkins: Iterable[MoodCheckin], today: date | datetime | None = None) -> int:
    """Consecutive days with a check-in ending today, or ending yesterday when today has none
    yet (a streak is not lost before the day is over)."""
    days = {c.day for c in checkins}
    day = _as_date(today)
    if day not in days:
        day -= timedelta(days=1)
    streak = 0
    while day in days:
        streak, day = streak + 1, day - timedelta(days=1)
    return streak


def longest_streak(checkins: Iterable[MoodCheckin]) -> int:
    best = run = 0
    previous: date | None = None
    for day in sorted({c.day for c in checkins}):
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        best, previous = max(best, run), day
    return best


# ---------------------------------------------------------------- weekly summary

_SUMMARY = {
    "none": Text("You haven't checked in during the past 7 days. "
                 "Whenever you're ready, a check-in takes only a few seconds.",
                 "过去 7 天你还没有记录心情。什么时候想记录都可以，只需要几秒钟。"),
    "count_one": Text("You made one check-in in the past 7 days.", "过去 7 天你记录了 1 次心情。"),
    "count": Text("You made {n} check-ins in the past 7 days, on {days} different days.",
                  "过去 7 天你记录了 {n} 次心情，分布在 {days} 天里。"),
    "count_same_day": Text("You made {n} check-ins in the past 7 days, all on the same day.",
                           "过去 7 天你记录了 {n} 次心情，都在同一天。"),
    "average": Text("Your average mood was {avg} out of 5.", "平均心情是 {avg} 分（满分 5 分）。"),
    "same": Text("Your average mood was {avg} out of 5, about the same as the week before ({prev}).",
                 "平均心情是 {avg} 分（满分 5 分），和前一周（{prev} 分）差不多。"),
    "higher": Text("Your average mood was {avg} out of 5, higher than the week before ({prev}).",
                   "平均心情是 {avg} 分（满分 5 分），比前一周（{prev} 分）高一些。"),
    "lower": Text("Your average mood was {avg} out of 5, lower than the week before ({prev}).",
                  "平均心情是 {avg} 分（满分 5 分），比前一周（{prev} 分）低一些。"),
    "tags": Text("The feelings you tagged most: {tags}.", "最常标记的感受：{tags}。"),
    "tag_item": Text("{label} ({n})", "{label}（{n} 次）"),
    "tag_sep": Text(", ", "、"),
}
_SAME_WITHIN = 0.25  # differences smaller than this read as "about the same"


def _count_sentence(week: list[MoodCheckin], lang: str) -> str:
    n, days = len(week), len({c.day for c in week})
    key = "count_one" if n == 1 else "count" if days > 1 else "count_same_day"
    return _SUMMARY[key].get(lang).format(n=n, days=days)


def _average_sentence(this: float, previous: float | None, lang: str) -> str:
    if previous is None:
        key = "average"
    elif abs(this - previous) < _SAME_WITHIN:
        key = "same"
    else:
        key = "higher" if this > previous else "lower"
    return _SUMMARY[key].get(lang).format(avg=f"{this:.1f}", prev=f"{previous or 0:.1f}")


def _top_tags(week: list[MoodCheckin], lang: str, limit: int = 3) -> str:
    order = {tag: i for i, tag in enumerate(EMOTION_TAGS)}
    counts = Counter(tag for c in week for tag in dict.fromkeys(c.tags))
    top = sorted(counts.items(), key=lambda kv: (-kv[1], order.get(kv[0], len(order)), kv[0]))[:limit]
    if not top:
        return ""
    items = [_SUMMARY["tag_item"].get(lang).format(label=tag_label(t, lang), n=n) for t, n in top]
    return _SUMMARY["tags"].get(lang).format(tags=_SUMMARY["tag_sep"].get(lang).join(items))


def weekly_summary(checkins: Iterable[MoodCheckin], lang: str = "en", today: date | datetime | None = None) -> str:
    """A few factual sentences about the past 7 days (today included) against the 7 before:
    how often, the average mood, the most frequent tags."""
    lang, day, checkins = normalize_lang(lang), _as_date(today), list(checkins)
    daily = daily_average(checkins)
    this = _period(checkins, daily, day - timedelta(days=6), day)
    if not this.checkins:
        return _SUMMARY["none"].get(lang)
    prev = _period(checkins, daily, day - timedelta(days=13), day - timedelta(days=7))
    week = [c for c in checkins if this.start <= c.day <= this.end]
    parts = [_count_sentence(week, lang), _average_sentence(this.average, prev.average, lang), _top_tags(week, lang)]
    return ("" if lang == "zh" else " ").join(p for p in parts if p)
