"""The history service on a real encrypted store: what the history page and commands both use."""

from __future__ import annotations

import json
import stat

import pytest

from edge_counsel.errors import ConversationNotFoundError
from edge_counsel.services.history import History


@pytest.fixture
def talks(store):
    exam = store.create_conversation("Exam nerves", approach="cbt", lang="en")
    store.add_message(exam.id, "user", "I keep freezing in exams.")
    store.add_message(exam.id, "assistant", "What goes through your mind before exams?")
    room = store.create_conversation("")
    store.add_message(room.id, "user", "我和室友吵架了")
    return exam, room


def test_listing_is_newest_first_with_one_line_each(store, talks):
    exam, room = talks
    listing = History(store).listing()
    assert [conv.id for conv, _ in listing] == [room.id, exam.id]
    assert listing[0][1].endswith("(untitled)") and "2 messages" in listing[1][1]
    assert History(store).lines() == [line for _, line in listing]


def test_search_finds_each_conversation_once_and_skips_the_journal(store, talks):
    exam, _ = talks
    store.add_journal_entry("exams again")
    [(conv, snippet)] = History(store).search("exams")
    assert conv.id == exam.id and "exams" in snippet
    assert History(store).search("室友")[0][0].title == ""


def test_read_delete_and_unknown_ids(store, talks):
    exam, room = talks
    history = History(store)
    assert history.transcript_lines(exam.id)[0] == "user: I keep freezing in exams."
    history.delete(exam.id)
    with pytest.raises(ConversationNotFoundError):
        history.get(exam.id)
    assert [conv.id for conv in history.conversations()] == [room.id]


def test_export_writes_only_the_named_file_private(store, talks, tmp_path):
    exam, _ = talks
    folder = tmp_path / "exports"
    folder.mkdir()
    out = History(store).export(exam.id, folder / "talk.json")
    assert json.loads(out.read_text())["title"] == "Exam nerves"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600 and list(folder.iterdir()) == [out]


def test_erase_all_leaves_nothing(store, talks):
    store.add_journal_entry("private")
    store.save_safety_plan({"helpers": "Sam"})
    History(store).erase_all()
    assert store.list_conversations() == [] and store.list_journal_entries() == []
    assert store.get_safety_plan()["helpers"] == ""
