"""The data key and the passphrase that guards it.

A random 256-bit data key encrypts the store. It is never written to disk in the clear: a key
derived from the user's passphrase with Argon2id wraps it with AES-256-GCM, and only the wrapped
key, the salt and the Argon2 parameters go into ``keyfile.json`` (mode 0600, written atomically).
Changing the passphrase re-wraps the same data key, so the database is never re-encrypted.

Invariants:
- Nothing in this module writes plaintext user content, a passphrase or the data key to disk.
- The OS keychain is touched only after the user opted in (``remember``); the opt-in is recorded
  in keyfile.json so that a user who never opted in never meets a keychain prompt.
- ``EDGE_COUNSEL_KDF_FAST=1`` (tests only!) makes new keyfiles use a very cheap Argon2. Unlocking
  always uses the parameters stored in the keyfile, so a keyfile stays as cheap as it was made.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import unicodedata
import uuid
from pathlib import Path

import keyring
import keyring.errors
from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..errors import (
    EmptyPassphraseError,
    KeychainError,
    KeyfileError,
    PassphraseFileError,
    WrongPassphraseError,
)
from .database import DB_FILENAME, KEY_BYTES, atomic_write

__all__ = [
    "KEYFILE_NAME",
    "KeyVault",
    "kdf_params",
    "read_passphrase_file",
]

KEYFILE_NAME = "keyfile.json"
KEYCHAIN_SERVICE = "edge-counsel"
_FORMAT = 1
_AAD = b"edge-counsel keyfile v1"
_DEFAULT_KDF = {"time_cost": 3, "memory_cost": 64 * 1024, "parallelism": 2}  # memory in KiB
_FAST_KDF = {"time_cost": 1, "memory_cost": 64, "parallelism": 1}  # EDGE_COUNSEL_KDF_FAST=1, tests only
_MAX_MEMORY_KIB = 4 * 1024 * 1024  # refuse a tampered keyfile that would exhaust memory


def kdf_params() -> dict:
    """Argon2id cost for a new keyfile: the real one unless EDGE_COUNSEL_KDF_FAST=1 (tests)."""
    fast = os.environ.get("EDGE_COUNSEL_KDF_FAST") == "1"
    return dict(_FAST_KDF if fast else _DEFAULT_KDF)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def _check_passphrase(passphrase: str) -> bytes:
    if not passphrase:
        raise EmptyPassphraseError("Choose a passphrase: an empty one would not protect anything.")
    # NFC, so the same passphrase typed through another keyboard or input method still matches.
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


def _derive(passphrase: str, kdf: dict) -> bytes:
    return hash_secret_raw(
        _check_passphrase(passphrase),
        _unb64(kdf["salt"]),
        time_cost=kdf["time_cost"],
        memory_cost=kdf["memory_cost"],
        parallelism=kdf["parallelism"],
        hash_len=32,
        type=Type.ID,
    )


def _wrap(data_key: bytes, passphrase: str) -> dict:
    kdf = {"name": "argon2id", **kdf_params(), "salt": _b64(secrets.token_bytes(16))}
    nonce = secrets.token_bytes(12)
    wrapped = AESGCM(_derive(passphrase, kdf)).encrypt(nonce, data_key, _AAD)
    return {"kdf": kdf, "cipher": "aes-256-gcm", "nonce": _b64(nonce), "wrapped_key": _b64(wrapped)}


def _unwrap(record: dict, passphrase: str) -> bytes:
    kek = _derive(passphrase, record["kdf"])
    try:
        return AESGCM(kek).decrypt(_unb64(record["nonce"]), _unb64(record["wrapped_key"]), _AAD)
    except InvalidTag:
        raise WrongPassphraseError(
            "That passphrase does not unlock your store. Check Caps Lock and the keyboard layout, "
            "then try again."
        ) from None


class KeyVault:
    """keyfile.json in ``home``: create, unlock, re-wrap, and (opt-in) the OS keychain."""

    def __init__(self, home: Path):
        self.home = Path(home)
        self.keyfile = self.home / KEYFILE_NAME
        self.db_path = self.home / DB_FILENAME

    def exists(self) -> bool:
        return self.keyfile.exists()

    def create(self, passphrase: str, remember: bool = False) -> bytes:
        """Make a new data key wrapped by ``passphrase``; return it. Refuses to replace a store."""
        _check_passphrase(passphrase)
        self._refuse_overwrite()
        if remember:
            _require_keychain()
        data_key = secrets.token_bytes(KEY_BYTES)
        record = {"format": _FORMAT, "vault_id": str(uuid.uuid4()), "remembered": False}
        self._write({**record, **_wrap(data_key, passphrase)})
        if remember:
            self.remember(data_key)
        return data_key

    def unlock(self, passphrase: str) -> bytes:
        """The data key; WrongPassphraseError when ``passphrase`` does not unwrap it."""
        return _unwrap(self._read(), passphrase)

    def change_passphrase(self, old: str, new: str) -> None:
        """Re-wrap the same data key with ``new``; the database itself is not touched."""
        _check_passphrase(new)
        record = self._read()
        data_key = _unwrap(record, old)
        self._write({**record, **_wrap(data_key, new)})

    def remember(self, data_key: bytes) -> None:
        """Keep the data key in the OS keychain (only on the user's request)."""
        record = self._read()
        try:
            keyring.set_password(KEYCHAIN_SERVICE, record["vault_id"], _b64(data_key))
            stored = keyring.get_password(KEYCHAIN_SERVICE, record["vault_id"])
        except Exception as error:  # keyring backends raise many kinds of errors
            raise _keychain_error(error) from error
        if stored != _b64(data_key):  # the null backend "succeeds" and keeps nothing
            raise _keychain_error(None)
        self._write({**record, "remembered": True})

    def forget(self) -> None:
        """Remove the key from the OS keychain; the opt-in is cleared even if that fails."""
        record = self._read()
        self._write({**record, "remembered": False})
        try:
            keyring.delete_password(KEYCHAIN_SERVICE, record["vault_id"])
        except keyring.errors.PasswordDeleteError:
            pass  # nothing was stored
        except Exception as error:
            raise _keychain_error(error) from error

    def remembered_key(self) -> bytes | None:
        """The key kept in the OS keychain, or None (not opted in, no keychain, or any error)."""
        record = self._read()
        if not record.get("remembered"):
            return None
        try:
            key = _unb64(keyring.get_password(KEYCHAIN_SERVICE, record["vault_id"]) or "")
        except Exception:
            return None
        return key if len(key) == KEY_BYTES else None

    def _refuse_overwrite(self) -> None:
        if self.exists():
            raise KeyfileError(f"{self.keyfile} already exists; unlock it instead of creating a new one.")
        if self.db_path.exists() and self.db_path.stat().st_size > 0:
            raise KeyfileError(
                f"{self.db_path} exists but {KEYFILE_NAME} is missing, and without it the store cannot "
                f"be opened. Put {KEYFILE_NAME} back (from a backup), or move {DB_FILENAME} away "
                "to start anew."
            )

    def _read(self) -> dict:
        try:
            record = json.loads(self.keyfile.read_text(encoding="utf-8"))
            _validate(record)
        except FileNotFoundError:
            raise KeyfileError(
                f"There is no {KEYFILE_NAME} in {self.home}: no store has been set up there."
            ) from None
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise KeyfileError(
                f"{self.keyfile} is damaged ({error}), so the store cannot be unlocked. "
                "Restore it from a backup if you have one."
            ) from None
        return record

    def _write(self, record: dict) -> None:
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        atomic_write(self.keyfile, json.dumps(record, indent=2).encode("utf-8"), mode=0o600)


def _validate(record: dict) -> None:
    kdf = record["kdf"]
    if record["format"] != _FORMAT or kdf["name"] != "argon2id" or record["cipher"] != "aes-256-gcm":
        raise ValueError("unknown key format")
    if not 0 < kdf["memory_cost"] <= _MAX_MEMORY_KIB or not 0 < kdf["time_cost"] <= 100:
        raise ValueError("implausible Argon2 parameters")
    for field in (kdf["salt"], record["nonce"], record["wrapped_key"]):
        _unb64(field)  # raises ValueError when not base64


def _require_keychain() -> None:
    # The null and fail backends have priority <= 0: they can keep nothing.
    if getattr(keyring.get_keyring(), "priority", 0) <= 0:
        raise _keychain_error(None)


def _keychain_error(cause: Exception | None) -> KeychainError:
    detail = f" ({cause})" if cause else ""
    return KeychainError(
        f"This computer's keychain could not remember your key{detail}. "
        "You will be asked for your passphrase each time instead."
    )


def read_passphrase_file(path: Path) -> str:
    """The passphrase in ``path`` (for --passphrase-file), without one trailing newline."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise PassphraseFileError(f"Cannot read the passphrase file {path}: {error}.") from None
    if text.endswith("\r\n"):
        text = text[:-2]
    elif text.endswith("\n"):
        text = text[:-1]
    if not text:
        raise PassphraseFileError(f"The passphrase file {path} is empty; put your passphrase in it.")
    return text
