"""User-facing errors.

Every error a person can meet is a named class here, with a message that says what happened and
what to do next. Code below the UI raises these; the UI and the CLI show ``str(error)`` as is.
"""

__all__ = [
    "EdgeCounselError",
    "ModelNotFoundError",
    "ModelDownloadError",
    "ModelCorruptError",
    "ModelChecksumError",
    "NoChatTemplateError",
    "UnknownModelError",
    "ManifestError",
    "InputTooLongError",
    "WrongPassphraseError",
    "StoreCorruptError",
    "StoreLockedError",
    "DiskFullError",
    "ConversationNotFoundError",
    "JournalEntryNotFoundError",
    "CrisisEntryError",
    "StoreTooNewError",
    "KeyfileError",
    "StoreMissingError",
    "PassphraseNeededError",
    "EmptyPassphraseError",
    "KeychainError",
    "PassphraseFileError",
    "ExportFormatError",
    "KioskConfigError",
    "KioskPinError",
    "KioskLockedError",
]


class EdgeCounselError(Exception):
    """Base class: an error whose message is meant for the user."""


class ModelNotFoundError(EdgeCounselError):
    """The model file a manifest or path names is not on this computer."""


class ModelDownloadError(EdgeCounselError):
    """Fetching a model's packages from PyPI failed (no connection, no such release)."""


class ModelCorruptError(EdgeCounselError):
    """The model file exists but llama.cpp cannot read it."""


class ModelChecksumError(EdgeCounselError):
    """The model file's sha256 differs from the manifest's."""


class NoChatTemplateError(EdgeCounselError):
    """Neither the GGUF nor its manifest says how to format a conversation."""


class UnknownModelError(EdgeCounselError):
    """A model id that no manifest declares."""


class ManifestError(EdgeCounselError):
    """A model manifest file is malformed."""


class InputTooLongError(EdgeCounselError):
    """A message is longer than the model can take in one turn."""


class WrongPassphraseError(EdgeCounselError):
    """The passphrase does not unlock the encrypted store."""


class StoreCorruptError(EdgeCounselError):
    """The encrypted store exists but cannot be read as a database."""


class StoreLockedError(EdgeCounselError):
    """The store was used after it was locked."""


class DiskFullError(EdgeCounselError):
    """A write failed because the disk is full."""


class ConversationNotFoundError(EdgeCounselError):
    """No conversation has the given id."""


class JournalEntryNotFoundError(EdgeCounselError):
    """No journal entry has the given id."""


class CrisisEntryError(EdgeCounselError):
    """A journal entry that reads as a crisis gets crisis help, never a model's reflection."""

    def __init__(self, assessment=None) -> None:
        self.assessment = assessment  # the detector's RiskAssessment, for the crisis help to show
        super().__init__("There is no AI reflection for this entry: what you wrote matters too much for that. "
                         "Please look at the help that has opened.")


class StoreTooNewError(EdgeCounselError):
    """The store was written by a newer Edge Counsel than this one."""


class KeyfileError(EdgeCounselError):
    """keyfile.json is missing, damaged, or would overwrite an existing store."""


class StoreMissingError(KeyfileError):
    """No store has been set up in the data folder (there is no keyfile.json)."""


class PassphraseNeededError(EdgeCounselError):
    """No key is remembered on this computer, so the store needs its passphrase."""


class EmptyPassphraseError(EdgeCounselError, ValueError):
    """An empty passphrase was chosen; it would protect nothing."""


class KeychainError(EdgeCounselError):
    """The operating system keychain cannot remember or forget the key."""


class PassphraseFileError(EdgeCounselError):
    """The file named by --passphrase-file is missing, unreadable or empty."""


class ExportFormatError(EdgeCounselError):
    """An export was asked for in a format Edge Counsel cannot write."""


class HotlineConfigError(EdgeCounselError, ValueError):
    """A hotline directory file (packaged or an institution's override) is malformed."""


class KioskConfigError(EdgeCounselError, ValueError):
    """The kiosk configuration file is unreadable or has a setting of the wrong kind."""


class KioskPinError(EdgeCounselError, ValueError):
    """A new kiosk admin PIN is too short, not digits, or not typed the same twice. ``reason``
    ("digits", "short", "repeated", "differ") lets a window say it in its own language."""

    def __init__(self, message: str, reason: str) -> None:
        self.reason = reason
        super().__init__(message)


class KioskLockedError(EdgeCounselError):
    """Too many wrong kiosk admin PINs: entry is locked for a while."""
