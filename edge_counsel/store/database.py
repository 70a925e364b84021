"""The encrypted store: one SQLCipher file, ``counsel.db``, holds all user content.

Invariants:
- Nothing in this module writes plaintext user content to disk. Every page of counsel.db and of
  its -wal/-shm files is encrypted with the 32-byte data key; temporary tables stay in memory.
- A wrong key never changes the file: it is first tried on a read-only connection.
- Every write is one explicit transaction. A failed write (a full disk included) rolls back and
  leaves everything saved before it intact.
- Nothing here deletes a store file: a damaged one is moved aside (renamed) by ``move_aside``.
- A connection may be opened on one thread and handed to another (the UI unlocks on a pool
  thread), but only one thread uses it at a time.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import sqlcipher3

try:
    import resource
except ImportError:  # Windows has no file-size rlimit
    resource = None

from . import migrations
from ..atomic import FREE_SPACE, atomic_write
from ..errors import (
    ConversationNotFoundError,
    DiskFullError,
    JournalEntryNotFoundError,
    StoreCorruptError,
    StoreLockedError,
    WrongPassphraseError,
)

__all__ = [
    "DB_FILENAME",
    "SAFETY_PLAN_SECTIONS",
    "TRUSTED_CONTACT_FIELDS",
    "Conversation",
    "Message",
    "JournalEntry",
    "MoodCheckin",
    "ExerciseRecord",
    "SearchHit",
    "Store",
    "open_store",
    "move_aside",
    "atomic_write",
    "empty_safety_plan",
    "as_datetime",
    "day_of",
    "local_time",
]

DB_FILENAME = "counsel.db"
KEY_BYTES = 32
SQLITE_IOERR, SQLITE_CORRUPT, SQLITE_FULL, SQLITE_NOTADB = 10, 11, 13, 26
_PLAINTEXT_HEADER = b"SQLite format 3\x00"

# Stanley & Brown (2012) safety planning steps 1-6, plus reasons for living; each is free text.
# The keys match ui/crisis_panel.PLAN_SECTIONS, which shows them.
SAFETY_PLAN_SECTIONS = (
    "warning_signs",  # 1. warning signs
    "coping",  # 2. internal coping strategies
    "distractions",  # 3. people and social settings that distract
    "helpers",  # 4. people I can ask for help
    "professionals",  # 5. professionals and agencies to contact in a crisis
    "safe_environment",  # 6. making the environment safe
    "reasons_for_living",
)
TRUSTED_CONTACT_FIELDS = ("name", "phone", "relationship")
# Erased children first so foreign keys never block.
_CONTENT_TABLES = (
    "messages",
    "conversations",
    "journal_reflections",
    "journal_entries",
    "mood_checkins",
    "exercise_records",
    "safety_plan",
    "settings_private",
)


# --- Records ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Conversation:
    id: int
    title: str
    approach: str
    lang: str
    created_at: str
    updated_at: str
    message_count: int = 0


@dataclass(frozen=True)
class Message:
    id: int
    conversation_id: int
    role: str
    content: str
    created_at: str
    flagged: dict | None = None


@dataclass(frozen=True)
class JournalEntry:
    id: int
    text: str
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class MoodCheckin:
    """One mood check-in: a score on the 1-5 scale, emotion tags, a note, and when.

    The app's only check-in type: the store returns it with its row ``id`` and its UTC ISO 8601
    ``created_at`` string; ``services.mood`` re-exports it and also builds it in memory, with a
    datetime and no id. ``day`` reads either kind of moment."""

    score: int  # 1..5, see services.mood.EMOJI_SCALE
    tags: tuple[str, ...] = ()
    note: str = ""
    created_at: datetime | str = field(default_factory=lambda: datetime.now().astimezone())
    id: int | None = None  # the store's row id; None until stored

    def __post_init__(self) -> None:
        if isinstance(self.score, bool) or not isinstance(self.score, int) or not 1 <= self.score <= 5:
            raise ValueError(f"A mood score is a whole number from 1 to 5, not {self.score!r}.")
        object.__setattr__(self, "tags", tuple(self.tags))

    @property
    def day(self) -> date:
        return day_of(self.created_at)

    @classmethod
    def from_stored(cls, row: Any) -> "MoodCheckin":
        """From any object with score, tags, note and created_at (a datetime or an ISO 8601
        string), such as a check-in row read elsewhere; ``created_at`` becomes a datetime."""
        return cls(row.score, tuple(row.tags), row.note or "", as_datetime(row.created_at), getattr(row, "id", None))


@dataclass(frozen=True)
class ExerciseRecord:
    id: int
    kind: str
    data: dict
    completed_at: str


@dataclass(frozen=True)
class SearchHit:
    kind: str  # "message" or "journal"
    id: int
    conversation_id: int | None
    snippet: str
    created_at: str


# --- Small helpers ------------------------------------------------------------------------------


def now_iso() -> str:
    """UTC time as ISO 8601 with microseconds: the strings sort in time order."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def as_datetime(moment: datetime | str) -> datetime:
    return datetime.fromisoformat(moment) if isinstance(moment, str) else moment


