"""Rule-based exercise suggestions that say why they were made.

The rules are data (``data/suggestions.json``), tried in order; the first rule that fires and that
the person has not dismissed gives one ``Suggestion``: an exercise id, a one-line reason naming the
concrete trigger ("You tagged “anxious” on 3 of the last 7 days ..."), the practice it is based
on, and the rule id to pass back in ``dismissed``. No model is involved, so a suggestion is
predictable and can always be explained.

``Suggestions`` is the one owner of what the person chose, kept in the encrypted store's private
settings: ``suggestions_enabled`` (the only on/off switch: "Turn off suggestions" clears it, the
exercises page sets it again) and ``dismissed_suggestions`` (rule id -> when "Not now" was pressed;
a dismissed rule stays quiet for ``DISMISS_DAYS``). It builds the rules' context from recent
check-ins and journal entries, and uses the store on the caller's thread only.

Crisis: a suggested exercise is never a substitute for crisis help. The caller runs the risk check
first and does not call ``suggest()`` on a turn the risk detector flags; it shows the crisis flow
instead. As a last guard only (it is not the crisis detector), ``suggest()`` returns None whenever
recent text contains a phrase from the ``crisis_veto`` list.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, AbstractSet, Any, Callable, Iterator, Mapping, Sequence

from .exercises import ContentError, Text, normalize_lang
from .mood import MoodCheckin, as_datetime, daily_average, day_of, tag_label
from ..paths import PACKAGE_DATA

if TYPE_CHECKING:
    from ..store.database import Store

__all__ = [
    "Suggestions",
    "DISMISS_DAYS",
    "Suggestion",
    "SuggestionContext",
    "Rule",
    "RuleSet",
    "parse_rules",
    "load_rules",
    "suggest",
    "trigger_names",
]

RULES_FILE = PACKAGE_DATA / "suggestions.json"
_VETO = "crisis_veto"
ENABLED_KEY, DISMISSED_KEY = "suggestions_enabled", "dismissed_suggestions"
DISMISS_DAYS = 7
_CHECKIN_DAYS = 14  # more than any rule's window
_JOURNAL_ENTRIES = 20  # newest first; the rules read only the last few days of them


def _now() -> datetime:
    return datetime.now().astimezone()


@dataclass(frozen=True)
class SuggestionContext:
    """What the rules may look at. ``journal`` holds (created_at, text) pairs, created_at a datetime
    or the store's ISO string; only entries from the last ``journal_days`` days (see the rules
    file) are read."""

    checkins: Sequence[MoodCheckin] = ()
    journal: Sequence[tuple[datetime | str, str]] = ()
    last_chat: str = ""
    now: datetime = field(default_factory=_now)


@dataclass(frozen=True)
class Suggestion:
    exercise_id: str
    reason: str
    basis: str
    rule_id: str
    preset: Mapping[str, Any] = field(default_factory=dict)  # answers to prefill, e.g. {"pattern": "box"}


@dataclass(frozen=True)
class Rule:
    id: str
    trigger: str
    exercise: str
    reason: Mapping[str, Text]  # by source ("chat", "journal") for word rules, else under ""
    basis: Text
    params: Mapping[str, Any]
    preset: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    phrases: Mapping[str, tuple[str, ...]]
    journal_days: int


# ---------------------------------------------------------------- matching text


def _normalize(text: str) -> str:
    """Typographic apostrophes become ASCII ones; the length is unchanged so match spans hold."""
    return text.translate({0x2019: "'", 0x2018: "'", 0x02BC: "'", 0xFF07: "'"})


def _phrase_regex(phrase: str) -> str:
    body = r"\s+".join(re.escape(word).replace("'", "'?") for word in phrase.split())
    if phrase[0].isascii() and phrase[0].isalnum():
        body = r"(?<![A-Za-z0-9])" + body
    if phrase[-1].isascii() and phrase[-1].isalnum():
        body += r"(?![A-Za-z0-9])"
    return body


@functools.lru_cache(maxsize=32)
def _pattern(phrases: tuple[str, ...]) -> re.Pattern:
    longest_first = sorted(phrases, key=len, reverse=True)
    return re.compile("|".join(_phrase_regex(p) for p in longest_first), re.IGNORECASE)


_CLAUSE = re.compile(r"[^.!?;,\n。！？；，、]+")
_QUOTE_LIMIT = 40


def _quote(text: str, start: int, end: int) -> str:
    """The clause around a match, so the reason quotes the person's own words."""
    for clause in _CLAUSE.finditer(text):
        if clause.start() <= start < clause.end():
            words = clause.group().strip()
            return words if len(words) <= _QUOTE_LIMIT else text[start:start + _QUOTE_LIMIT].strip() + "…"
    return text[start:end]


