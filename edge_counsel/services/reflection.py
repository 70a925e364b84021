"""Journal reflection: a few themes, the emotional tone and one gentle observation for an entry.

The local model is asked first (``persona.reflection_instruction``) and its answer is parsed
leniently, because small models write messy JSON. Whatever the model returns, each field is
checked and any unusable one (missing, in the wrong language, an observation that only echoes the
entry) is replaced by the deterministic extractive reflection built from
``data/reflection_themes.json``; when the output guard finds the model's words unsafe, the whole
reflection is the extractive one.

Invariants: a reflection is always in the entry's language ("en" or "zh"); it never advises or
diagnoses; nothing here touches Qt or the disk (the caller saves ``to_dict()``); the data file is
read once per process.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any, Iterable, Sequence

from . import persona
from ..engine.llama import Engine, GenerationParams
from ..errors import InputTooLongError
from .exercises import normalize_lang
from ..safety.guard import default_guard
from ..lang import detect_language
from .mood import as_datetime
from ..paths import PACKAGE_DATA

__all__ = [
    "Reflection",
    "reflect",
    "parse_reflection",
    "extract_json_object",
    "fallback_reflection",
    "recent_context",
    "REFLECTION_PARAMS",
]

_DATA = PACKAGE_DATA / "reflection_themes.json"
REFLECTION_PARAMS = GenerationParams(max_tokens=160, temperature=0.2, seed=0)
MAX_THEMES = 3
_ENTRY_CHARS = 1500  # keeps the prompt well inside a 2048-token window
_RECENT_CHARS = 300
_RECENT_ENTRIES = 4
RECENT_DAYS = 21  # "include recent weeks": entries up to three weeks older than the one reflected on
_FIELD_CHARS = {"theme": 24, "tone": 24, "observation": 400}
_ECHO_SHARE = 0.7  # an observation whose 3-grams are mostly the entry's is an echo, not a reflection


@dataclass(frozen=True)
class Reflection:
    themes: list[str]
    tone: str
    observation: str
    lang: str
    source: str = "model"  # "model", "fallback", or "mixed" when some fields were replaced
    replaced: tuple[str, ...] = field(default=(), compare=False)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["replaced"] = list(self.replaced)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Reflection":
        return cls(list(data.get("themes", [])), data.get("tone", ""), data.get("observation", ""),
                   data.get("lang", "en"), data.get("source", "model"), tuple(data.get("replaced", ())))


@functools.lru_cache(maxsize=1)
def _data() -> dict:
    return json.loads(_DATA.read_text(encoding="utf-8"))


# ---------------------------------------------------------------- asking the model


def _clip(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


def _user_message(text: str, recent: Sequence[str], lang: str) -> str:
    prompt = _data()["prompt"]
    parts = []
    earlier = [t for t in recent if t.strip()][:_RECENT_ENTRIES]
    if earlier:
        parts.append(prompt["recent"][lang])
        parts += [f"- {_clip(t, _RECENT_CHARS)}" for t in earlier]
        parts.append("")
    parts += [prompt["entry"][lang], _clip(text, _ENTRY_CHARS), "", prompt["tail"][lang]]
    return "\n".join(parts)


def _ask(engine: Engine, text: str, recent: Sequence[str], lang: str) -> str:
    messages = [{"role": "system", "content": persona.reflection_instruction(lang)},
                {"role": "user", "content": _user_message(text, recent, lang)}]
    try:
        return "".join(engine.stream_chat(messages, REFLECTION_PARAMS))
    except InputTooLongError:
        return ""


def recent_context(entries: Iterable[Any], entry: Any, days: int = RECENT_DAYS) -> list[str]:
    """Texts of the entries written in the ``days`` before ``entry`` (objects with id, text and
    created_at, such as the store's), newest first, at most the few the prompt takes."""
    until = as_datetime(entry.created_at)
    since = until - timedelta(days=days)
    earlier = [e for e in entries if e.id != entry.id and since <= as_datetime(e.created_at) <= until]
    earlier.sort(key=lambda e: as_datetime(e.created_at), reverse=True)
    return [e.text for e in earlier[:_RECENT_ENTRIES]]


def reflect(engine: Engine, text: str, lang: str | None = None, recent: Sequence[str] = ()) -> Reflection:
    """Reflect on a journal entry (``recent``: earlier entries' texts, newest first, as context).

    ``lang`` defaults to the entry's own language. Always returns a usable reflection."""
    lang = normalize_lang(lang or detect_language(text))
    fallback = fallback_reflection(text, lang)
    parsed = parse_reflection(_ask(engine, text, recent, lang))
    if parsed is None or not _is_safe(parsed, lang):
        return fallback
    return _merge(parsed, fallback, text, lang)


# ---------------------------------------------------------------- parsing


def extract_json_object(raw: str) -> str | None:
    """The first {...} in ``raw``, braces matched outside strings; a truncated object is closed."""
    start = raw.find("{")
    if start < 0:
        return None
    stack, in_string, escaped = [], False, False
    for i in range(start, len(raw)):
        ch = raw[i]
        if in_string:
            in_string = escaped or ch != '"'
            escaped = not escaped and ch == "\\"
            continue
        if ch == '"':
            in_string = True
        elif ch in "{[":
            stack.append("}" if ch == "{" else "]")
        elif ch in "}]" and stack:
            stack.pop()
            if not stack:
                return raw[start:i + 1]
    tail = raw[start:].rstrip().rstrip(",")
    return tail + ('"' if in_string else "") + "".join(reversed(stack))


def _loads_lenient(obj: str) -> dict | None:
    candidates = (obj, re.sub(r",\s*([}\]])", r"\1", obj), obj.replace("'", '"'))
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        return value if isinstance(value, dict) else None
    return None


_FIELD_RE = {
    "themes": re.compile(r"""["']?themes["']?\s*[:：]\s*\[(.*?)[\]}]""", re.S | re.I),
    "tone": re.compile(r"""["']?tone["']?\s*[:：]\s*["“']([^"”']*)""", re.I),
    "observation": re.compile(r"""["']?observation["']?\s*[:：]\s*["“](.*?)(?:["”]\s*[,}\n]|$)""", re.S | re.I),
}


def _fields_by_regex(raw: str) -> dict:
    """Last resort for output json cannot read: pick each field out on its own."""
    found: dict[str, Any] = {}
    for key, pattern in _FIELD_RE.items():
        match = pattern.search(raw)
        if match:
            found[key] = match.group(1)
    if "themes" in found:
        found["themes"] = re.findall(r"""["“']([^"”']+)["”']""", found["themes"])
    return found


def _as_themes(value: Any) -> list[str]:
    if isinstance(value, str):
        value = re.split(r"[,，、;；/]", value)
    if not isinstance(value, list):
        return []
    themes = [str(v).strip().strip("\"'“”#").strip() for v in value if isinstance(v, (str, int, float))]
    unique = list(dict.fromkeys(t for t in themes if t and len(t) <= _FIELD_CHARS["theme"]))
    return unique[:MAX_THEMES]


def _as_text(value: Any, limit: int) -> str:
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    text = str(value).strip() if isinstance(value, (str, list)) else ""
    return text if len(text) <= limit else ""


def parse_reflection(raw: str) -> Reflection | None:
    """The model's fields as a Reflection (lang unset: ""), or None when nothing usable is there.
    Fields that are missing or malformed come back empty, to be filled from the fallback."""
    raw = raw or ""
    obj = extract_json_object(raw)
    data = (_loads_lenient(obj) if obj else None) or _fields_by_regex(raw)
    data = {str(k).strip().lower(): v for k, v in data.items()}
    themes = _as_themes(data.get("themes", []))
    tone = _as_text(data.get("tone", ""), _FIELD_CHARS["tone"])
    observation = _as_text(data.get("observation", ""), _FIELD_CHARS["observation"])
    if not (themes or tone or observation):
        return None
    return Reflection(themes, tone, observation, "")


# ---------------------------------------------------------------- checking the model's fields


def _is_safe(reflection: Reflection, lang: str) -> bool:
    words = "\n".join([*reflection.themes, reflection.tone, reflection.observation])
    return default_guard().screen(words, lang).safe


def _in_lang(text: str, lang: str) -> bool:
    return bool(text) and detect_language(text, default="") == lang


def _shingles(text: str) -> set[str]:
    letters = re.sub(r"[\W_]+", "", text.lower())
    return {letters[i:i + 3] for i in range(len(letters) - 2)}


def _echoes(observation: str, entry: str) -> bool:
    """True when the observation mostly repeats the entry's own words back."""
    own = _shingles(observation)
    return bool(own) and len(own & _shingles(entry)) / len(own) >= _ECHO_SHARE


_FIRST_PERSON = {"en": re.compile(r"\b(?:i|i'm|i've|i'll|me|my|myself)\b", re.I), "zh": re.compile("我")}
_SECOND_PERSON = {"en": re.compile(r"\b(?:you|your|you're|yourself)\b", re.I), "zh": re.compile("你|您")}


def _speaks_as_writer(observation: str, lang: str) -> bool:
    """"I feel ..." is the entry retold, not a reflection to its writer."""
    return bool(_FIRST_PERSON[lang].search(observation)) and not _SECOND_PERSON[lang].search(observation)


def _usable_observation(observation: str, entry: str, lang: str) -> bool:
    return _in_lang(observation, lang) and not _echoes(observation, entry) \
        and not _speaks_as_writer(observation, lang)


def _tone_conflicts(tone: str, entry: str) -> bool:
    """A cheerful tone for an entry the lexicon reads as distressed, or the other way round."""
    said, read = _tone_key(tone.lower()), _tone_key(entry.lower())
    distressed = {"anxious", "low", "angry"}
    return (said == "positive" and read in distressed) or (said in distressed and read == "positive")


def _merge(model: Reflection, fallback: Reflection, entry: str, lang: str) -> Reflection:
    themes = [t for t in model.themes if _in_lang(t, lang)]
    tone = model.tone if _in_lang(model.tone, lang) and not _tone_conflicts(model.tone, entry) else ""
    observation = model.observation if _usable_observation(model.observation, entry, lang) else ""
    replaced = tuple(name for name, value in (("themes", themes), ("tone", tone),
                                              ("observation", observation)) if not value)
    source = "fallback" if len(replaced) == 3 else "mixed" if replaced else "model"
    return Reflection(themes or fallback.themes, tone or fallback.tone,
                      observation or fallback.observation, lang, source, replaced)


# ---------------------------------------------------------------- the extractive fallback


@functools.lru_cache(maxsize=None)  # one per keyword in the data file
def _keyword_re(keyword: str) -> re.Pattern:
    if keyword.isascii():
        return re.compile(r"(?<![a-z])" + re.escape(keyword.lower()) + r"(?:s|es|ed|ing|d)?(?![a-z])")
    return re.compile(re.escape(keyword))


def _negated(low: str, start: int) -> bool:
    """A negator in the few words (or characters) just before ``start``, in the same clause."""
    window = re.split(r"[.,;:!?。，；：！？\n]", low[max(0, start - 16):start])[-1]
    negators = _data()["negators"]
    words = re.findall(r"[a-z']+", window)[-3:]
    return any(w in negators["en"] for w in words) or any(n in window[-3:] for n in negators["zh"])


def _hits(low: str, keywords: Sequence[str]) -> list[bool]:
    """One entry per keyword occurrence: whether that occurrence is negated."""
    return [_negated(low, m.start()) for k in keywords for m in _keyword_re(k).finditer(low)]


def _themes(low: str, lang: str) -> list[str]:
    scored = [(len(_hits(low, t["keywords"])), i, t["label"][lang]) for i, t in enumerate(_data()["themes"])]
    top = sorted((s for s in scored if s[0] > 0), key=lambda s: (-s[0], s[1]))[:MAX_THEMES]
    return [label for _, _, label in top] or [_data()["default_theme"][lang]]


def _tone_scores(low: str) -> dict[str, int]:
    scores = dict.fromkeys(_data()["tones"], 0)
    for name, tone in _data()["tones"].items():
        for negated in _hits(low, tone["keywords"]):
            if not negated:
                scores[name] += 1
            elif name == "positive":  # "not happy" reads as low; a negated worry counts for nothing
                scores["low"] += 1
    return scores


def _tone_key(low: str) -> str:
    scores = _tone_scores(low)
    best = max(scores.values())
    leaders = [name for name, score in scores.items() if score == best]
    if best == 0:
        return "neutral"
    return leaders[0] if len(leaders) == 1 else "mixed"


def _tone_label(key: str, lang: str) -> str:
    data = _data()
    if key in data["tones"]:
        return data["tones"][key]["label"][lang]
    return data[f"{key}_tone"][lang]


def fallback_reflection(text: str, lang: str | None = None) -> Reflection:
    """The deterministic reflection: keyword themes, lexicon tone, a templated observation."""
    lang = normalize_lang(lang or detect_language(text))
    low = text.lower()
    themes, tone = _themes(low, lang), _tone_key(low)
    observation = _data()["observations"][tone][lang].format(theme=themes[0])
    return Reflection(themes, _tone_label(tone, lang), observation, lang, "fallback",
                      ("themes", "tone", "observation"))
