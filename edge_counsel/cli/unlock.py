"""Where a command-line run gets the passphrase of the encrypted store.

From ``--passphrase-file``, else a key the user asked this computer to remember, else a prompt on a
terminal. It is never taken from an argument or the environment, where other users of the machine
could read it. The unlocking itself is ``services.unlock``'s.
"""

from __future__ import annotations

import getpass
import sys

from .. import paths
from ..errors import PassphraseFileError
from ..services.unlock import open_or_ask, unlock
from ..store.keys import read_passphrase_file

__all__ = ["open_store_for"]


def open_store_for(args, *, create: bool = False, required: bool = True):
    """Unlock the store for a command: --passphrase-file, a remembered key, or a prompt on a tty.

    None when ``required`` is False and there is no way to get the passphrase.
    """
    home = paths.data_dir()
    passphrase_file = getattr(args, "passphrase_file", None)
    if passphrase_file:
        return unlock(home, read_passphrase_file(passphrase_file), create=create)
    return open_or_ask(home, lambda: _ask(home, create=create, required=required))


def _ask(home, *, create: bool, required: bool):
    if not required:
        return None
    if sys.stdin.isatty():
        return unlock(home, getpass.getpass("Edge Counsel passphrase: "), create=create)
    raise PassphraseFileError("This needs the passphrase of your encrypted store: give "
                              "--passphrase-file FILE, or run it in a terminal to be asked.")