def _find(phrases: tuple[str, ...], text: str) -> str | None:
    match = _pattern(phrases).search(_normalize(text))
    return _quote(text, match.start(), match.end()) if match else None


def _recent_texts(context: SuggestionContext, days: int) -> Iterator[tuple[str, str]]:
    """(source, text): the last chat turn first, then recent journal entries, newest first."""
    if context.last_chat.strip():
        yield "chat", context.last_chat
    since = day_of(context.now) - timedelta(days=days - 1)
    newest_first = sorted(context.journal, key=lambda entry: as_datetime(entry[0]).timestamp(), reverse=True)
    for created_at, text in newest_first:
        if since <= day_of(created_at) <= day_of(context.now):
            yield "journal", text


def _recent_checkins(context: SuggestionContext, days: int) -> list[MoodCheckin]:
    today = day_of(context.now)
    return [c for c in context.checkins if today - timedelta(days=days - 1) <= c.day <= today]


# ---------------------------------------------------------------- triggers

Trigger = Callable[[Rule, SuggestionContext, RuleSet], "dict[str, Any] | None"]
_TRIGGERS: dict[str, Trigger] = {}


def _trigger(name: str) -> Callable[[Trigger], Trigger]:
    def register(fn: Trigger) -> Trigger:
        if name in _TRIGGERS:
            raise ValueError(f"suggestion trigger {name!r} is already registered")
        _TRIGGERS[name] = fn
        return fn
    return register


def trigger_names() -> list[str]:
    return sorted(_TRIGGERS)


@_trigger("words")
def _words(rule: Rule, context: SuggestionContext, rules: RuleSet) -> dict[str, Any] | None:
    """A phrase from the rule's phrase set in the last chat turn or a recent journal entry."""
    for source, text in _recent_texts(context, rules.journal_days):
        quote = _find(rules.phrases[rule.params["phrases"]], text)
        if quote:
            return {"source": source, "quote": quote}
    return None


@_trigger("tag_days")
def _tag_days(rule: Rule, context: SuggestionContext, rules: RuleSet) -> dict[str, Any] | None:
    """Any of the rule's tags on at least ``min_days`` distinct days of the last ``window_days``."""
    window, tags = rule.params["window_days"], rule.params["tags"]
    recent = _recent_checkins(context, window)
    days_by_tag = {tag: {c.day for c in recent if tag in c.tags} for tag in tags}
    days = set().union(*days_by_tag.values())
    if len(days) < rule.params["min_days"]:
        return None
    used = sorted((t for t in tags if days_by_tag[t]), key=lambda t: -len(days_by_tag[t]))
    return {"tags": used, "days": len(days), "window": window}


@_trigger("low_days")
def _low_days(rule: Rule, context: SuggestionContext, rules: RuleSet) -> dict[str, Any] | None:
    """A day's average mood at or below ``max_score`` on at least ``min_days`` of the last ``window_days``."""
    window, ceiling = rule.params["window_days"], rule.params["max_score"]
    daily = daily_average(_recent_checkins(context, window))
    low = [day for day, average in daily.items() if average <= ceiling]
    if len(low) < rule.params["min_days"]:
        return None
    return {"days": len(low), "window": window, "max": ceiling}


# ---------------------------------------------------------------- rules file

_RULE_KEYS = {"id", "trigger", "exercise", "reason", "basis", "preset"}


def _parse_reason(raw: Mapping, where: str) -> dict[str, Text]:
    if set(raw) <= {"en", "zh"}:
        return {"": Text.parse(raw, where)}
    return {source: Text.parse(text, f"{where}.{source}") for source, text in raw.items()}


def _parse_rule(raw: Mapping, phrases: Mapping[str, tuple[str, ...]]) -> Rule:
    where = f"suggestions.json rule {raw.get('id')!r}"
    if raw.get("trigger") not in _TRIGGERS:
        raise ContentError(f"{where}: unknown trigger {raw.get('trigger')!r}")
    rule = Rule(id=raw["id"], trigger=raw["trigger"], exercise=raw["exercise"],
                reason=_parse_reason(raw["reason"], f"{where}.reason"),
                basis=Text.parse(raw["basis"], f"{where}.basis"),
                params={k: v for k, v in raw.items() if k not in _RULE_KEYS}, preset=raw.get("preset", {}))
    words_ok = rule.params.get("phrases") in phrases and set(rule.reason) == {"chat", "journal"}
    if rule.trigger == "words" and not words_ok:
        raise ContentError(f"{where}: a words rule needs a known phrase set and a reason for chat and journal")
    return rule


def parse_rules(raw: Mapping) -> RuleSet:
    phrases = {name: tuple(items) for name, items in raw["phrases"].items()}
    rules = tuple(_parse_rule(r, phrases) for r in raw["rules"])
    if len({r.id for r in rules}) != len(rules):
        raise ContentError("suggestions.json: rule ids must be unique")
    return RuleSet(rules=rules, phrases=phrases, journal_days=int(raw.get("journal_days", 3)))


