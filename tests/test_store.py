"""The encrypted store on real SQLCipher files: round trips, search, erasing, and no plaintext."""

from __future__ import annotations

import sqlite3
import stat
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from edge_counsel import paths
from edge_counsel.errors import (
    ConversationNotFoundError,
    JournalEntryNotFoundError,
    StoreLockedError,
)
from edge_counsel.store.database import SAFETY_PLAN_SECTIONS, Store, empty_safety_plan, open_store

KEY = bytes.fromhex("c0ffee" * 10 + "beef")


@pytest.fixture
def db_path() -> Path:
    return paths.data_dir() / "counsel.db"


@pytest.fixture
def store(db_path):
    with Store(open_store(db_path, KEY)) as opened:
        yield opened


def _reopen(store: Store) -> Store:
    store.close()
    return Store(open_store(store.path, KEY))


# Opening ----------------------------------------------------------------------------------------


def test_pragmas_and_file_mode(store, db_path):
    conn = store.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA cipher_memory_security").fetchone()[0] == "1"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600


def test_closed_store_is_locked(store):
    store.close()
    with pytest.raises(StoreLockedError):
        store.list_conversations()


# Conversations and messages ---------------------------------------------------------------------


def test_conversation_round_trip(store):
    first = store.create_conversation("Sleep", approach="cbt", lang="en")
    time.sleep(0.002)
    second = store.create_conversation("工作压力", lang="zh")
    store = _reopen(store)
    assert [c.id for c in store.list_conversations()] == [second.id, first.id]
    assert store.get_conversation(first.id) == first
    time.sleep(0.002)
    store.rename_conversation(first.id, "Sleep better")
    assert [c.title for c in store.list_conversations()] == ["Sleep better", "工作压力"]
    time.sleep(0.002)
    store.touch_conversation(second.id)
    assert store.list_conversations()[0].id == second.id
    store.delete_conversation(first.id)
    assert [c.id for c in store.list_conversations()] == [second.id]
    store.close()


@pytest.mark.parametrize("action", ["get", "rename", "touch", "delete", "add_message"])
def test_unknown_conversation_is_a_clear_error(store, action):
    calls = {
        "get": lambda: store.get_conversation(99),
        "rename": lambda: store.rename_conversation(99, "x"),
        "touch": lambda: store.touch_conversation(99),
        "delete": lambda: store.delete_conversation(99),
        "add_message": lambda: store.add_message(99, "user", "hi"),
    }
    with pytest.raises(ConversationNotFoundError, match="history list"):
        calls[action]()


def test_message_round_trip_and_regenerate(store):
    conv = store.create_conversation("Talk")
    store.add_message(conv.id, "user", "I can't sleep")
    reply = store.add_message(conv.id, "assistant", "That sounds exhausting.", flagged={"risk": "low"})
    store = _reopen(store)
    messages = store.list_messages(conv.id)
    assert [m.content for m in messages] == ["I can't sleep", "That sounds exhausting."]
    assert messages[1] == reply and messages[1].flagged == {"risk": "low"}
    assert store.get_conversation(conv.id).message_count == 2
    assert store.delete_last_assistant(conv.id) == reply
    assert store.delete_last_assistant(conv.id) is None  # the last message is now the user's
    assert [m.role for m in store.list_messages(conv.id)] == ["user"]
    store.close()


def test_flag_message_and_cascade_delete(store):
    conv = store.create_conversation()
    msg = store.add_message(conv.id, "user", "flag me, unmistakable")
    store.flag_message(msg.id, {"risk": "high", "guard": ["self-harm"]})
    assert store.list_messages(conv.id)[0].flagged == {"risk": "high", "guard": ["self-harm"]}
    store.delete_conversation(conv.id)
    assert store.list_messages(conv.id) == []
    assert store.search("unmistakable") == []  # the index forgot it with the cascade


def test_message_role_is_checked(store):
    conv = store.create_conversation()
    with pytest.raises(Exception, match="CHECK"):
        store.add_message(conv.id, "robot", "beep")
    assert store.list_messages(conv.id) == []


# Search -----------------------------------------------------------------------------------------


