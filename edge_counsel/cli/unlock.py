"""Unlock the encrypted store for a command-line run.

The passphrase comes from ``--passphrase-file``, else a key the user asked this computer to
remember, else a prompt on a terminal. It is never taken from an argument or the environment,
where other users of the machine could read it.
"""

from __future__ import annotations

import getpass
import sys

from .. import paths
from ..errors import PassphraseFileError
from ..store.keys import KeyVault, open_with_key, read_passphrase_file, unlock_store

__all__ = ["open_store_for"]


def open_store_for(args, *, create: bool = False, required: bool = True):
    """Unlock the store for a command: --passphrase-file, a remembered key, or a prompt on a tty."""
    home = paths.data_dir()
    passphrase_file = getattr(args, "passphrase_file", None)
    if passphrase_file:
        return unlock_store(home, read_passphrase_file(passphrase_file), create=create)
    vault = KeyVault(home)
    key = vault.remembered_key() if vault.exists() else None
    if key is not None:
        return open_with_key(vault, key)
    if sys.stdin.isatty() and required:
        return unlock_store(home, getpass.getpass("Edge Counsel passphrase: "), create=create)
    if not required:
        return None
    raise PassphraseFileError("This needs the passphrase of your encrypted store: give "
                              "--passphrase-file FILE, or run it in a terminal to be asked.")
