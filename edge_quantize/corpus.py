"""Calibration and evaluation text.

Invariant: the text a model is judged on is never text it was calibrated on. ``shared_passages``
finds any long run of characters the two share, and the pipeline refuses such a pair.
"""

from __future__ import annotations

import re
from pathlib import Path

from . import constants as C
from .errors import CalibrationError

__all__ = ["read_text", "exchanges", "shared_passages", "check_held_out"]

_SPACE = re.compile(r"\s+")


def read_text(path: str | Path | None, default: Path) -> tuple[str, str]:
    """The text of ``path`` (or of the shipped default) and a short name for reports."""
    chosen = Path(path) if path else default
    try:
        text = chosen.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CalibrationError(f"Cannot read {chosen} as UTF-8 text ({exc}). Give a plain-text file.") from exc
    if not text.strip():
        raise CalibrationError(f"{chosen} is empty. Give a file with counseling-style text.")
    return text, chosen.name


def exchanges(text: str) -> list[str]:
    """The blank-line separated exchanges of a corpus."""
    return [block.strip() for block in re.split(r"\n\s*\n", text) if block.strip()]


def _normalized(text: str) -> str:
    return _SPACE.sub(" ", text).strip().lower()


def shared_passages(a: str, b: str, n: int = 32) -> list[str]:
    """Runs of ``n`` characters (whitespace normalized) that occur in both texts."""
    a, b = _normalized(a), _normalized(b)
    grams = {a[i:i + n] for i in range(max(len(a) - n + 1, 0))}
    return sorted({b[i:i + n] for i in range(max(len(b) - n + 1, 0)) if b[i:i + n] in grams})


def check_held_out(calibration: str, evaluation: str) -> None:
    shared = shared_passages(calibration, evaluation)
    if shared:
        raise CalibrationError(f"The evaluation text shares {len(shared)} passages with the calibration text "
                               f"(e.g. '{shared[0]}'). Evaluate on held-out text, such as {C.EVAL_FILE.name}.")