@pytest.fixture
def searchable(store):
    conv = store.create_conversation()
    store.add_message(conv.id, "user", "My anxiety spikes before presentations at work.")
    store.add_message(conv.id, "user", "我最近工作压力很大，晚上睡不着，很焦虑。")
    store.add_message(conv.id, "assistant", "Let's try a breathing exercise together.")
    store.add_journal_entry("Went for a walk; the anxiety eased a little.")
    store.add_journal_entry("今天和朋友聊天，心情好多了。")
    return store


@pytest.mark.parametrize(
    "query, expected",
    [
        ("anxiety", {"My anxiety spikes", "Went for a walk"}),
        ("ANXIETY work", {"My anxiety spikes"}),
        ("present", {"My anxiety spikes"}),  # substrings match too
        ("焦虑", {"我最近工作压力"}),  # a two-character word: shorter than a trigram
        ("压力很大", {"我最近工作压力"}),  # four characters: the trigram index
        ("朋友", {"今天和朋友聊天"}),
        ("心情 朋友", {"今天和朋友聊天"}),
        ("睡不着 anxiety", set()),
        ("100%", set()),  # LIKE wildcards are escaped
        ('"quoted', set()),
        ("   ", set()),
    ],
)
def test_search_english_and_chinese(searchable, query, expected):
    found = [_full_text(searchable, hit) for hit in searchable.search(query)]
    assert len(found) == len(expected)
    assert {prefix for prefix in expected for text in found if text.startswith(prefix)} == expected


def _full_text(store: Store, hit) -> str:
    if hit.kind == "journal":
        return store.get_journal_entry(hit.id).text
    return next(m.content for m in store.list_messages(hit.conversation_id) if m.id == hit.id)


def test_search_hits_say_where_they_are(searchable):
    hits = searchable.search("anxiety")
    assert [h.kind for h in hits] == ["journal", "message"]  # newest first
    assert hits[1].conversation_id is not None and hits[0].conversation_id is None
    assert searchable.search("焦虑")[0].snippet.startswith("我最近工作压力很大")


def test_search_follows_edits_and_deletes(store):
    entry = store.add_journal_entry("黄昏时分散步")
    assert [e.id for e in store.search_journal("散步")] == [entry.id]
    store.update_journal_entry(entry.id, "清晨跑步")
    assert store.search_journal("散步") == []
    assert [e.id for e in store.search_journal("跑步")] == [entry.id]
    store.delete_journal_entry(entry.id)
    assert store.search_journal("跑步") == []


# Journal, mood, exercises, safety plan, settings ------------------------------------------------


def test_journal_round_trip(store):
    first = store.add_journal_entry("Rough day.")
    time.sleep(0.002)
    second = store.add_journal_entry("Better today.")
    store = _reopen(store)
    assert [e.id for e in store.list_journal_entries()] == [second.id, first.id]
    updated = store.update_journal_entry(first.id, "Rough day, but I called my sister.")
    assert updated.text.endswith("sister.") and updated.updated_at > first.updated_at
    assert store.get_journal_entry(first.id) == updated
    store.save_reflection(first.id, {"themes": ["family"], "summary": "Reaching out helped."})
    assert store.get_reflection(first.id) == {"themes": ["family"], "summary": "Reaching out helped."}
    assert store.get_reflection(second.id) is None
    store.delete_journal_entry(first.id)
    assert store.get_reflection(first.id) is None  # reflections go with their entry
    with pytest.raises(JournalEntryNotFoundError):
        store.get_journal_entry(first.id)
    with pytest.raises(JournalEntryNotFoundError):
        store.save_reflection(first.id, {})
    store.close()


def test_mood_round_trip(store):
    early = store.add_checkin(2, ["tired", "work"], "long week")
    time.sleep(0.002)
    cut = datetime.now(timezone.utc)
    time.sleep(0.002)
    late = store.add_checkin(4)
    store = _reopen(store)
    assert store.list_checkins() == [early, late]
    assert store.list_checkins(since=cut) == [late]
    assert store.list_checkins(since=late.created_at) == [late]
    for bad in (0, 6, 3.5):
        with pytest.raises(ValueError):
            store.add_checkin(bad)
    store.close()


