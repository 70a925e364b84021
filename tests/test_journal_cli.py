"""The journal and mood command functions, on a real encrypted store, with StringIO streams."""

from __future__ import annotations

import json
from io import StringIO

import pytest

from edge_counsel.cli import journal as journal_cli
from edge_counsel.errors import JournalEntryNotFoundError


class OneAnswer:
    """An engine that answers every prompt with one fixed text."""

    def __init__(self, text: str):
        self.text = text

    def stream_chat(self, messages, params, cancel=None):
        yield self.text


def test_add_then_list(store):
    out, err = StringIO(), StringIO()
    assert journal_cli.journal_add(store, "A calm day.\nWalked to the river.", out, err) == 0
    assert journal_cli.journal_add(store, "第二篇日记", out, err) == 0
    first, second = (int(line) for line in out.getvalue().split())
    assert err.getvalue() == ""
    listing = StringIO()
    assert journal_cli.journal_list(store, listing) == 0
    lines = listing.getvalue().splitlines()
    assert lines[0].startswith(f"{second}\t") and lines[0].endswith("第二篇日记")
    assert lines[1].startswith(f"{first}\t") and lines[1].endswith("A calm day.")


def test_empty_entry_is_refused(store):
    err = StringIO()
    assert journal_cli.journal_add(store, "   ", StringIO(), err) == journal_cli.EXIT_USAGE
    assert "empty" in err.getvalue() and store.list_journal_entries() == []


@pytest.mark.parametrize("text, hotline", [("I want to kill myself tonight.", "988"), ("我真的不想活了", "12356")])
def test_risky_entry_is_saved_and_prints_crisis_help(store, monkeypatch, text, hotline):
    monkeypatch.setenv("LANG", "zh_CN.UTF-8" if hotline == "12356" else "en_US.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    out, err = StringIO(), StringIO()
    assert journal_cli.journal_add(store, text, out, err) == 0
    assert store.get_journal_entry(int(out.getvalue())).text == text
    assert hotline in err.getvalue()
    assert hotline not in out.getvalue()


def test_reflect_prints_json_and_saves_it(store):
    entry_id = store.add_journal_entry("下周就要考试了，我睡不着。").id
    out = StringIO()
    answer = '{"themes": ["考试", "睡眠"], "tone": "紧张", "observation": "你似乎正被考试压着，也很疲惫。"}'
    assert journal_cli.journal_reflect(store, OneAnswer(answer), entry_id, True, out) == 0
    printed = json.loads(out.getvalue())
    assert printed["themes"] == ["考试", "睡眠"] and printed["tone"] == "紧张"
    assert printed["observation"] and printed["lang"] == "zh"
    assert store.get_reflection(entry_id)["tone"] == "紧张"


def test_reflect_as_text_says_so_when_the_model_gives_nothing_usable(store):
    entry_id = store.add_journal_entry("Work is stressful and my boss is unfair.").id
    out = StringIO()
    assert journal_cli.journal_reflect(store, OneAnswer("no idea"), entry_id, False, out) == 0
    assert out.getvalue().startswith("I could not reflect on this one") and "Themes" not in out.getvalue()


def test_a_risky_entry_gets_crisis_help_not_a_reflection(store):
    entry_id = store.add_journal_entry("I want to kill myself.").id
    out, err = StringIO(), StringIO()
    assert journal_cli.journal_reflect(store, OneAnswer('{"tone": "calm"}'), entry_id, True, out, err=err) == 0
    assert json.loads(out.getvalue()) == {"themes": [], "tone": "", "observation": "", "lang": "en", "crisis": True}
    assert err.getvalue() and store.get_reflection(entry_id) is None


def test_reflect_on_a_missing_entry_raises_the_user_error(store):
    with pytest.raises(JournalEntryNotFoundError):
        journal_cli.journal_reflect(store, OneAnswer("{}"), 99, True, StringIO())


def test_mood_add_and_list_json(store):
    out = StringIO()
    assert journal_cli.mood_add(store, 2, ["anxious", "压力大"], " before the exam ", out) == 0
    assert journal_cli.mood_add(store, 4, [], "", out) == 0
    listing = StringIO()
    assert journal_cli.mood_list(store, True, listing) == 0
    rows = json.loads(listing.getvalue())
    assert [r["score"] for r in rows] == [2, 4]
    assert rows[0]["tags"] == ["anxious", "stressed"] and rows[0]["note"] == "before the exam"
    assert set(rows[0]) == {"id", "score", "tags", "note", "created_at"}


def test_mood_list_as_text(store):
    journal_cli.mood_add(store, 5, ["happy"], "sunny", StringIO())
    listing = StringIO()
    journal_cli.mood_list(store, False, listing)
    assert "😄 5" in listing.getvalue() and "happy" in listing.getvalue()


@pytest.mark.parametrize("score", [0, 6, True, "3"])
def test_mood_score_out_of_range_is_a_clear_error(store, score):
    err = StringIO()
    assert journal_cli.mood_add(store, score, [], "", StringIO(), err) == journal_cli.EXIT_USAGE
    assert "1 (very low) to 5 (very good)" in err.getvalue()
    assert store.list_checkins() == []


def test_unknown_tag_lists_the_known_ones(store):
    err = StringIO()
    assert journal_cli.mood_add(store, 3, ["anxious", "grumpy"], "", StringIO(), err) == journal_cli.EXIT_USAGE
    message = err.getvalue()
    assert "grumpy" in message and "anxious (焦虑)" in message and "grateful" in message
    assert store.list_checkins() == []