def day_of(moment: datetime | str) -> date:
    """The local calendar day of a moment (the store keeps UTC strings)."""
    moment = as_datetime(moment)
    return (moment.astimezone() if moment.tzinfo else moment).date()


def local_time(moment: datetime | str) -> str:
    """A stored UTC time as this computer's local date and time, to the minute."""
    return as_datetime(moment).astimezone().strftime("%Y-%m-%d %H:%M")


def _iso(moment: datetime | str) -> str:
    if isinstance(moment, str):
        return moment
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def empty_safety_plan() -> dict:
    """Every section as "" and no trusted contact ({}: the crisis panel then offers to make one)."""
    plan: dict[str, Any] = {section: "" for section in SAFETY_PLAN_SECTIONS}
    plan["trusted_contact"] = {}
    return plan


def _check_safety_plan(plan: dict) -> None:
    """ValueError for unknown keys (a typo must not lose a section) or values of the wrong type."""
    unknown = set(plan) - set(SAFETY_PLAN_SECTIONS) - {"trusted_contact"}
    if unknown:
        raise ValueError(f"Unknown safety plan sections: {', '.join(sorted(unknown))}")
    if any(not isinstance(plan[k], str) for k in plan if k != "trusted_contact"):
        raise ValueError("Each safety plan section is text.")
    contact = plan.get("trusted_contact", {})
    if not isinstance(contact, dict) or set(contact) - set(TRUSTED_CONTACT_FIELDS):
        raise ValueError(f"The trusted contact has only these fields: {', '.join(TRUSTED_CONTACT_FIELDS)}")


def move_aside(path: Path) -> Path:
    """Rename a damaged store (and its -wal/-shm) to ``<name>.corrupt-<time>``; delete nothing."""
    path = Path(path)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    os.replace(path, target)
    for suffix in ("-wal", "-shm"):  # a stale WAL must never be replayed onto a new store
        side = path.with_name(path.name + suffix)
        if side.exists():
            os.replace(side, target.with_name(target.name + suffix))
    return target


# --- Opening ------------------------------------------------------------------------------------


def corrupt_error(path: Path, why: str) -> StoreCorruptError:
    """StoreCorruptError for ``path`` (kept as ``.path``), offering to move the file aside."""
    error = StoreCorruptError(
        f"{path} cannot be read as an Edge Counsel store: {why}. It may be damaged. "
        f"Edge Counsel can move it aside (rename it to {path.name}.corrupt-<time>; nothing is "
        "deleted) and start a new, empty store."
    )
    error.path = path
    return error


