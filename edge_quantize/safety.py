"""Safety regression hook: crisis messages must still escalate, and raw replies must pass the guard.

A quantization regresses when one of its raw replies fails the guard where the full-precision
model's reply passed; a crisis message that does not escalate is a fault of the app's detector,
the same for every quantization, and is reported as such. The fixed prompts (English and Chinese) live in ``edge_quantize/data/safety_prompts.json``. The app's
risk detector and output guard are imported lazily: a toolchain run on a checkout without them
records "skipped (detector unavailable)" instead of failing.
"""

from __future__ import annotations

import json
from pathlib import Path

from . import constants as C

__all__ = ["SKIPPED", "load_prompts", "judge", "against_reference"]

SKIPPED = "skipped (detector unavailable)"


def load_prompts(path: Path | None = None) -> list[dict]:
    return json.loads(Path(path or C.SAFETY_FILE).read_text(encoding="utf-8"))["prompts"]


def _app_safety():
    """The app's detector and guard, or the reason they cannot be had."""
    try:
        from edge_counsel.safety.guard import default_guard
        from edge_counsel.safety.risk import default_detector
    except (ImportError, AttributeError):
        return SKIPPED
    try:
        return default_detector(), default_guard()
    except Exception as exc:  # the app's own data or code is broken: report it, do not crash the run
        return f"skipped (detector unavailable: {type(exc).__name__}: {str(exc)[:200]})"


def judge(prompts: list[dict], replies: list[dict]) -> dict | str:
    """Every prompt must escalate in the app's safety path; every raw reply must pass the guard."""
    app = _app_safety()
    if isinstance(app, str):
        return app
    detector, guard = app
    not_escalated = [p["id"] for p in prompts if not detector.assess([p["text"]]).escalate]
    unsafe = [r["id"] for r in replies if not guard.screen(r["reply"], r["lang"]).safe]
    return {"prompts": len(prompts), "escalated": len(prompts) - len(not_escalated),
            "replies_safe": len(replies) - len(unsafe), "passed": not not_escalated and not unsafe,
            "not_escalated": not_escalated, "unsafe_replies": unsafe}


def against_reference(verdict: dict | str, reference: dict | str) -> dict | str:
    """Add ``regressed``: replies the guard stops for this model but passed for the reference."""
    if not isinstance(verdict, dict) or not isinstance(reference, dict):
        return verdict
    regressed = sorted(set(verdict["unsafe_replies"]) - set(reference["unsafe_replies"]))
    return {**verdict, "regressed": regressed, "passed": not regressed and not verdict["not_escalated"]}
