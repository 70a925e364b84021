"""Schema migrations: a blank store, a frozen v1 store migrated forward, and their bookkeeping."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
import sqlcipher3

from edge_counsel.store import migrations
from edge_counsel.errors import StoreTooNewError
from edge_counsel.store.database import Store, open_store

DATA = Path(__file__).resolve().parent / "data"
FROZEN_V1 = DATA / "store_v1.db"
# The key tests/data/store_v1.db was encrypted with. Test-only; never a real user's key.
V1_KEY = bytes.fromhex("5eed" * 16)
KEY = bytes(range(32))




EXPECTED_COLUMNS = {
    "conversations": ["id", "title", "approach", "lang", "created_at", "updated_at"],
    "messages": ["id", "conversation_id", "role", "content", "created_at", "flagged"],
    "journal_entries": ["id", "text", "created_at", "updated_at"],
    "journal_reflections": ["entry_id", "json", "created_at"],
    "mood_checkins": ["id", "score", "tags", "note", "created_at"],
    "exercise_records": ["id", "kind", "data", "completed_at"],
    "safety_plan": ["id", "json", "updated_at"],
    "settings_private": ["key", "value"],
    "migrations": ["name", "applied_at"],
}


def _names(conn, kind: str) -> set[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = ?", (kind,))
    return {name for (name,) in rows}


def _columns(conn, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]


def test_blank_store_gets_the_whole_schema(home):
    conn = open_store(home / "counsel.db", KEY)
    assert migrations.applied(conn) == ["m001_initial", "m002_search_index"]
    assert migrations.schema_version(conn) == 2
    for table, columns in EXPECTED_COLUMNS.items():
        assert _columns(conn, table) == columns, table
    assert {"messages_fts", "journal_fts"} <= _names(conn, "table")
    assert {"messages_by_conversation", "mood_by_time"} <= _names(conn, "index")
    triggers = {f"{fts}_{op}" for fts in ("messages_fts", "journal_fts") for op in ("ai", "ad", "au")}
    assert triggers == _names(conn, "trigger")
    fts_sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'messages_fts'").fetchone()[0]
    assert "trigram" in fts_sql
    conn.close()


def test_migrate_again_is_a_no_op(home):
    conn = open_store(home / "counsel.db", KEY)
    assert migrations.migrate(conn) == []
    assert migrations.pending(conn) == []
    conn.close()


def test_migrate_upto_stops_early():
    conn = sqlcipher3.connect(":memory:")
    assert migrations.migrate(conn, upto=1) == ["m001_initial"]
    assert migrations.pending(conn) == ["m002_search_index"]
    assert migrations.migrate(conn) == ["m002_search_index"]


def test_a_failing_migration_leaves_no_trace(monkeypatch):
    def m003_boom(conn):
        conn.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("boom")

    conn = sqlcipher3.connect(":memory:")
    migrations.migrate(conn)
    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, ("m003_boom", m003_boom)])
    with pytest.raises(RuntimeError):
        migrations.migrate(conn)
    assert "half_done" not in _names(conn, "table")
    assert migrations.applied(conn) == ["m001_initial", "m002_search_index"]


def test_registry_refuses_gaps_and_duplicates():
    def m001_again(conn):
        pass

    def m009_gap(conn):
        pass

    for fn in (m001_again, m009_gap):
        with pytest.raises(ValueError):
            migrations.migration(fn)
    assert [name for name, _ in migrations.MIGRATIONS] == ["m001_initial", "m002_search_index"]


def test_a_store_from_a_newer_version_is_refused(home):
    path = home / "counsel.db"
    conn = open_store(path, KEY)
    with conn:
        conn.execute("INSERT INTO migrations VALUES ('m999_future', '2099-01-01')")
    conn.close()
    with pytest.raises(StoreTooNewError, match="newer version"):
        open_store(path, KEY)


def test_frozen_v1_store_migrates_forward(home):
    path = home / "counsel.db"
    shutil.copyfile(FROZEN_V1, path)
    raw = sqlcipher3.connect(str(path))
    raw.execute(f"PRAGMA key = \"x'{V1_KEY.hex()}'\"")
    assert migrations.applied(raw) == ["m001_initial"]
    raw.close()

    with Store(open_store(path, V1_KEY)) as store:
        assert migrations.applied(store.conn) == ["m001_initial", "m002_search_index"]
        (conv,) = store.list_conversations()
        assert conv.title == "First steps"
        assert [m.content for m in store.list_messages(conv.id)] == [V1_MESSAGE]
        assert store.list_checkins()[0].tags == ("exam",)
        # m002 indexed the rows that existed before it.
        assert [hit.id for hit in store.search("焦虑")] == [1]
        assert [e.text for e in store.search_journal("library")] == [V1_JOURNAL]


V1_MESSAGE = "I felt anxious before the exam. 考试前我很焦虑。"
V1_JOURNAL = "Studied at the library; calmer afterwards."


def build_store_v1(path: Path) -> None:
    """How tests/data/store_v1.db was made (migration 1 only). Never regenerate a shipped file."""
    conn = sqlcipher3.connect(str(path))
    conn.execute(f"PRAGMA key = \"x'{V1_KEY.hex()}'\"")
    migrations.migrate(conn, upto=1)
    stamp = "2025-01-02T03:04:05.000000+00:00"
    with conn:
        conn.execute(
            "INSERT INTO conversations (title, approach, lang, created_at, updated_at)"
            " VALUES ('First steps', 'cbt', 'en', ?, ?)",
            (stamp, stamp),
        )
        conn.execute(
            "INSERT INTO messages (conversation_id, role, content, created_at) VALUES (1, 'user', ?, ?)",
            (V1_MESSAGE, stamp),
        )
        conn.execute(
            "INSERT INTO journal_entries (text, created_at, updated_at) VALUES (?, ?, ?)",
            (V1_JOURNAL, stamp, stamp),
        )
        conn.execute(
            "INSERT INTO mood_checkins (score, tags, note, created_at) VALUES (2, '[\"exam\"]', '', ?)",
            (stamp,),
        )
    conn.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
    conn.close()


if __name__ == "__main__" and sys.argv[1:] == ["--build-frozen-v1"]:
    build_store_v1(FROZEN_V1)