def test_exercise_round_trip(store):
    breath = store.save_exercise_record("box_breathing", {"rounds": 4})
    time.sleep(0.002)
    thought = store.save_exercise_record("thought_record", {"situation": "meeting", "belief": 70})
    store = _reopen(store)
    assert store.list_exercise_records() == [thought, breath]
    assert store.list_exercise_records("box_breathing") == [breath]
    store.close()


def test_safety_plan_round_trip(store):
    assert store.get_safety_plan() == empty_safety_plan()
    assert set(store.get_safety_plan()) == {*SAFETY_PLAN_SECTIONS, "trusted_contact"}
    plan = {
        "warning_signs": "Not sleeping\nPulling away from friends",
        "coping": "Walk the dog",
        "helpers": "李伟 555-0100",
        "trusted_contact": {"name": "Sam", "phone": "555-0199", "relationship": "brother"},
    }
    store.save_safety_plan(plan)
    store = _reopen(store)
    saved = store.get_safety_plan()
    assert {k: saved[k] for k in plan} == plan
    assert saved["professionals"] == "" and saved["reasons_for_living"] == ""
    store.close()


@pytest.mark.parametrize(
    "bad",
    [{"warnings_signs": ""}, {"coping": ["a list"]}, {"trusted_contact": {"email": "x"}}, {"trusted_contact": "Sam"}],
)
def test_safety_plan_refuses_what_it_would_lose(store, bad):
    with pytest.raises(ValueError):
        store.save_safety_plan(bad)
    assert store.get_safety_plan() == empty_safety_plan()


def test_private_settings_round_trip(store):
    assert store.get_private_setting("last_topic", "none") == "none"
    store.set_private_setting("last_topic", {"id": 3, "title": "失眠"})
    store.set_private_setting("last_topic", {"id": 4, "title": "工作"})
    store = _reopen(store)
    assert store.get_private_setting("last_topic") == {"id": 4, "title": "工作"}
    store.close()


# Erasing and plaintext --------------------------------------------------------------------------


def _fill(store: Store, text: str) -> None:
    conv = store.create_conversation(text)
    store.add_message(conv.id, "user", text, flagged={"note": text})
    entry = store.add_journal_entry(text)
    store.save_reflection(entry.id, {"summary": text})
    store.add_checkin(3, [text], text)
    store.save_exercise_record("grounding", {"note": text})
    store.save_safety_plan({"warning_signs": text, "trusted_contact": {"name": text}})
    store.set_private_setting("draft", text)


def test_erase_all_leaves_an_empty_store(store):
    _fill(store, "erase me please")
    store.erase_all()
    store = _reopen(store)
    assert store.list_conversations() == [] and store.list_journal_entries() == []
    assert store.list_checkins() == [] and store.list_exercise_records() == []
    assert store.get_safety_plan() == empty_safety_plan()
    assert store.get_private_setting("draft") is None
    assert store.search("erase") == []
    for table in ("messages", "journal_reflections", "sqlite_sequence"):
        assert store.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0
    assert store.create_conversation().id == 1
    store.close()


CANARY = "CANARY-f41c-秘密-plaintext"


def _raw_bytes(db_path: Path) -> bytes:
    files = [db_path] + [db_path.with_name(db_path.name + s) for s in ("-wal", "-shm", "-journal")]
    return b"".join(f.read_bytes() for f in files if f.exists())


def test_canary_check_would_notice_plaintext(tmp_path):
    plain = tmp_path / "plain.db"
    with sqlite3.connect(plain) as conn:
        conn.execute("CREATE TABLE t (x)")
        conn.execute("INSERT INTO t VALUES (?)", (CANARY,))
    assert CANARY.encode() in _raw_bytes(plain)


def test_no_plaintext_on_disk(store, db_path):
    _fill(store, CANARY)
    assert store.search(CANARY[:12])  # it is there, and indexed
    assert db_path.with_name("counsel.db-wal").exists()
    assert CANARY.encode() not in _raw_bytes(db_path)
    assert "秘密".encode() not in _raw_bytes(db_path)
    store.close()
    assert CANARY.encode() not in _raw_bytes(db_path)
    assert not [p.name for p in db_path.parent.iterdir() if not p.name.startswith("counsel.db")]
