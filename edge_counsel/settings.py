"""Preferences that reveal nothing about what the user says.

Model choice, approach, region, window of context, auto-lock minutes, text size, theme and the
interface language: kept in plain JSON in the data directory, written atomically. Anything that
reveals content (the safety plan, a trusted contact, journal prompts, whether to suggest exercises)
lives in the encrypted store instead. Qt's QSettings is never used, so nothing lands in ~/.config
behind our back.

A setting that moves elsewhere is dropped from ``Settings``; ``retired_setting`` still reads its old
value once, so the startup can carry it over before the next save drops it from the file.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from . import paths
from .atomic import atomic_write

__all__ = ["Settings", "INTERFACE_LANGUAGES", "load_settings", "save_settings", "needs_disclosure", "retired_setting"]

_FILE = "settings.json"
INTERFACE_LANGUAGES = ("auto", "en", "zh")  # "auto": Chinese on a Chinese system locale, else English


@dataclass
class Settings:
    model: str | None = None  # a manifest id or a GGUF path; None is the embedded default
    approach: str = "person_centred"
    region: str | None = None  # None: from the locale
    region_asked: bool = False  # the first start's region question was answered
    n_ctx: int = 4096
    max_tokens: int = 384
    temperature: float | None = None  # None: the model's own setting (its manifest's "sampling")
    auto_lock_minutes: int = 15
    disclosure_seen: bool = False
    last_opened: str | None = None  # ISO date of the last start: the disclosure returns after a week away
    hotline_override: str | None = None  # an institution's directory file
    text_size: int = 0  # points; 0 is the system's size
    theme: str = "system"  # "system" (follow its light or dark scheme), "light" or "dark"
    gpu_layers: int | str = 0  # layers llama.cpp offloads to a GPU: a count, or "auto" for all
    interface_language: str = "auto"  # one of INTERFACE_LANGUAGES; read once, at start


def _raw(home: Path | None) -> dict:
    try:
        raw = json.loads(((home or paths.data_dir()) / _FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        # Missing or damaged, the preferences file must never stop the app: start from defaults.
        return {}
    return raw if isinstance(raw, dict) else {}


def load_settings(home: Path | None = None) -> Settings:
    known = {f.name for f in fields(Settings)}
    return Settings(**{k: v for k, v in _raw(home).items() if k in known})


def retired_setting(key: str, home: Path | None = None) -> Any:
    """The value settings.json still holds under ``key``, a setting Settings no longer has (None
    when absent). ``suggestions_enabled`` is one: the store's switch is now the only one."""
    if key in {f.name for f in fields(Settings)}:
        raise ValueError(f"{key!r} is a current setting: use load_settings()")
    return _raw(home).get(key)


DISCLOSURE_AFTER_DAYS = 7


def needs_disclosure(settings: Settings, today=None) -> bool:
    """Show the AI disclosure on first use and again after a week without use (Utah HB 452)."""
    from datetime import date

    today = today or date.today()
    if not settings.disclosure_seen or not settings.last_opened:
        return True
    try:
        last = date.fromisoformat(settings.last_opened)
    except ValueError:
        return True
    return (today - last).days >= DISCLOSURE_AFTER_DAYS


def save_settings(settings: Settings, home: Path | None = None) -> None:
    folder = home or paths.data_dir()
    atomic_write(folder / _FILE, json.dumps(asdict(settings), indent=2).encode("utf-8"))
