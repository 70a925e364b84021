"""Journal reflection: a few themes, the emotional tone and one gentle observation for an entry.

The local model is asked (``persona.reflection_instruction``) and its answer is parsed leniently,
because small models write messy JSON. Then every field is checked against the instruction and
the entry, because a small model also echoes the instruction ("Tone: one or two words"), leaves
placeholders, retells the entry in the writer's voice, answers in the other language or reads a
cheerful tone into a distressed entry. A theme or tone that fails is left out; when the
observation fails, nothing parses, or the output guard finds the words unsafe, the reflection says
plainly that it could not reflect on this entry (``could_not_reflect``): a wrong reflection is
never shown as the AI's reading. The keyword lexicon in ``data/reflection_themes.json`` is what
the checks read the entry's themes and tone with.

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
    "check_reflection",
    "could_not_reflect",
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
_INSTRUCTION_SHARE = 0.6  # a Chinese field whose character pairs mostly come from the instruction


@dataclass(frozen=True)
class Reflection:
    themes: list[str]
    tone: str
    observation: str
    lang: str
    source: str = "model"  # "model"; "partial" when a theme or the tone was left out; "none"
    rejected: tuple[str, ...] = field(default=(), compare=False)  # "field: why", for each left out

    @property
    def reflected(self) -> bool:
        """False when this is the honest "I could not reflect on this one"."""
        return self.source != "none"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["rejected"] = list(self.rejected)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Reflection":
        return cls(list(data.get("themes", [])), data.get("tone", ""), data.get("observation", ""),
                   data.get("lang", "en"), data.get("source", "model"), tuple(data.get("rejected", ())))


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

    ``lang`` defaults to the entry's own language. Returns the model's checked reflection, or the
    honest ``could_not_reflect`` when what it wrote does not fit the entry."""
    lang = normalize_lang(lang or detect_language(text))
    parsed = parse_reflection(_ask(engine, text, recent, lang))
    if parsed is None:
        return could_not_reflect(lang, ("answer: nothing usable",))
    if not _is_safe(parsed, lang):
        return could_not_reflect(lang, ("answer: unsafe",))
    return check_reflection(parsed, text, lang)


def could_not_reflect(lang: str, rejected: Sequence[str] = ()) -> Reflection:
    """The honest answer when the model's reflection cannot be shown."""
    lang = normalize_lang(lang)
    return Reflection([], "", _data()["could_not_reflect"][lang], lang, "none", tuple(rejected))


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
    Fields that are missing or malformed come back empty (and fail ``check_reflection``)."""
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


def check_reflection(model: Reflection, entry: str, lang: str) -> Reflection:
    """``model``'s fields that fit the instruction and ``entry``; ``could_not_reflect`` when the
    observation does not. Each field left out is named in ``rejected`` with the reason."""
    rejected, themes = [], []
    for theme in model.themes:
        why = _theme_problem(theme, lang)
        (rejected.append(f"theme: {why}") if why else themes.append(theme))
    tone_why = _tone_problem(model.tone, entry, lang)
    if tone_why:
        rejected.append(f"tone: {tone_why}")
    observation_why = _observation_problem(model.observation, entry, lang)
    if observation_why:
        return could_not_reflect(lang, (*rejected, f"observation: {observation_why}"))
    if not themes and not model.themes:
        rejected.append("theme: empty")
    return Reflection(themes, "" if tone_why else model.tone, model.observation, lang,
                      "partial" if rejected else "model", tuple(rejected))


def _theme_problem(theme: str, lang: str) -> str | None:
    return _placeholder_or_echo(theme, lang) or _language_problem(theme, lang)


def _tone_problem(tone: str, entry: str, lang: str) -> str | None:
    if why := _placeholder_or_echo(tone, lang) or _language_problem(tone, lang):
        return why
    return "contradicts the entry" if _tone_conflicts(tone, entry) else None


def _observation_problem(observation: str, entry: str, lang: str) -> str | None:
    if why := _placeholder_or_echo(observation, lang) or _language_problem(observation, lang):
        return why
    if _echoes(observation, entry):
        return "repeats the entry"
    if _speaks_as_writer(observation, lang):
        return "speaks as the writer"
    if not _shares_content(observation, entry):
        return "shares nothing with the entry"
    return "contradicts the entry" if _tone_conflicts(observation, entry) else None


def _placeholder_or_echo(text: str, lang: str) -> str | None:
    if _is_placeholder(text):
        return "empty or a placeholder"
    return "repeats the instruction" if _echoes_instruction(text, lang) else None


def _language_problem(text: str, lang: str) -> str | None:
    return None if _in_lang(text, lang) else "wrong language"


def _is_safe(reflection: Reflection, lang: str) -> bool:
    words = "\n".join([*reflection.themes, reflection.tone, reflection.observation])
    return default_guard().screen(words, lang).safe


def _in_lang(text: str, lang: str) -> bool:
    return bool(text) and detect_language(text, default="") == lang


# Placeholders a small model leaves instead of a value: "N/A", "theme1", "...", "<tone>", "无".
_PLACEHOLDER = re.compile(r"(?:n/?a|none|null|nil|unknown|string|text|tbd|todo|example|sample|value|"
                          r"themes?\s*\d*|tones?|observations?|主题\s*\d*|情绪基调|基调|观察|无|空|未知|示例|略)",
                          re.I)
_TEMPLATE_MARK = re.compile(r"<[^<>]{0,40}>|\{[^{}]{0,40}\}|\[[^\[\]]{0,40}\]")
_EDGE_PUNCT = " \t\n.。…!！?？,，;；:：-—_*#\"'“”‘’「」()（）[]{}<>"


def _is_placeholder(text: str) -> bool:
    bare = text.strip(_EDGE_PUNCT)
    return not bare or bool(_PLACEHOLDER.fullmatch(bare)) or bool(_TEMPLATE_MARK.search(text))


_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_HAN_PAIR_SKIP = set("你我他她它的了是在也很都就着过吗呢吧啊和与或这那")


def _stem(word: str) -> str:
    """A crude stem, enough to match "exams" to "exam" and "worried" to "worry"."""
    word = word.split("'")[0]
    for suffix in ("ing", "ed", "es", "s", "ly"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word.replace("y", "i")[:5]


def _stems(text: str) -> list[str]:
    return [_stem(w) for w in _WORD.findall(text.lower())]


def _han_pairs(text: str) -> list[str]:
    pairs = []
    for run in re.findall(r"[\u4e00-\u9fff]+", text):
        pairs += [run[i:i + 2] for i in range(len(run) - 1)]
    return pairs


@functools.lru_cache(maxsize=2)
def _instruction_terms(lang: str) -> tuple[frozenset[str], frozenset[str], str]:
    """The instruction and prompt labels the model sees: word stems, Chinese pairs, and letters."""
    prompt = _data()["prompt"]
    text = " ".join([persona.reflection_instruction(lang), *(prompt[k][lang] for k in prompt)])
    return frozenset(_stems(text)), frozenset(_han_pairs(text)), _letters(text)


def _letters(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


def _echoes_instruction(text: str, lang: str) -> bool:
    """A field made of the instruction's own words ("one or two words", "用一两个词概括…")."""
    stems, pairs, letters = _instruction_terms(lang)
    own = _letters(text)
    if len(own) >= 8 and own in letters:
        return True
    words, han = _stems(text), _han_pairs(text)
    if len(words) >= 2 and all(w in stems for w in words):
        return True
    return len(han) >= 2 and sum(p in pairs for p in han) / len(han) >= _INSTRUCTION_SHARE


