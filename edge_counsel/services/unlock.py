"""Unlocking: the one place that turns a data folder and a passphrase (or a key this computer
remembers) into an open Store.

Every front end unlocks here: the window's unlock dialog, the terminal chat and the other
commands. "A remembered key, else ask the user" exists once, as ``open_or_ask``.

Invariants:
- Nothing here imports Qt. Argon2id runs on the caller's thread, so a window calls ``unlock`` and
  ``change_passphrase`` from a background thread.
- A Store comes back open, or nothing is left open: every error is raised after closing it.
- The OS keychain is written only when the caller passes ``remember=True`` (the user opted in).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..errors import (
    EdgeCounselError,
    KeychainError,
    PassphraseNeededError,
    StoreCorruptError,
    StoreMissingError,
    WrongPassphraseError,
)
from ..store.database import DB_FILENAME, Store, corrupt_error, move_aside, open_store
from ..store.keys import KEYFILE_NAME, KeyVault

__all__ = [
    "has_store",
    "unlock",
    "remembered",
    "open_or_ask",
    "change_passphrase",
    "forget_remembered_key",
    "move_damaged_aside",
]


def has_store(home: Path) -> bool:
    """Has a store been set up in ``home``? If not, the first unlock creates it."""
    return KeyVault(home).exists()


def unlock(
    home: Path,
    passphrase: str | None = None,
    *,
    create: bool = False,
    remember: bool | None = None,
    on_keychain_error: Callable[[KeychainError], None] | None = None,
) -> Store:
    """Open the store in ``home`` with ``passphrase``, or with the remembered key when it is None.

    ``create``: set up a new keyfile and store when ``home`` has none. ``remember``: True keeps the
    key in the OS keychain, False forgets it, None leaves the user's earlier choice. A keychain that
    fails is passed to ``on_keychain_error`` and the store stays open; without that callback the
    store is closed and the KeychainError raised.

    Raises StoreMissingError, PassphraseNeededError, WrongPassphraseError, StoreCorruptError (with
    ``.path``), StoreTooNewError, KeyfileError, DiskFullError, EmptyPassphraseError.
    """
    vault = KeyVault(home)
    key = _data_key(vault, passphrase, create)
    store = _open(vault, key)
    try:
        _keep_choice(vault, key, remember)
    except KeychainError as error:
        if on_keychain_error is None:
            store.close()
            raise
        on_keychain_error(error)
    except BaseException:
        store.close()
        raise
    return store


def remembered(home: Path) -> Store | None:
    """The store opened with the key this computer remembers, or None: then ask for the passphrase.

    A remembered key that fails for any reason also gives None, since the keychain entry may be
    stale; unlocking with the passphrase then reports what is really wrong.
    """
    try:
        return unlock(home)
    except EdgeCounselError:
        return None


def open_or_ask(home: Path, ask: Callable[[], Store | None]) -> Store | None:
    """The store opened with the remembered key, else what ``ask()`` returns (None: declined)."""
    store = remembered(home)
    return store if store is not None else ask()


def change_passphrase(home: Path, old: str, new: str) -> None:
    """Re-wrap the data key under ``new``; the database itself is not re-encrypted."""
    KeyVault(home).change_passphrase(old, new)


def forget_remembered_key(home: Path) -> bool:
    """Take the data key out of the OS keychain (uninstalling); False when there is no store."""
    vault = KeyVault(home)
    if not vault.exists():
        return False
    vault.forget()
    return True


def move_damaged_aside(home: Path, error: StoreCorruptError) -> Path:
    """Rename the damaged store that ``error`` names (nothing is deleted); the new name."""
    return move_aside(Path(getattr(error, "path", None) or Path(home) / DB_FILENAME))


def _data_key(vault: KeyVault, passphrase: str | None, create: bool) -> bytes:
    if not vault.exists():
        if not create:
            raise StoreMissingError(
                f"There is no store in {vault.home} ({KEYFILE_NAME} is missing). Check the data "
                "folder (--data-dir), or start Edge Counsel to set up a new store."
            )
        if passphrase is None:
            raise PassphraseNeededError("Choose a passphrase to set up your encrypted store.")
        return vault.create(passphrase)
    if passphrase is None:
        key = vault.remembered_key()
        if key is None:
            raise PassphraseNeededError(
                "This computer does not remember the key to your store: enter your passphrase."
            )
        return key
    return vault.unlock(passphrase)


def _open(vault: KeyVault, key: bytes) -> Store:
    try:
        return Store(open_store(vault.db_path, key), vault.db_path)
    except WrongPassphraseError:
        # AES-GCM (or the keychain) vouched for the key, so the database is at fault, not the user.
        why = f"the key in {KEYFILE_NAME} does not open it (damaged, or from another store)"
        raise corrupt_error(vault.db_path, why) from None


def _keep_choice(vault: KeyVault, key: bytes, remember: bool | None) -> None:
    if remember:
        vault.remember(key)
    elif remember is False:
        vault.forget()
