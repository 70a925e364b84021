"""A counselor's listed hours: the simple forms an admin writes, and which moments they cover."""

from __future__ import annotations

import datetime as dt

import pytest

from edge_counsel.services.office_hours import on_duty, parse_hours

# 2025-06-02 is a Monday.
MON, WED, FRI, SAT, SUN = (dt.date(2025, 6, d) for d in (2, 4, 6, 7, 8))


def at(day: dt.date, hhmm: str) -> dt.datetime:
    hour, minute = map(int, hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(hour, minute))


@pytest.mark.parametrize("text, inside, outside", [
    ("08:00-16:00", [at(MON, "08:00"), at(SUN, "15:59")], [at(MON, "07:59"), at(MON, "16:00")]),
    ("Mon-Fri 08:00-16:00", [at(MON, "10:00"), at(FRI, "08:00")], [at(SAT, "10:00"), at(FRI, "16:30")]),
    ("Mon-Fri 8-16", [at(WED, "12:00")], [at(SUN, "12:00"), at(WED, "07:00")]),
    ("mon–fri 8:30–16", [at(MON, "08:30")], [at(MON, "08:29")]),
    ("Monday to Friday 9am-5pm", [at(FRI, "16:59")], [at(FRI, "17:00"), at(SAT, "10:00")]),
    ("Mon-Fri 8-4pm", [at(MON, "15:00")], [at(MON, "20:00")]),
    ("Mon, Wed 9:30-12", [at(WED, "11:00"), at(MON, "09:30")], [at(FRI, "10:00")]),
    ("Mon-Thu 8-16; Fri 8-12", [at(FRI, "11:00"), at(WED, "15:00")], [at(FRI, "13:00")]),
    ("Mon-Fri 08:00-12:00, 13:00-16:00", [at(MON, "13:30")], [at(MON, "12:30")]),
    ("Fri-Mon 10-14", [at(SAT, "12:00"), at(MON, "12:00")], [at(WED, "12:00")]),
    ("周一至周五 8:00-16:00", [at(WED, "09:00")], [at(SAT, "09:00")]),
    ("星期六 9-12", [at(SAT, "10:00")], [at(SUN, "10:00")]),
    ("Fri 22:00-02:00", [at(FRI, "23:00"), at(SAT, "01:00")], [at(SAT, "23:00"), at(FRI, "01:00")]),
])
def test_simple_forms_are_read(text, inside, outside):
    hours = parse_hours(text)
    assert hours is not None, text
    assert all(hours.covers(when) for when in inside) and not any(hours.covers(when) for when in outside)


@pytest.mark.parametrize("text", [None, "", "   ", "by appointment", "Mon-Fri", "after lunch 1-3",
                                  "Mon-Fri 8-25", "25:00-26:00", "8-8", "13pm-2pm", "Mon-Fri 8-16 except holidays"])
def test_hours_that_cannot_be_read_are_unknown_never_a_guess(text):
    assert parse_hours(text) is None and on_duty(text, at(WED, "10:00")) is None


def test_on_duty():
    assert on_duty("Mon-Fri 8-16", at(WED, "10:00")) is True
    assert on_duty("Mon-Fri 8-16", at(SAT, "10:00")) is False
