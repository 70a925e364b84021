"""services.unlock: a data folder and a passphrase (or a remembered key) in, an open Store out.

Every test opens a real SQLCipher file. The keychain is keyring's null backend (conftest), except
where ``memory_keyring`` stands in for one that works.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from edge_counsel.errors import (
    EmptyPassphraseError,
    KeychainError,
    KeyfileError,
    PassphraseNeededError,
    StoreCorruptError,
    StoreMissingError,
    WrongPassphraseError,
)
from edge_counsel.services import unlock as unlock_service
from edge_counsel.services.unlock import (
    change_passphrase,
    has_store,
    move_damaged_aside,
    open_or_ask,
    remembered,
    unlock,
)
from edge_counsel.store.database import Store

PASS = "correct horse battery"


pytestmark = pytest.mark.usefixtures("fast_kdf")



def _remembered_flag(home: Path) -> bool:
    return json.loads((home / "keyfile.json").read_text())["remembered"]


def test_create_then_unlock(home):
    assert not has_store(home)
    with unlock(home, PASS, create=True) as store:
        store.create_conversation("kept")
    assert has_store(home)
    with unlock(home, PASS, create=True) as store:  # exists: create=True just unlocks
        assert [c.title for c in store.list_conversations()] == ["kept"]
    with unlock(home, PASS) as store:
        assert store.path == home / "counsel.db" and store.is_open


def test_missing_store_is_named(home):
    with pytest.raises(StoreMissingError, match="no store") as caught:
        unlock(home, PASS)
    assert isinstance(caught.value, KeyfileError)  # callers that catch the broader error still do
    assert not home.exists() or not any(home.iterdir())  # nothing was created


def test_wrong_passphrase_leaves_the_file_untouched(home):
    unlock(home, PASS, create=True).close()
    before = hashlib.sha256((home / "counsel.db").read_bytes()).hexdigest()
    with pytest.raises(WrongPassphraseError, match="Caps Lock"):
        unlock(home, "not it")
    assert hashlib.sha256((home / "counsel.db").read_bytes()).hexdigest() == before


def test_empty_passphrase_is_refused(home):
    with pytest.raises(EmptyPassphraseError, match="empty") as caught:
        unlock(home, "", create=True)
    assert isinstance(caught.value, ValueError)
    assert not has_store(home)


def test_keyfile_from_another_store_is_reported_as_a_mismatch(home, tmp_path):
    unlock(home, PASS, create=True).close()
    other = tmp_path / "other"
    unlock(other, PASS, create=True).close()
    (other / "keyfile.json").replace(home / "keyfile.json")
    with pytest.raises(StoreCorruptError, match="does not open it") as caught:
        unlock(home, PASS)
    assert caught.value.path == home / "counsel.db"


def test_damaged_store_can_be_moved_aside(home):
    unlock(home, PASS, create=True).close()
    db = home / "counsel.db"
    db.write_bytes(b"\x13" * 5000)
    with pytest.raises(StoreCorruptError) as caught:
        unlock(home, PASS)
    moved = move_damaged_aside(home, caught.value)
    assert moved.name.startswith("counsel.db.corrupt") and moved.read_bytes() == b"\x13" * 5000
    with unlock(home, PASS) as fresh:  # the same key starts a new, empty store
        assert fresh.list_conversations() == []


def test_change_passphrase(home):
    unlock(home, PASS, create=True).close()
    with pytest.raises(WrongPassphraseError):
        change_passphrase(home, "not it", "new one")
    change_passphrase(home, PASS, "new one")
    with pytest.raises(WrongPassphraseError):
        unlock(home, PASS)
    unlock(home, "new one").close()


# The remembered key -----------------------------------------------------------------------------


def test_without_a_keychain_nothing_is_remembered(home):
    assert remembered(home) is None  # no store yet
    unlock(home, PASS, create=True).close()
    assert remembered(home) is None
    with pytest.raises(PassphraseNeededError, match="enter your passphrase"):
        unlock(home)
    with pytest.raises(PassphraseNeededError):
        unlock(home / "elsewhere", create=True)  # setting up needs a passphrase


def test_a_failing_keychain_does_not_stop_the_unlock_when_told(home):
    told: list[KeychainError] = []
    store = unlock(home, PASS, create=True, remember=True, on_keychain_error=told.append)
    assert store.is_open and len(told) == 1 and "passphrase each time" in str(told[0])
    store.close()
    assert _remembered_flag(home) is False


def test_a_failing_keychain_raises_and_leaves_nothing_open_otherwise(home, monkeypatch):
    unlock(home, PASS, create=True).close()

    class Recorded(Store):
        made: list[Store] = []

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            Recorded.made.append(self)

    monkeypatch.setattr(unlock_service, "Store", Recorded)
    with pytest.raises(KeychainError):
        unlock(home, PASS, remember=True)
    assert len(Recorded.made) == 1 and not Recorded.made[0].is_open


def test_remember_then_open_without_a_passphrase(home, memory_keyring):
    with unlock(home, PASS, create=True, remember=True) as store:
        store.add_journal_entry("remembered")
    assert _remembered_flag(home) and len(memory_keyring.items) == 1
    with remembered(home) as store:
        assert [e.text for e in store.list_journal_entries()] == ["remembered"]
    unlock(home, PASS, remember=None).close()  # None keeps the earlier choice
    assert _remembered_flag(home)
    unlock(home, PASS, remember=False).close()  # False forgets
    assert not _remembered_flag(home) and memory_keyring.items == {}
    assert remembered(home) is None


def test_a_stale_remembered_key_falls_back_to_asking(home, memory_keyring):
    unlock(home, PASS, create=True, remember=True).close()
    (slot,) = memory_keyring.items
    memory_keyring.items[slot] = "A" * 44  # 32 bytes of base64, but not the key
    assert remembered(home) is None
    asked = []

    def ask():
        asked.append(True)
        return unlock(home, PASS)

    with open_or_ask(home, ask) as store:
        assert store.is_open and asked == [True]


def test_open_or_ask_asks_only_when_nothing_is_remembered(home, memory_keyring):
    assert open_or_ask(home, lambda: None) is None  # no store, the user declined
    unlock(home, PASS, create=True).close()
    assert open_or_ask(home, lambda: None) is None  # not remembered: asked, declined
    unlock(home, PASS, remember=True).close()

    def must_not_ask():
        raise AssertionError("asked although the key is remembered")

    with open_or_ask(home, must_not_ask) as store:
        assert store.is_open


# The command line's passphrase sources (cli/unlock.py) -----------------------------------------


def test_cli_uses_the_file_then_the_remembered_key_then_a_terminal(home, tmp_path, monkeypatch,
                                                                   memory_keyring):
    from argparse import Namespace

    from edge_counsel.cli.unlock import open_store_for
    from edge_counsel.errors import PassphraseFileError

    secret = tmp_path / "pass.txt"
    secret.write_text(PASS + "\n")
    open_store_for(Namespace(passphrase_file=secret), create=True).close()
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert open_store_for(Namespace(), required=False) is None  # a chat that is not saved
    with pytest.raises(PassphraseFileError, match="--passphrase-file"):
        open_store_for(Namespace())
    unlock(home, PASS, remember=True).close()
    with open_store_for(Namespace()) as store:  # no file, no terminal: the remembered key
        assert store.is_open
