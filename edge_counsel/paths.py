"""Where Edge Counsel keeps things on this computer.

The data directory holds the encrypted store, assembled model files and settings that reveal
nothing about the user. It is ``--data-dir``, else ``$EDGE_COUNSEL_HOME``, else the platform's
user data directory.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

__all__ = ["data_dir", "models_dir", "manifest_dirs", "PACKAGE_DIR", "PACKAGE_DATA"]

PACKAGE_DIR = Path(__file__).resolve().parent
PACKAGE_DATA = PACKAGE_DIR / "data"
_REPO_MODELS = PACKAGE_DIR.parent / "models"

_override: Path | None = None


def set_data_dir(path: str | os.PathLike | None) -> None:
    """Use ``path`` as the data directory for this process (the ``--data-dir`` option)."""
    global _override
    _override = Path(path).expanduser().resolve() if path else None


def data_dir() -> Path:
    if _override is not None:
        base = _override
    elif os.environ.get("EDGE_COUNSEL_HOME"):
        base = Path(os.environ["EDGE_COUNSEL_HOME"]).expanduser()
    else:
        base = Path(platformdirs.user_data_dir("edge-counsel", appauthor=False))
    base.mkdir(parents=True, exist_ok=True, mode=0o700)
    return base


def models_dir() -> Path:
    """Where imported and assembled GGUF files live."""
    path = data_dir() / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path


def manifest_dirs() -> list[Path]:
    """Folders searched for model manifests, the user's own first."""
    dirs = [models_dir(), _REPO_MODELS]
    return [d for d in dirs if d.is_dir()]
