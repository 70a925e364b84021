"""A counselor's listed hours, read from the simple forms an admin writes, and whether they cover
a moment.

Forms read: "08:00-16:00" (every day), "Mon-Fri 08:00-16:00", "Mon-Fri 8-16", "Mon,Wed 9:30-12",
"Mon-Thu 8-16; Fri 8-12", "Mon-Fri 08:00-12:00, 13:00-16:00", "8am-4pm", and Chinese day names
("周一至周五 8:00-16:00", "星期六 9-12"). A range that ends before it starts runs past midnight.

Invariant: hours that cannot be read are ``None``, never a guess, so the kiosk says nothing
about whether the counselor is in (``on_duty`` gives None: unknown). No Qt, no clock of its own.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

__all__ = ["OfficeHours", "parse_hours", "on_duty"]

_EVERY_DAY = frozenset(range(7))
_DAYS_EN = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAYS_ZH = "一二三四五六日"
_DAY = r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?|(?:周|星期|礼拜)[一二三四五六日天])"
_TIME = r"(\d{1,2})(?:[:：.](\d{2}))?\s*(am|pm)?"
_TOKEN = re.compile(
    rf"(?P<time>{_TIME}\s*(?:-|–|—|~|～|to|至|到)\s*{_TIME})"
    rf"|(?P<days>{_DAY}(?:\s*(?:-|–|—|~|～|to|至|到)\s*{_DAY})?)"
    r"|(?P<sep>[\s,，、;；/&]+|and\b|和)",
    re.I)


@dataclass(frozen=True)
class OfficeHours:
    """Windows of (weekdays, from minute, to minute); weekday 0 is Monday."""

    windows: tuple[tuple[frozenset[int], int, int], ...]

    def covers(self, when: dt.datetime) -> bool:
        minute, day = when.hour * 60 + when.minute, when.weekday()
        for days, start, end in self.windows:
            if start < end and day in days and start <= minute < end:
                return True
            if start > end and ((day in days and minute >= start) or ((day - 1) % 7 in days and minute < end)):
                return True
        return False


def parse_hours(text: str | None) -> OfficeHours | None:
    """The hours in ``text``, or None when it is empty or not in a form read here."""
    text = (text or "").strip()
    windows, pos = [], 0
    days, last = _EVERY_DAY, None
    for match in _TOKEN.finditer(text):
        if match.start() != pos:
            return None  # something between the tokens that is neither a day nor a time
        pos = match.end()
        if match.group("days"):  # "Mon, Wed 9-12": days in a row join; after a time they start anew
            named = _days(match.group("days"))
            days, last = (days | named if last == "days" else named), "days"
        elif match.group("time"):
            window = _window(match)
            if window is None:
                return None
            windows.append((days, *window))
            last = "time"
    if pos != len(text) or not windows:
        return None
    return OfficeHours(tuple(windows))


def on_duty(hours_text: str | None, when: dt.datetime) -> bool | None:
    """Whether listed hours cover ``when``; None when there are none or they cannot be read."""
    hours = parse_hours(hours_text)
    return None if hours is None else hours.covers(when)


def _day(name: str) -> int:
    name = name.strip().lower().rstrip(".")
    if name[-1] in _DAYS_ZH + "天":
        return 6 if name[-1] in "日天" else _DAYS_ZH.index(name[-1])
    return _DAYS_EN.index(name[:3])


def _days(spec: str) -> frozenset[int]:
    names = re.findall(_DAY, spec, re.I)
    if len(names) == 1:
        return frozenset({_day(names[0])})
    first, last = _day(names[0]), _day(names[1])
    return frozenset((first + i) % 7 for i in range((last - first) % 7 + 1))


def _window(match: re.Match) -> tuple[int, int] | None:
    h1, m1, ap1, h2, m2, ap2 = match.group(2, 3, 4, 5, 6, 7)
    end = _minute(h2, m2, ap2)
    start = _minute(h1, m1, ap1 or ap2)
    if not ap1 and ap2 and start is not None and end is not None and start > end:
        start = _minute(h1, m1, "am")  # "8-4pm" is 8 am to 4 pm
    if start is None or end is None or start == end:
        return None
    return start, end


def _minute(hour: str, minute: str | None, half: str | None) -> int | None:
    h, m = int(hour), int(minute or 0)
    if half:
        if not 1 <= h <= 12:
            return None
        h = h % 12 + (12 if half.lower() == "pm" else 0)
    if h == 24 and m == 0:
        return 24 * 60
    return h * 60 + m if 0 <= h < 24 and 0 <= m < 60 else None
