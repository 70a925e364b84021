"""The mood log on a real encrypted store: what is added comes back, for the CLI and the statistics."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from edge_counsel.services.mood import MoodCheckin, MoodLog, weekly_summary


def test_add_then_read_back_as_rows_and_as_checkins(store):
    log = MoodLog(store)
    saved = log.add(2, ["anxious", "tired"], "exam tomorrow")
    log.add(4)
    [first, second] = log.rows()
    assert first.id == saved.id and (first.score, first.tags, first.note) == (2, ("anxious", "tired"), "exam tomorrow")
    assert second.score == 4
    checkins = log.checkins()
    assert all(isinstance(c, MoodCheckin) for c in checkins)
    assert checkins[0].tags == ("anxious", "tired") and checkins[0].created_at.tzinfo is not None
    assert "2 check-ins" in weekly_summary(checkins)


def test_since_filters_older_checkins(store):
    log = MoodLog(store)
    log.add(3)
    assert log.rows(since=datetime.now(timezone.utc) + timedelta(minutes=1)) == []
    assert len(log.checkins(since=datetime.now(timezone.utc) - timedelta(days=1))) == 1