def _shingles(text: str) -> set[str]:
    letters = _letters(text)
    return {letters[i:i + 3] for i in range(len(letters) - 2)}


def _echoes(observation: str, entry: str) -> bool:
    """True when the observation mostly repeats the entry's own words back."""
    own = _shingles(observation)
    return bool(own) and len(own & _shingles(entry)) / len(own) >= _ECHO_SHARE


_FIRST_PERSON = {"en": re.compile(r"\b(?:i|i'm|i've|i'll|i'd|me|my|myself|mine)\b", re.I), "zh": re.compile("我")}
_SECOND_PERSON = {"en": re.compile(r"\b(?:you|your|you're|you've|yourself|yours)\b", re.I), "zh": re.compile("你|您")}
_CLAUSE = re.compile(r"[.;:!?。；：！？，、,\n]|\b(?:and|but|so|because)\b|而且|但是|因为|所以")


def _speaks_as_writer(observation: str, lang: str) -> bool:
    """A clause in the writer's own voice ("... and I feel like I'm letting everyone down"): the
    entry retold, not a reflection spoken to its writer."""
    return any(_FIRST_PERSON[lang].search(c) and not _SECOND_PERSON[lang].search(c)
               for c in _CLAUSE.split(observation))


_STOPWORDS = frozenset(_stem(w) for w in """
    the a an and or but so if then than that this these those there here what which who whom whose
    when where why how all any some many much more most very really just also even still only about
    into onto from with without for of on in at by to up out over under again once not no nor too
    you your yours yourself you're you've i me my mine myself we our they them their he she it its
    it's is am are was were be been being have has had do does did can could may might must shall
    should will would feel feeling feels felt seem seems seemed sound sounds sounded like lot lots
    bit thing things something anything everything way ways time one two writer entry week today
    """.split())


def _content_terms(text: str) -> set[str]:
    words = {w for w in _stems(text) if len(w) >= 3 and w not in _STOPWORDS}
    pairs = {p for p in _han_pairs(text) if not set(p) & _HAN_PAIR_SKIP}
    return words | pairs


def _concepts(text: str) -> set[str]:
    """The lexicon's themes and tones that ``text`` touches ("tests" and "exams" are both school)."""
    low = text.lower()
    themes = {t["id"] for t in _data()["themes"] if _hits(low, t["keywords"])}
    return themes | {name for name, score in _tone_scores(low).items() if score}


def _shares_content(observation: str, entry: str) -> bool:
    """The observation is about this entry: a content word, or a theme or feeling, in common."""
    return bool(_content_terms(observation) & _content_terms(entry)) or bool(_concepts(observation) & _concepts(entry))


def _tone_conflicts(tone: str, entry: str) -> bool:
    """A cheerful reading of an entry the lexicon reads as distressed, or the other way round."""
    said, read = _tone_key(tone.lower()), _tone_key(entry.lower())
    distressed = {"anxious", "low", "angry"}
    return (said == "positive" and read in distressed) or (said in distressed and read == "positive")


# ---------------------------------------------------------------- the keyword lexicon


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
    """The entry's tone as the lexicon reads it: a tone's name, "mixed" or "neutral"."""
    scores = _tone_scores(low)
    best = max(scores.values())
    leaders = [name for name, score in scores.items() if score == best]
    if best == 0:
        return "neutral"
    return leaders[0] if len(leaders) == 1 else "mixed"