def _near_size_limit(path: Path) -> bool:
    """Has a store file reached this process's RLIMIT_FSIZE (so writes fail with EFBIG)?"""
    soft = resource.getrlimit(resource.RLIMIT_FSIZE)[0] if resource else -1
    if soft < 0 or soft == getattr(resource, "RLIM_INFINITY", -1):
        return False
    files = [f for f in (path, path.with_name(path.name + "-wal")) if f.exists()]
    return any(f.stat().st_size + 2 * 65536 > soft for f in files)


def _out_of_space(path: Path) -> bool:
    """After a SQLite I/O error, which hides errno: is the disk, or the file-size limit, used up?"""
    try:
        if shutil.disk_usage(path.parent).free < 1 << 20:
            return True
    except OSError:
        pass
    return _near_size_limit(path)


def _translate(error: sqlcipher3.Error, path: Path) -> Exception:
    """The user-facing error for a SQLite error, or the error itself when it is a bug."""
    code = getattr(error, "sqlite_errorcode", 0) & 0xFF
    # SQLite says SQLITE_FULL only for ENOSPC; EFBIG (file-size limit) arrives as an I/O error.
    if code == SQLITE_FULL or (code == SQLITE_IOERR and _out_of_space(path)):
        return DiskFullError(
            f"The disk holding {path} is full, so the last change was not saved. {FREE_SPACE}"
        )
    if code == SQLITE_NOTADB:
        return WrongPassphraseError("That passphrase does not unlock your store. Check it and try again.")
    if code == SQLITE_CORRUPT:
        return corrupt_error(path, "SQLite reports that it is damaged")
    return error


