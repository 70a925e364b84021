"""The hotline directory: crisis and emergency lines by region, in English and Chinese.

Invariants:
- Every region has at least one line, and the directory always has the ``INTL`` fallback, so
  ``for_region`` answers for any region, known or not, and never raises.
- The data is ``data/hotlines.json``; an institution's override file of the same shape is merged
  region by region: its lines come first, a line with the same number replaces the packaged one,
  ``"replace": true`` drops the packaged lines of that region, a new region is added.
- A file that breaks the schema is refused with ``HotlineConfigError`` naming the file and the
  fix; nothing half-read is ever used.
- Nothing here touches the network or the user's data directory.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from ..errors import HotlineConfigError
from ..paths import PACKAGE_DATA

__all__ = [
    "Hotline",
    "RegionLines",
    "HotlineDirectory",
    "HotlineConfigError",
    "region_from_locale",
    "language_for_region",
    "FALLBACK",
    "LANGUAGE_REGIONS",
    "CHOOSE_REGION",
    "KINDS",
]

FALLBACK = "INTL"
# With no region chosen and none in the locale, the conversation's language picks these.
LANGUAGE_REGIONS = {"zh": ("CN", "HK", "TW")}
CHOOSE_REGION = {"en": "Not your region? Choose yours in Settings → Region, or with --region XX in the terminal.",
                 "zh": "不是你所在的地区？可以在“设置 → 地区”中选择，终端里用 --region XX。"}
KINDS = ("crisis", "emergency", "text")
_DEFAULT_FILE = PACKAGE_DATA / "hotlines.json"
_LINE_KEYS = ("name", "number", "kind", "hours", "verified")
# Territories whose locale names a country code the directory files under another code.
_REGION_ALIASES = {"UK": "GB"}


@dataclass(frozen=True)
class Hotline:
    name: str
    number: str
    kind: str  # one of KINDS
    hours: str
    verified: bool
    note: str = ""


@dataclass(frozen=True)
class RegionLines:
    region: str
    region_name: str
    lines: tuple[Hotline, ...]


class HotlineDirectory:
    """Regions -> raw entries (both languages), validated when loaded; text is picked on lookup."""

    def __init__(self, regions: dict[str, dict]) -> None:
        if FALLBACK not in regions:
            raise HotlineConfigError(f"The hotline directory has no {FALLBACK} region; add one.")
        self._regions = regions

    @classmethod
    def load(cls, override: Path | None = None) -> "HotlineDirectory":
        """The packaged directory, with ``override`` (an institution's file) merged over it."""
        regions = _read_regions(_DEFAULT_FILE)
        if override is not None:
            regions = _merge(regions, _read_regions(Path(override)))
        return cls(regions)

    def regions(self) -> list[str]:
        """Region codes, sorted, the fallback included."""
        return sorted(self._regions)

    def regions_for(self, region: str | None, lang: str = "en") -> list[str]:
        """The regions to show someone writing in ``lang``: their own region when it is known;
        otherwise the regions most people writing that language live in, then the fallback
        (Chinese: mainland China, Hong Kong, Taiwan, then INTL)."""
        code = _normalise_region(region)
        if code in self._regions and code != FALLBACK:
            return [code]
        return [r for r in LANGUAGE_REGIONS.get(_lang_key(lang), ()) if r in self._regions] + [FALLBACK]

    def region_in_use(self, chosen: str | None, locale_name: str | None = None) -> str | None:
        """The region whose lines to show: the one chosen (Settings, the kiosk's config) when the
        directory has it, else the system locale's, else None (then the writer's language picks,
        see ``regions_for``). Settings and the crisis panel both ask this, so they agree."""
        code = _normalise_region(chosen)
        if code in self._regions:
            return code
        from_locale = region_from_locale(locale_name, known=self._regions)
        return from_locale if from_locale != FALLBACK else None

    def for_person(self, region: str | None, lang: str = "en") -> list[RegionLines]:
        """``for_region`` for each of ``regions_for(region, lang)``."""
        return [self.for_region(code, lang) for code in self.regions_for(region, lang)]

    def for_region(self, region: str | None, lang: str = "en") -> RegionLines:
        """The lines for ``region`` in ``lang`` ("zh" or "en"); unknown or None gives INTL."""
        code = _normalise_region(region)
        if code not in self._regions:
            code = FALLBACK
        entry, key = self._regions[code], _lang_key(lang)
        lines = tuple(_hotline(line, key) for line in entry["lines"])
        return RegionLines(code, _text(entry.get("name", code), key), lines)


def language_for_region(region: str | None) -> str:
    """The language to speak to someone in ``region`` before they write: "zh" where most people
    write Chinese (``LANGUAGE_REGIONS``), else "en"."""
    code = _normalise_region(region)
    return next((lang for lang, codes in LANGUAGE_REGIONS.items() if code in codes), "en")


def region_from_locale(locale_name: str | None = None, *, known: Iterable[str] | None = None) -> str:
    """A region code for a locale such as "zh_CN", "en-US" or "zh_TW.UTF-8".

    ``None`` reads LC_ALL, LC_MESSAGES, then LANG. The answer is always one of ``known`` (the
    packaged directory's regions by default) or ``INTL``.
    """
    name = locale_name if locale_name is not None else _env_locale()
    known_set = set(known) if known is not None else set(_packaged_regions())
    code = _territory(name)
    return code if code in known_set else FALLBACK


def _env_locale() -> str:
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if os.environ.get(var):
            return os.environ[var]
    return ""


def _territory(locale_name: str) -> str:
    """The country part of a POSIX or BCP 47 locale name, upper-case; "" when there is none."""
    base = locale_name.split(".")[0].split("@")[0].replace("-", "_")
    parts = [p for p in base.split("_")[1:] if len(p) == 2 and p.isalpha()]
    if not parts:
        return ""
    return _normalise_region(parts[-1])


def _normalise_region(region: str | None) -> str:
    code = (region or "").strip().upper()
    return _REGION_ALIASES.get(code, code)


@lru_cache(maxsize=1)
def _packaged_regions() -> tuple[str, ...]:
    return tuple(_read_regions(_DEFAULT_FILE))


def _lang_key(lang: str | None) -> str:
    """"zh" for any Chinese tag and for mixed Chinese/English, as crisis_replies does; else "en"."""
    tag = (lang or "").lower()
    return "zh" if tag.startswith("zh") or tag == "mixed" else "en"


def _text(value: str | dict, key: str) -> str:
    if isinstance(value, str):
        return value
    return value.get(key) or value.get("en") or ""


def _hotline(line: dict, key: str) -> Hotline:
    return Hotline(
        name=_text(line["name"], key),
        number=line["number"],
        kind=line["kind"],
        hours=_text(line["hours"], key),
        verified=line["verified"],
        note=_text(line.get("note", ""), key),
    )


def _merge(base: dict[str, dict], override: dict[str, dict]) -> dict[str, dict]:
    """``override`` wins region by region; see the module docstring for the rules."""
    merged = dict(base)
    for code, entry in override.items():
        merged[code] = _merge_region(base.get(code), entry)
    return merged


def _merge_region(base: dict | None, entry: dict) -> dict:
    if base is None:
        return entry
    lines = entry["lines"]
    if not entry.get("replace"):
        numbers = {_digits(line["number"]) for line in lines}
        lines = [*lines, *(line for line in base["lines"] if _digits(line["number"]) not in numbers)]
    return {"name": entry.get("name", base.get("name")), "lines": lines}


def _digits(number: str) -> str:
    """A number without spaces or dashes, so "116 123" and "116123" are the same line."""
    return "".join(number.split()).replace("-", "")


# --- reading and validation -------------------------------------------------------------------

def _read_regions(path: Path) -> dict[str, dict]:
    """The file's regions keyed by upper-case code, each validated; raises HotlineConfigError."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise HotlineConfigError(f"Cannot read the hotline file {path}: {exc}. "
                                 "Fix the file (it must be JSON in UTF-8) or remove it.") from exc
    regions = raw.get("regions") if isinstance(raw, dict) else None
    if not isinstance(regions, dict) or not regions:
        raise HotlineConfigError(f"The hotline file {path} has no \"regions\" object. Write "
                                 '{"regions": {"CN": {"name": {...}, "lines": [...]}}}.')
    return {_normalise_region(code): _checked_region(f"In the hotline file {path}, region {code!r}", entry)
            for code, entry in regions.items()}


def _checked_region(where: str, entry: object) -> dict:
    if not isinstance(entry, dict):
        raise HotlineConfigError(f'{where}: write an object with "name" and "lines".')
    lines = entry.get("lines")
    if not isinstance(lines, list) or not lines:
        raise HotlineConfigError(f'{where}: "lines" must be a list with at least one line.')
    if "name" in entry:
        _check_text(where, "name", entry["name"])
    if not isinstance(entry.get("replace", False), bool):
        raise HotlineConfigError(f'{where}: "replace" must be true or false.')
    for i, line in enumerate(lines):
        _check_line(f"{where}, line {i + 1}", line)
    return entry


def _check_line(where: str, line: object) -> None:
    if not isinstance(line, dict):
        raise HotlineConfigError(f"{where}: write an object with {', '.join(_LINE_KEYS)}.")
    missing = [k for k in _LINE_KEYS if k not in line]
    if missing:
        raise HotlineConfigError(f"{where}: add the missing {', '.join(missing)}.")
    if not isinstance(line["number"], str) or not line["number"].strip():
        raise HotlineConfigError(f'{where}: "number" must be a non-empty string, e.g. "12356".')
    if line["kind"] not in KINDS:
        raise HotlineConfigError(f"{where}: kind {line['kind']!r} is unknown; use one of {', '.join(KINDS)}.")
    if not isinstance(line["verified"], bool):
        raise HotlineConfigError(f'{where}: "verified" must be true or false.')
    for key in ("name", "hours", "note"):
        if key in line:
            _check_text(where, key, line[key])


def _check_text(where: str, key: str, value: object) -> None:
    """Text is a non-empty string, or {"en": ..., "zh": ...} of strings with at least "en"."""
    if isinstance(value, str) and value.strip():
        return
    if (isinstance(value, dict) and isinstance(value.get("en"), str) and value["en"].strip()
            and all(isinstance(v, str) for v in value.values())):
        return
    raise HotlineConfigError(f'{where}: "{key}" must be text or {{"en": "...", "zh": "..."}} '
                             '(at least "en").')
