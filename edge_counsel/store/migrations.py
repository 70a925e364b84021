"""Numbered schema migrations for the encrypted store.

Invariants:
- Migrations run in the order their numbers give, each exactly once, and each one commits together
  with its row in the ``migrations`` table in ONE transaction: a crash leaves either both or
  neither.
- A migration that has shipped is never edited; a schema change is a new, higher-numbered
  function.
- Nothing in this module writes plaintext user content to disk: it only runs SQL on a connection
  that ``store.open_store`` has already keyed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timezone

from ..errors import StoreTooNewError

__all__ = ["MIGRATIONS", "migration", "migrate", "applied", "pending", "schema_version"]

Migration = Callable[[object], None]
MIGRATIONS: list[tuple[str, Migration]] = []
_NAME = re.compile(r"^m(\d{3})_\w+$")


def migration(fn: Migration) -> Migration:
    """Register ``fn`` (named ``mNNN_what``) as the next migration; refuse gaps and duplicates."""
    match = _NAME.match(fn.__name__)
    if not match or int(match.group(1)) != len(MIGRATIONS) + 1:
        raise ValueError(f"migration {fn.__name__!r} must be named m{len(MIGRATIONS) + 1:03d}_...")
    MIGRATIONS.append((fn.__name__, fn))
    return fn


def _ensure_table(conn) -> None:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS migrations ("
        " name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
    )


def applied(conn) -> list[str]:
    """Names of the migrations recorded in this database, oldest first."""
    _ensure_table(conn)
    return [row[0] for row in conn.execute("SELECT name FROM migrations ORDER BY name")]


def pending(conn) -> list[str]:
    done = set(applied(conn))
    return [name for name, _ in MIGRATIONS if name not in done]


def schema_version(conn) -> int:
    """The number of the newest migration applied (0 for a blank database)."""
    names = applied(conn)
    return int(_NAME.match(names[-1]).group(1)) if names else 0


def _refuse_newer(conn) -> None:
    known = {name for name, _ in MIGRATIONS}
    unknown = [name for name in applied(conn) if name not in known]
    if unknown:
        raise StoreTooNewError(
            "Your store was last used by a newer version of Edge Counsel "
            f"(it has {', '.join(unknown)}). Update Edge Counsel to open it."
        )


def _apply_one(conn, name: str, fn: Migration) -> bool:
    """Run one migration and record it in a single transaction; False if another process won."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        if conn.execute("SELECT 1 FROM migrations WHERE name = ?", (name,)).fetchone():
            conn.rollback()
            return False
        fn(conn)
        stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
        conn.execute("INSERT INTO migrations (name, applied_at) VALUES (?, ?)", (name, stamp))
        conn.commit()
        return True
    except BaseException:
        conn.rollback()
        raise


def migrate(conn, upto: int | None = None) -> list[str]:
    """Apply pending migrations (those numbered <= ``upto`` when given); return their names."""
    _refuse_newer(conn)
    todo = set(pending(conn))
    done = []
    for number, (name, fn) in enumerate(MIGRATIONS, start=1):
        if name in todo and (upto is None or number <= upto) and _apply_one(conn, name, fn):
            done.append(name)
    return done


def _run(conn, *statements: str) -> None:
    # One statement per execute(): executescript() would COMMIT and split the transaction.
    for sql in statements:
        conn.execute(sql)


# --- Shipped migrations: never edit these, add a new one below. -------------------------------


@migration
def m001_initial(conn) -> None:
    _run(
        conn,
        """CREATE TABLE conversations (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            title TEXT NOT NULL DEFAULT '',
            approach TEXT NOT NULL DEFAULT '',
            lang TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL)""",
        """CREATE TABLE messages (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
            content TEXT NOT NULL,
            created_at TEXT NOT NULL,
            flagged TEXT CHECK (flagged IS NULL OR json_valid(flagged)))""",
        "CREATE INDEX messages_by_conversation ON messages (conversation_id, id)",
        """CREATE TABLE journal_entries (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            text TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL)""",
        """CREATE TABLE journal_reflections (
            entry_id INTEGER PRIMARY KEY REFERENCES journal_entries(id) ON DELETE CASCADE,
            json TEXT NOT NULL CHECK (json_valid(json)),
            created_at TEXT NOT NULL)""",
        """CREATE TABLE mood_checkins (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
            tags TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(tags)),
            note TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL)""",
        "CREATE INDEX mood_by_time ON mood_checkins (created_at)",
        """CREATE TABLE exercise_records (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL,
            data TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(data)),
            completed_at TEXT NOT NULL)""",
        """CREATE TABLE safety_plan (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            json TEXT NOT NULL CHECK (json_valid(json)),
            updated_at TEXT NOT NULL)""",
        """CREATE TABLE settings_private (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL CHECK (json_valid(value)))""",
    )


def _fts_table(conn, fts: str, table: str, column: str) -> None:
    """An external-content FTS5 index over ``table.column`` kept current by triggers."""
    insert = f"INSERT INTO {fts} (rowid, {column}) VALUES (new.id, new.{column});"
    delete = f"INSERT INTO {fts} ({fts}, rowid, {column}) VALUES ('delete', old.id, old.{column});"
    _run(
        conn,
        # trigram, not unicode61: unicode61 keeps a run of Chinese characters as one token.
        f"CREATE VIRTUAL TABLE {fts} USING fts5("
        f"{column}, content='{table}', content_rowid='id', tokenize='trigram')",
        f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN {insert} END",
        f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN {delete} END",
        f"CREATE TRIGGER {fts}_au AFTER UPDATE OF {column} ON {table} BEGIN {delete} {insert} END",
        f"INSERT INTO {fts} ({fts}) VALUES ('rebuild')",
    )


@migration
def m002_search_index(conn) -> None:
    _fts_table(conn, "messages_fts", "messages", "content")
    _fts_table(conn, "journal_fts", "journal_entries", "text")
