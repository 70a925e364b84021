"""KeyVault: the passphrase-wrapped data key, keyfile.json and the opt-in keychain."""

from __future__ import annotations

import base64
import hashlib
import json
import stat
from pathlib import Path

import pytest

from edge_counsel.errors import (
    KeychainError,
    KeyfileError,
    PassphraseFileError,
    WrongPassphraseError,
)
from edge_counsel.services.unlock import unlock
from edge_counsel.store.keys import KeyVault, kdf_params, read_passphrase_file


pytestmark = pytest.mark.usefixtures("fast_kdf")



@pytest.fixture
def vault(home) -> KeyVault:
    return KeyVault(home)


def _keyfile(home: Path) -> dict:
    return json.loads((home / "keyfile.json").read_text())


def test_create_and_unlock(vault, home):
    assert not vault.exists()
    key = vault.create("correct horse battery staple")
    assert vault.exists() and len(key) == 32
    assert vault.unlock("correct horse battery staple") == key
    assert stat.S_IMODE((home / "keyfile.json").stat().st_mode) == 0o600
    assert sorted(p.name for p in home.iterdir()) == ["keyfile.json"]  # no temp file left behind


def test_keyfile_holds_no_key_and_no_passphrase(vault, home):
    key = vault.create("hunter2-but-longer")
    raw = (home / "keyfile.json").read_bytes()
    for secret in (key, key.hex().encode(), base64.b64encode(key), b"hunter2-but-longer"):
        assert secret not in raw
    record = _keyfile(home)
    assert record["kdf"]["name"] == "argon2id" and record["cipher"] == "aes-256-gcm"
    assert len(base64.b64decode(record["kdf"]["salt"])) == 16


def test_wrong_and_empty_passphrases(vault):
    vault.create("right one")
    with pytest.raises(WrongPassphraseError, match="Caps Lock"):
        vault.unlock("wrong one")
    with pytest.raises(ValueError, match="empty"):
        KeyVault(vault.home / "other").create("")


def test_same_passphrase_typed_differently_still_unlocks(vault):
    key = vault.create("caf\u00e9 密码")  # composed é
    assert vault.unlock("cafe\u0301 密码") == key  # decomposed é, as some keyboards send it


def test_change_passphrase_rewraps_the_same_key(vault, home):
    store = unlock(home, "old passphrase", create=True)
    store.add_journal_entry("before the change")
    store.close()
    db_before = hashlib.sha256((home / "counsel.db").read_bytes()).hexdigest()
    key = vault.unlock("old passphrase")
    with pytest.raises(WrongPassphraseError):
        vault.change_passphrase("not the old one", "new passphrase")
    vault.change_passphrase("old passphrase", "new passphrase")
    assert vault.unlock("new passphrase") == key
    with pytest.raises(WrongPassphraseError):
        vault.unlock("old passphrase")
    with pytest.raises(ValueError):
        vault.change_passphrase("new passphrase", "")
    assert hashlib.sha256((home / "counsel.db").read_bytes()).hexdigest() == db_before  # not re-encrypted
    with unlock(home, "new passphrase") as store:
        assert [e.text for e in store.list_journal_entries()] == ["before the change"]


def test_create_refuses_to_replace_a_store(vault, home):
    vault.create("first")
    with pytest.raises(KeyfileError, match="already exists"):
        vault.create("second")
    (home / "keyfile.json").rename(home / "keyfile.json.bak")
    (home / "counsel.db").write_bytes(b"\1" * 4096)
    with pytest.raises(KeyfileError, match="keyfile.json is missing"):
        vault.create("second")


def test_missing_or_damaged_keyfile(vault, home):
    with pytest.raises(KeyfileError, match="no store"):
        vault.unlock("anything")
    vault.create("pass")
    (home / "keyfile.json").write_text('{"format": 1, "kdf": ')
    with pytest.raises(KeyfileError, match="damaged"):
        vault.unlock("pass")


def test_kdf_cost(monkeypatch, vault, home):
    assert _keyfile_params(vault, home, "fast") == {"time_cost": 1, "memory_cost": 64, "parallelism": 1}
    monkeypatch.delenv("EDGE_COUNSEL_KDF_FAST")
    assert kdf_params() == {"time_cost": 3, "memory_cost": 65536, "parallelism": 2}
    assert vault.unlock("fast")  # the stored (cheap) parameters are the ones unlock uses


def _keyfile_params(vault: KeyVault, home: Path, passphrase: str) -> dict:
    vault.create(passphrase)
    kdf = _keyfile(home)["kdf"]
    return {k: kdf[k] for k in ("time_cost", "memory_cost", "parallelism")}


def test_real_kdf_cost_round_trip(monkeypatch, tmp_path):
    monkeypatch.delenv("EDGE_COUNSEL_KDF_FAST")
    vault = KeyVault(tmp_path / "real")
    key = vault.create("the real thing")
    assert _keyfile(vault.home)["kdf"]["memory_cost"] == 64 * 1024
    assert vault.unlock("the real thing") == key


# --passphrase-file ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content, expected",
    [
        ("secret\n", "secret"),
        ("secret\r\n", "secret"),
        ("secret", "secret"),
        ("two\n\n", "two\n"),
        (" sp ace \n", " sp ace "),
    ],
)
def test_read_passphrase_file(tmp_path, content, expected):
    path = tmp_path / "pass.txt"
    path.write_bytes(content.encode())
    assert read_passphrase_file(path) == expected


@pytest.mark.parametrize("content", [None, "", "\n"])
def test_bad_passphrase_file(tmp_path, content):
    path = tmp_path / "pass.txt"
    if content is not None:
        path.write_text(content)
    with pytest.raises(PassphraseFileError, match=str(path)):
        read_passphrase_file(path)


# The OS keychain --------------------------------------------------------------------------------


def test_no_keychain_is_a_clear_error(vault, home):
    with pytest.raises(KeychainError, match="passphrase each time"):
        vault.create("pass", remember=True)
    assert not vault.exists()
    key = vault.create("pass")
    with pytest.raises(KeychainError):
        vault.remember(key)
    assert vault.remembered_key() is None
    vault.forget()
    assert _keyfile(home)["remembered"] is False


def test_remember_and_forget(vault, memory_keyring):
    key = vault.create("pass", remember=True)
    assert vault.remembered_key() == key
    assert list(memory_keyring.items) == [("edge-counsel", _keyfile(vault.home)["vault_id"])]
    vault.change_passphrase("pass", "new pass")
    assert vault.remembered_key() == key  # same data key, still valid
    vault.forget()
    assert vault.remembered_key() is None and memory_keyring.items == {}
    vault.forget()  # twice is fine


def test_keychain_is_untouched_without_opt_in(vault, memory_keyring):
    key = vault.create("pass")
    slot = ("edge-counsel", _keyfile(vault.home)["vault_id"])
    memory_keyring.items[slot] = base64.b64encode(key).decode()
    assert vault.remembered_key() is None  # present, but the user never opted in