@functools.lru_cache(maxsize=4)
def load_rules(path: Path = RULES_FILE) -> RuleSet:
    """The rules file, read once per process; raises ContentError when it is malformed."""
    try:
        return parse_rules(json.loads(Path(path).read_text(encoding="utf-8")))
    except ContentError:
        raise
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ContentError(f"{Path(path).name}: cannot read: {exc!r}") from exc


# ---------------------------------------------------------------- suggest


def _vetoed(context: SuggestionContext, rules: RuleSet) -> bool:
    veto = rules.phrases.get(_VETO)
    if not veto:
        return False
    texts = [text for _, text in _recent_texts(context, rules.journal_days)]
    texts += [c.note for c in _recent_checkins(context, rules.journal_days) if c.note]
    return any(_find(veto, text) for text in texts)


def _tags_text(tags: list[str], lang: str) -> str:
    quoted = [f"“{tag_label(tag, lang)}”" for tag in tags]
    return ("或" if lang == "zh" else " or ").join(quoted)


def _build(rule: Rule, found: dict[str, Any], lang: str) -> Suggestion:
    fields = dict(found)
    if "tags" in fields:
        fields["tags"] = _tags_text(fields["tags"], lang)
    reason = rule.reason[found.get("source", "")].get(lang).format(**fields)
    return Suggestion(exercise_id=rule.exercise, reason=reason, basis=rule.basis.get(lang),
                      rule_id=rule.id, preset=dict(rule.preset))


def suggest(context: SuggestionContext, lang: str = "en", dismissed: AbstractSet[str] = frozenset(),
            rules: RuleSet | None = None) -> Suggestion | None:
    """The first rule that fires and is not in ``dismissed``, as a Suggestion; None when nothing
    fits (the usual case) or recent text mentions a crisis. Never call this on a crisis turn."""
    rules, lang = rules or load_rules(), normalize_lang(lang)
    if _vetoed(context, rules):
        return None
    for rule in rules.rules:
        if rule.id in dismissed:
            continue
        found = _TRIGGERS[rule.trigger](rule, context, rules)
        if found is not None:
            return _build(rule, found, lang)
    return None


# ---------------------------------------------------------------- the person's choices, in the store


class Suggestions:
    """What to suggest now, given the store's recent check-ins and journal, and the person's
    choices: suggestions on or off, and the rules dismissed with "Not now"."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @property
    def enabled(self) -> bool:
        return bool(self.store.get_private_setting(ENABLED_KEY, True))

    def set_enabled(self, on: bool) -> None:
        self.store.set_private_setting(ENABLED_KEY, bool(on))

    def adopt_retired_switch(self, enabled: Any) -> None:
        """settings.json once held a second ``suggestions_enabled``; the store's is now the only
        one. Off there stays off; on, or absent (None), changes nothing."""
        if enabled is False:
            self.set_enabled(False)

    def dismissed(self, now: datetime | None = None) -> set[str]:
        """Rule ids dismissed with "Not now" in the last DISMISS_DAYS days."""
        stored = self.store.get_private_setting(DISMISSED_KEY, {}) or {}
        if isinstance(stored, list):  # a bare list of ids: dismissed with no date, so for good
            return set(stored)
        since = (now or _now()) - timedelta(days=DISMISS_DAYS)
        return {rule for rule, when in stored.items() if as_datetime(when) >= since}

    def dismiss(self, rule_id: str, now: datetime | None = None) -> None:
        stamp = (now or _now()).isoformat()
        stored = self.store.get_private_setting(DISMISSED_KEY, {}) or {}
        stored = dict.fromkeys(stored, stamp) if isinstance(stored, list) else dict(stored)
        stored[rule_id] = stamp
        self.store.set_private_setting(DISMISSED_KEY, stored)

    def find(self, last_chat: str | None, lang: str, dismissed: AbstractSet[str] = frozenset(),
             now: datetime | None = None) -> Suggestion | None:
        """A suggestion from recent check-ins, journal entries and the last chat message, or None
        (the usual case; also when the store is closed or suggestions are turned off). Never call
        this on a crisis turn."""
        if not self.store.is_open or not self.enabled:
            return None
        now = now or _now()
        return suggest(self._context(last_chat, now), lang, set(dismissed) | self.dismissed(now))

    def _context(self, last_chat: str | None, now: datetime) -> SuggestionContext:
        rows = self.store.list_checkins(since=now - timedelta(days=_CHECKIN_DAYS))
        entries = self.store.list_journal_entries()[:_JOURNAL_ENTRIES]
        return SuggestionContext(checkins=[MoodCheckin.from_stored(r) for r in rows],
                                 journal=[(e.created_at, e.text) for e in entries],
                                 last_chat=last_chat or "", now=now)