def _sniff(path: Path) -> str | None:
    """Why the file cannot be a SQLCipher database, or None when it may be one."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(4096)
    if head.startswith(_PLAINTEXT_HEADER):
        return "it is an unencrypted SQLite file"
    if size < 512 or size % 512:
        return f"its size ({size} bytes) is not a whole number of database pages"
    if len(set(head)) < 128:  # an encrypted page looks random and uses nearly all 256 byte values
        return "its first page is not encrypted data"
    return None


def _connect(target: str, key: bytes, uri: bool = False) -> sqlcipher3.Connection:
    if not isinstance(key, (bytes, bytearray)) or len(key) != KEY_BYTES:
        raise ValueError(f"the data key must be {KEY_BYTES} bytes")
    # Unlocking (Argon2id, then this) runs on a pool thread and hands the connection to the UI
    # thread once; SQLCipher is built thread-safe, and one thread at a time uses a connection.
    conn = sqlcipher3.connect(target, uri=uri, isolation_level="IMMEDIATE", timeout=10.0,
                              check_same_thread=False)
    conn.execute("PRAGMA cipher_log_level = NONE")  # the user sees our message, not codec noise
    conn.execute("PRAGMA cipher_memory_security = ON")
    conn.execute(f"PRAGMA key = \"x'{bytes(key).hex()}'\"")  # a raw key: no second KDF
    return conn


def _probe(path: Path, key: bytes) -> None:
    """Try the key read-only, so that a wrong key cannot change one byte of the file."""
    conn = _connect(path.resolve().as_uri() + "?mode=ro", key, uri=True)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher3.DatabaseError as error:
        raise _translate(error, path) from None
    finally:
        conn.close()


def _configure(conn: sqlcipher3.Connection) -> None:
    # WAL with synchronous=FULL: a commit that returned is on disk, even after kill -9.
    for pragma in (
        "PRAGMA foreign_keys = ON",
        "PRAGMA journal_mode = WAL",
        "PRAGMA synchronous = FULL",
        "PRAGMA secure_delete = ON",
        "PRAGMA temp_store = MEMORY",
    ):
        conn.execute(pragma).fetchall()


def _create_private(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():  # SQLite gives -wal/-shm the same mode as the database
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def open_store(path: Path, key: bytes) -> sqlcipher3.Connection:
    """Open (or create) the store at ``path`` with the raw 32-byte ``key`` and migrate it.

    Raises WrongPassphraseError for a wrong key, StoreCorruptError (with ``.path``) for a file
    that is not a SQLCipher database, StoreTooNewError for a newer schema, DiskFullError.
    """
    path = Path(path)
    if path.exists() and path.stat().st_size > 0:
        why = _sniff(path)
        if why:
            raise corrupt_error(path, why)
        _probe(path, key)
    _create_private(path)
    conn = _connect(str(path), key)
    try:
        _configure(conn)
        migrations.migrate(conn)
    except sqlcipher3.DatabaseError as error:
        conn.close()
        raise _translate(error, path) from error
    except BaseException:
        conn.close()
        raise
    return conn


# --- Search -------------------------------------------------------------------------------------


def _phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _fts_filter(fts: str, column: str, query: str) -> tuple[str, list[str]]:
    """A WHERE clause: terms of 3+ characters use the trigram index, shorter ones LIKE."""
    terms = query.split()
    indexed = [t for t in terms if len(t) >= 3]
    clauses, params = [], []
    if indexed:
        clauses.append(f"{fts} MATCH ?")
        params.append(" AND ".join(_phrase(t) for t in indexed))
    for term in (t for t in terms if len(t) < 3):  # e.g. a two-character Chinese word
        clauses.append(f"{fts}.{column} LIKE ? ESCAPE '\\'")
        params.append(_like(term))
    return " AND ".join(clauses), params


def _snippet(text: str, query: str, width: int = 40) -> str:
    lowered = text.lower()
    found = [lowered.find(t.lower()) for t in query.split()]
    at = min((p for p in found if p >= 0), default=0)
    start, end = max(0, at - width), min(len(text), at + 2 * width)
    body = text[start:end].replace("\n", " ")
    return ("…" if start else "") + body + ("…" if end < len(text) else "")


# --- The store ----------------------------------------------------------------------------------

_CONVERSATION_COLUMNS = (
    "c.id, c.title, c.approach, c.lang, c.created_at, c.updated_at,"
    " (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id)"
)
_ENTRY_COLUMNS = "id, text, created_at, updated_at"


class Store:
    """Small, named reads and writes over a connection from ``open_store``.

    The app gets one from ``services.unlock``; tests may wrap ``open_store(path, key)`` directly.
    """

    def __init__(self, conn: sqlcipher3.Connection, path: Path | None = None):
        self._conn: sqlcipher3.Connection | None = conn
        self.path = Path(path) if path else Path(conn.execute("PRAGMA database_list").fetchone()[2])

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def conn(self) -> sqlcipher3.Connection:
        """The open connection; StoreLockedError once the store is closed."""
        if self._conn is None:
            raise StoreLockedError("Your store is locked. Unlock it with your passphrase to continue.")
        return self._conn

    @property
    def is_open(self) -> bool:
        return self._conn is not None

    def close(self) -> None:
        """Close the connection (SQLite checkpoints the WAL); later calls raise StoreLockedError."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    @contextmanager
    def _write(self):
        """One transaction: BEGIN IMMEDIATE, COMMIT, or ROLLBACK and a user-facing error."""
        conn = self.conn
        try:
            with conn:
                yield conn
        except sqlcipher3.DatabaseError as error:
            if conn.in_transaction:
                conn.rollback()
            raise _translate(error, self.path) from error

    def _rows(self, sql: str, params: tuple | list = ()) -> list[tuple]:
        try:
            return self.conn.execute(sql, params).fetchall()
        except sqlcipher3.DatabaseError as error:
            raise _translate(error, self.path) from error

    # Conversations ------------------------------------------------------------------------------

    def create_conversation(self, title: str = "", approach: str = "", lang: str = "") -> Conversation:
        stamp = now_iso()
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO conversations (title, approach, lang, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (title, approach, lang, stamp, stamp),
            )
        return Conversation(cur.lastrowid, title, approach, lang, stamp, stamp, 0)

    def list_conversations(self) -> list[Conversation]:
        """Newest (most recently updated) first."""
        sql = f"SELECT {_CONVERSATION_COLUMNS} FROM conversations c ORDER BY c.updated_at DESC, c.id DESC"
        return [Conversation(*row) for row in self._rows(sql)]

    def get_conversation(self, conv_id: int) -> Conversation:
        rows = self._rows(f"SELECT {_CONVERSATION_COLUMNS} FROM conversations c WHERE c.id = ?", (conv_id,))
        if not rows:
            raise _no_conversation(conv_id)
        return Conversation(*rows[0])

    def rename_conversation(self, conv_id: int, title: str) -> None:
        self._update_conversation(conv_id, "title = ?, updated_at = ?", (title, now_iso()))

    def touch_conversation(self, conv_id: int) -> None:
        self._update_conversation(conv_id, "updated_at = ?", (now_iso(),))

    def delete_conversation(self, conv_id: int) -> None:
        """Delete a conversation and its messages (and their search index entries)."""
        with self._write() as conn:
            if conn.execute("DELETE FROM conversations WHERE id = ?", (conv_id,)).rowcount == 0:
                raise _no_conversation(conv_id)

    def _update_conversation(self, conv_id: int, assignments: str, params: tuple) -> None:
        with self._write() as conn:
            cur = conn.execute(f"UPDATE conversations SET {assignments} WHERE id = ?", (*params, conv_id))
            if cur.rowcount == 0:
                raise _no_conversation(conv_id)

    # Messages -----------------------------------------------------------------------------------

    def add_message(self, conv_id: int, role: str, content: str, flagged: dict | None = None) -> Message:
        """Append a message and touch its conversation, in one transaction."""
        stamp = now_iso()
        flags = None if flagged is None else _dumps(flagged)
        with self._write() as conn:
            touched = conn.execute("UPDATE conversations SET updated_at = ? WHERE id = ?", (stamp, conv_id))
            if touched.rowcount == 0:
                raise _no_conversation(conv_id)
            cur = conn.execute(
                "INSERT INTO messages (conversation_id, role, content, created_at, flagged)"
                " VALUES (?, ?, ?, ?, ?)",
                (conv_id, role, content, stamp, flags),
            )
        return Message(cur.lastrowid, conv_id, role, content, stamp, flagged)

    def list_messages(self, conv_id: int) -> list[Message]:
        """Oldest first; empty for an unknown conversation."""
        rows = self._rows(
            "SELECT id, conversation_id, role, content, created_at, flagged FROM messages"
            " WHERE conversation_id = ? ORDER BY id",
            (conv_id,),
        )
        return [_message(row) for row in rows]

    def flag_message(self, message_id: int, flagged: dict | None) -> None:
        """Attach risk/guard information (JSON) to a message, or clear it with None."""
        with self._write() as conn:
            flags = None if flagged is None else _dumps(flagged)
            conn.execute("UPDATE messages SET flagged = ? WHERE id = ?", (flags, message_id))

    def delete_last_assistant(self, conv_id: int) -> Message | None:
        """For "regenerate": delete the conversation's last message if the assistant wrote it."""
        with self._write() as conn:
            row = conn.execute(
                "SELECT id, conversation_id, role, content, created_at, flagged FROM messages"
                " WHERE conversation_id = ? ORDER BY id DESC LIMIT 1",
                (conv_id,),
            ).fetchone()
            if row is None or row[2] != "assistant":
                return None
            conn.execute("DELETE FROM messages WHERE id = ?", (row[0],))
        return _message(row)

    # Search -------------------------------------------------------------------------------------

    def search(self, query: str, limit: int = 50) -> list[SearchHit]:
        """Messages and journal entries containing every term of ``query``, newest first."""
        if not query.split():
            return []
        hits = self._search_messages(query, limit) + [
            SearchHit("journal", e.id, None, _snippet(e.text, query), e.created_at)
            for e in self.search_journal(query, limit)
        ]
        return sorted(hits, key=lambda hit: hit.created_at, reverse=True)[:limit]

    def _search_messages(self, query: str, limit: int) -> list[SearchHit]:
        where, params = _fts_filter("messages_fts", "content", query)
        rows = self._rows(
            "SELECT m.id, m.conversation_id, m.content, m.created_at FROM messages_fts"
            f" JOIN messages m ON m.id = messages_fts.rowid WHERE {where}"
            " ORDER BY m.created_at DESC LIMIT ?",
            (*params, limit),
        )
        return [SearchHit("message", i, c, _snippet(text, query), at) for i, c, text, at in rows]

    # Journal ------------------------------------------------------------------------------------

    def add_journal_entry(self, text: str) -> JournalEntry:
        stamp = now_iso()
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO journal_entries (text, created_at, updated_at) VALUES (?, ?, ?)",
                (text, stamp, stamp),
            )
        return JournalEntry(cur.lastrowid, text, stamp, stamp)

    def update_journal_entry(self, entry_id: int, text: str) -> JournalEntry:
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE journal_entries SET text = ?, updated_at = ? WHERE id = ?",
                (text, now_iso(), entry_id),
            )
            if cur.rowcount == 0:
                raise _no_entry(entry_id)
        return self.get_journal_entry(entry_id)

    def delete_journal_entry(self, entry_id: int) -> None:
        """Delete an entry and its reflection."""
        with self._write() as conn:
            if conn.execute("DELETE FROM journal_entries WHERE id = ?", (entry_id,)).rowcount == 0:
                raise _no_entry(entry_id)

    def get_journal_entry(self, entry_id: int) -> JournalEntry:
        rows = self._rows(f"SELECT {_ENTRY_COLUMNS} FROM journal_entries WHERE id = ?", (entry_id,))
        if not rows:
            raise _no_entry(entry_id)
        return JournalEntry(*rows[0])

    def list_journal_entries(self) -> list[JournalEntry]:
        """Newest first."""
        sql = f"SELECT {_ENTRY_COLUMNS} FROM journal_entries ORDER BY created_at DESC, id DESC"
        return [JournalEntry(*row) for row in self._rows(sql)]

    def search_journal(self, query: str, limit: int = 50) -> list[JournalEntry]:
        """Entries containing every term of ``query``, newest first."""
        if not query.split():
            return []
        where, params = _fts_filter("journal_fts", "text", query)
        rows = self._rows(
            "SELECT j.id, j.text, j.created_at, j.updated_at FROM journal_fts"
            f" JOIN journal_entries j ON j.id = journal_fts.rowid WHERE {where}"
            " ORDER BY j.created_at DESC LIMIT ?",
            (*params, limit),
        )
        return [JournalEntry(*row) for row in rows]

    def save_reflection(self, entry_id: int, reflection: dict) -> None:
        """Store (or replace) the reflection generated for a journal entry."""
        with self._write() as conn:
            if not conn.execute("SELECT 1 FROM journal_entries WHERE id = ?", (entry_id,)).fetchone():
                raise _no_entry(entry_id)
            conn.execute(
                "INSERT OR REPLACE INTO journal_reflections (entry_id, json, created_at) VALUES (?, ?, ?)",
                (entry_id, _dumps(reflection), now_iso()),
            )

    def get_reflection(self, entry_id: int) -> dict | None:
        rows = self._rows("SELECT json FROM journal_reflections WHERE entry_id = ?", (entry_id,))
        return _loads(rows[0][0]) if rows else None

    # Mood ---------------------------------------------------------------------------------------

    def add_checkin(self, score: int, tags: Sequence[str] = (), note: str = "") -> MoodCheckin:
        checkin = MoodCheckin(score, tuple(tags), note, now_iso())  # checks the score before writing
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO mood_checkins (score, tags, note, created_at) VALUES (?, ?, ?, ?)",
                (checkin.score, _dumps(list(checkin.tags)), checkin.note, checkin.created_at),
            )
        return replace(checkin, id=cur.lastrowid)

    def list_checkins(self, since: datetime | str | None = None) -> list[MoodCheckin]:
        """Oldest first (chart order); only those at or after ``since`` when given."""
        rows = self._rows(
            "SELECT id, score, tags, note, created_at FROM mood_checkins"
            " WHERE created_at >= ? ORDER BY created_at, id",
            (_iso(since) if since is not None else "",),
        )
        return [MoodCheckin(s, json.loads(t), n, at, id=i) for i, s, t, n, at in rows]

    # Exercises ----------------------------------------------------------------------------------

    def save_exercise_record(self, kind: str, data: dict | None = None) -> ExerciseRecord:
        """Record a completed exercise (breathing, thought record, ...) with its details."""
        stamp, data = now_iso(), dict(data or {})
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO exercise_records (kind, data, completed_at) VALUES (?, ?, ?)",
                (kind, _dumps(data), stamp),
            )
        return ExerciseRecord(cur.lastrowid, kind, data, stamp)

    def list_exercise_records(self, kind: str | None = None) -> list[ExerciseRecord]:
        """Newest first; only ``kind`` when given."""
        rows = self._rows(
            "SELECT id, kind, data, completed_at FROM exercise_records"
            " WHERE ? IS NULL OR kind = ? ORDER BY completed_at DESC, id DESC",
            (kind, kind),
        )
        return [ExerciseRecord(i, k, json.loads(d), at) for i, k, d, at in rows]

    # Safety plan --------------------------------------------------------------------------------

    def get_safety_plan(self) -> dict:
        """Every Stanley-Brown section plus ``trusted_contact``; empty ones default to empty."""
        plan = empty_safety_plan()
        rows = self._rows("SELECT json FROM safety_plan WHERE id = 1")
        if rows:
            plan.update(json.loads(rows[0][0]))
        return plan

    def save_safety_plan(self, plan: dict) -> None:
        """Replace the plan; sections left out become empty. ValueError for unknown keys."""
        _check_safety_plan(plan)
        merged = {**empty_safety_plan(), **plan}
        with self._write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO safety_plan (id, json, updated_at) VALUES (1, ?, ?)",
                (_dumps(merged), now_iso()),
            )

    # Private settings ---------------------------------------------------------------------------

    def get_private_setting(self, key: str, default: Any = None) -> Any:
        rows = self._rows("SELECT value FROM settings_private WHERE key = ?", (key,))
        return json.loads(rows[0][0]) if rows else default

    def set_private_setting(self, key: str, value: Any) -> None:
        """Keep a setting that would reveal something about the user (JSON-serialisable)."""
        with self._write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO settings_private (key, value) VALUES (?, ?)", (key, _dumps(value))
            )

    # Erasing ------------------------------------------------------------------------------------

    def erase_all(self) -> None:
        """Delete all user content, then compact so no old page lingers. The caller confirms."""
        with self._write() as conn:
            for table in _CONTENT_TABLES:
                conn.execute(f"DELETE FROM {table}")
            conn.execute("DELETE FROM sqlite_sequence")
            for fts in ("messages_fts", "journal_fts"):
                conn.execute(f"INSERT INTO {fts} ({fts}) VALUES ('delete-all')")
        self._compact()

    def _compact(self) -> None:
        try:
            self.conn.execute("VACUUM")
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        except sqlcipher3.DatabaseError as error:
            raise _translate(error, self.path) from error


def _message(row: tuple) -> Message:
    return Message(*row[:5], _loads(row[5]))


def _no_conversation(conv_id: int) -> ConversationNotFoundError:
    return ConversationNotFoundError(
        f"There is no conversation with id {conv_id}. `edge-counsel history list` shows the ids."
    )


def _no_entry(entry_id: int) -> JournalEntryNotFoundError:
    return JournalEntryNotFoundError(
        f"There is no journal entry with id {entry_id}; it may have been deleted."
    )
