"""Where Edge Counsel keeps things on this computer.

The data directory holds the encrypted store, assembled model files and settings that reveal
nothing about the user. It is ``--data-dir``, else ``$EDGE_COUNSEL_HOME``, else the platform's
user data directory. Everything the app ships (model manifests included) is inside the package,
so an installed wheel needs no checkout beside it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

__all__ = ["data_dir", "models_dir", "manifest_dirs", "PACKAGE_DIR", "PACKAGE_DATA", "SHIPPED_MODELS"]

PACKAGE_DIR = Path(__file__).resolve().parent
PACKAGE_DATA = PACKAGE_DIR / "data"
SHIPPED_MODELS = PACKAGE_DATA / "models"  # the manifests we ship

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


def _bundle_models() -> Path | None:
    """A PyInstaller bundle's ``_internal/models``: the assembled model and its manifest."""
    bundle = getattr(sys, "_MEIPASS", None) if getattr(sys, "frozen", False) else None
    return Path(bundle) / "models" if bundle else None


def manifest_dirs() -> list[Path]:
    """Folders searched for model manifests: the user's own first, then a bundle's, then ours."""
    dirs = [models_dir(), _bundle_models(), SHIPPED_MODELS]
    return [d for d in dirs if d is not None and d.is_dir()]
