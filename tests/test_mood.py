"""Mood check-ins: scale, tags, averages, streaks and the weekly summary."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from edge_counsel.services.mood import (
    EMOJI_SCALE,
    EMOTION_TAGS,
    MoodCheckin,
    current_streak,
    daily_average,
    level,
    longest_streak,
    monthly_averages,
    tag_label,
    weekly_averages,
    weekly_summary,
)

CJK = re.compile(r"[\u4e00-\u9fff]")


def ci(day: date, score: int, *tags: str, hour: int = 12) -> MoodCheckin:
    return MoodCheckin(score, tags, "", datetime(day.year, day.month, day.day, hour))


def test_scale_and_tags_are_bilingual():
    assert [lvl.score for lvl in EMOJI_SCALE] == [1, 2, 3, 4, 5]
    assert len({lvl.emoji for lvl in EMOJI_SCALE}) == 5
    assert level(5).label.get("zh") == "很好" and level(1).label.get("en") == "Very low"
    assert list(EMOTION_TAGS) == ["anxious", "sad", "angry", "lonely", "tired", "stressed", "calm", "happy",
                                  "hopeful", "grateful"]
    assert all(CJK.search(label.zh) for label in EMOTION_TAGS.values())
    assert tag_label("anxious", "zh") == "焦虑" and tag_label("exam", "zh") == "exam"


@pytest.mark.parametrize("score", [0, 6, True, 2.5])
def test_checkin_rejects_scores_off_the_scale(score):
    with pytest.raises(ValueError):
        MoodCheckin(score)


def test_checkin_keeps_tags_as_a_tuple():
    assert MoodCheckin(3, ["calm"]).tags == ("calm",)


def test_from_stored_reads_the_stores_utc_strings():
    row = SimpleNamespace(id=7, score=2, tags=["anxious"], note=None, created_at="2024-02-29T23:30:00+00:00")
    checkin = MoodCheckin.from_stored(row)
    assert checkin.tags == ("anxious",) and checkin.note == ""
    assert checkin.day == datetime(2024, 2, 29, 23, 30, tzinfo=timezone.utc).astimezone().date()


def test_daily_average_groups_by_day():
    day = date(2024, 1, 31)
    checkins = [ci(day, 1, hour=8), ci(day, 4, hour=22), ci(day + timedelta(days=1), 5)]
    assert daily_average(checkins) == {day: 2.5, date(2024, 2, 1): 5.0}


def test_aware_times_are_taken_as_local_days():
    moment = datetime(2024, 5, 5, 12, 0).astimezone()
    assert MoodCheckin(3, created_at=moment).day == moment.date()


def test_weekly_averages_cross_a_month_boundary_in_a_leap_year():
    # The week of Monday 26 February 2024 runs to Sunday 3 March and includes 29 February.
    checkins = [ci(date(2024, 2, 25), 1), ci(date(2024, 2, 26), 2), ci(date(2024, 2, 29), 4, hour=9),
                ci(date(2024, 2, 29), 2, hour=21), ci(date(2024, 3, 3), 5)]
    weeks = weekly_averages(checkins, weeks=3, today=date(2024, 3, 3))
    assert [w.start for w in weeks] == [date(2024, 2, 12), date(2024, 2, 19), date(2024, 2, 26)]
    assert weeks[-1].end == date(2024, 3, 3)
    assert weeks[0].average is None and weeks[0].checkins == 0
    assert weeks[1].average == 1.0
    assert weeks[2].average == pytest.approx((2 + 3 + 5) / 3)  # each day counts once
    assert weeks[2].checkins == 4


def test_weekly_averages_default_to_eight_weeks_ending_this_week():
    weeks = weekly_averages([], today=datetime(2024, 3, 6, 23, 0))
    assert len(weeks) == 8 and weeks[-1].start == date(2024, 3, 4)


def test_monthly_averages_cross_a_year_boundary():
    checkins = [ci(date(2024, 11, 30), 2), ci(date(2024, 12, 1), 4), ci(date(2024, 12, 31), 2),
                ci(date(2025, 1, 1), 5), ci(date(2025, 1, 15), 3)]
    months = monthly_averages(checkins, months=3, today=date(2025, 1, 20))
    assert [(m.start, m.end) for m in months] == [(date(2024, 11, 1), date(2024, 11, 30)),
                                                  (date(2024, 12, 1), date(2024, 12, 31)),
                                                  (date(2025, 1, 1), date(2025, 1, 31))]
    assert [m.average for m in months] == [2.0, 3.0, 4.0]
    assert len(monthly_averages(checkins, today=date(2025, 1, 20))) == 6


def test_current_streak_across_a_month_boundary():
    checkins = [ci(date(2024, 1, 30), 3), ci(date(2024, 1, 31), 3), ci(date(2024, 1, 31), 4, hour=20),
                ci(date(2024, 2, 1), 2)]
    assert current_streak(checkins, today=date(2024, 2, 1)) == 3
    assert current_streak(checkins, today=date(2024, 2, 2)) == 3  # today not checked in yet
    assert current_streak(checkins, today=date(2024, 2, 3)) == 0
    assert current_streak([], today=date(2024, 2, 3)) == 0


def test_longest_streak_finds_the_longest_run():
    days = [date(2023, 12, 30), date(2023, 12, 31), date(2024, 1, 1), date(2024, 1, 2),
            date(2024, 1, 5), date(2024, 1, 6), date(2024, 3, 1)]
    checkins = [ci(d, 3) for d in days] + [ci(date(2024, 1, 1), 5, hour=7)]
    assert longest_streak(checkins) == 4
    assert longest_streak([]) == 0
    assert longest_streak([ci(date(2024, 2, 28), 3), ci(date(2024, 2, 29), 3), ci(date(2024, 3, 1), 3)]) == 3


# ---------------------------------------------------------------- weekly summary

TODAY = date(2024, 3, 3)


def _week_with_history():
    this_week = [ci(TODAY, 4, "calm"), ci(TODAY - timedelta(days=1), 3, "anxious", "tired"),
                 ci(TODAY - timedelta(days=2), 4, "anxious"), ci(TODAY - timedelta(days=6), 5, "happy", "anxious")]
    last_week = [ci(TODAY - timedelta(days=7), 2, "sad"), ci(TODAY - timedelta(days=10), 3)]
    return this_week + last_week


def test_weekly_summary_in_english():
    text = weekly_summary(_week_with_history(), "en", today=TODAY)
    assert "4 check-ins" in text and "4 different days" in text
    assert "4.0 out of 5" in text and "higher than the week before (2.5)" in text
    assert "anxious (3)" in text and text.index("anxious (3)") < text.index("calm (1)")
    assert "sad" not in text  # last week's tags are not this week's
    assert not CJK.search(text)


def test_weekly_summary_in_chinese():
    text = weekly_summary(_week_with_history(), "zh", today=TODAY)
    assert "记录了 4 次心情" in text and "4.0 分" in text and "比前一周（2.5 分）高一些" in text
    assert "焦虑（3 次）" in text
    assert "。过去" not in text and "。 " not in text and text.count("。") == 3  # joined without spaces


def test_weekly_summary_lower_and_same():
    lower = [ci(TODAY, 2), ci(TODAY - timedelta(days=8), 4)]
    same = [ci(TODAY, 3), ci(TODAY - timedelta(days=8), 3)]
    assert "lower than the week before (4.0)" in weekly_summary(lower, "en", today=TODAY)
    assert "about the same as the week before" in weekly_summary(same, "en", today=TODAY)
    assert "和前一周（3.0 分）差不多" in weekly_summary(same, "zh", today=TODAY)


def test_weekly_summary_without_data_is_gentle():
    old = [ci(TODAY - timedelta(days=20), 1, "sad")]
    for checkins in ([], old):
        assert "haven't checked in" in weekly_summary(checkins, "en", today=TODAY)
        assert "还没有记录心情" in weekly_summary(checkins, "zh", today=TODAY)


def test_weekly_summary_single_checkin_without_previous_week():
    text = weekly_summary([ci(TODAY, 2)], "en", today=TODAY)
    assert text == "You made one check-in in the past 7 days. Your average mood was 2.0 out of 5."


def test_weekly_summary_never_names_a_diagnosis():
    checkins = [ci(TODAY - timedelta(days=i), 1, "sad", "lonely") for i in range(14)]
    for lang in ("en", "zh"):
        text = weekly_summary(checkins, lang, today=TODAY).lower()
        for word in ("depress", "disorder", "抑郁", "障碍", "症"):
            assert word not in text
