"""Crisis risk detection that runs on every user message before any model sees it.

The product's first duty is never to leave a person in crisis without a route to a human, so this
check must not depend on the model: it works with no model loaded, a broken model, or a model that
misreads the message.

Invariants:
- No language model, no network, no randomness: the same turns always give the same assessment.
- No I/O beyond reading the JSON files in ``data/risk`` once, when a detector is built. Every cue
  word, pattern, level and combination rule lives in those files; this module holds only the
  machinery (normalise, find cues, scope them, combine them).
- Standard library only (edge_counsel.paths is imported just to find the data folder, and
  risk_model for the learned stage, itself stdlib only); importing it pulls in neither Qt nor
  llama.cpp.
- Patterns are compiled once per detector; per-turn scans are cached, so a conversation's earlier
  turns cost nothing when the next message is assessed. A kind's patterns are searched only where
  one of the literal strings every match must contain occurs in the text (``literals.py``).
  Matching is linear in the text (no nested unbounded repeats): well under 2 ms for an ordinary
  message, about 12 µs per character beyond.
- A cue is dropped only by an explicit rule in the data: negation ("I'm not suicidal"), figurative
  use ("dying of boredom", "累死了"), someone else as the subject (a novel, the news), a quotation,
  or a topic frame (an essay, a game) for cues that do not name the writer.
- Every kind that the data names is checked at load time; a typo fails loudly instead of never
  firing.

How a message is judged: the text is normalised (NFKC, lowercase, zero-width characters removed,
spelled-out and leetspeak words rejoined, slang such as "kms" or "紫砂" rewritten), cues are found
per kind, and each kind has a level. Weak cues (a time, a means, a vague farewell) count when they
combine with others, in the same sentence or across the conversation. Earlier user turns count in
full when the assessed message carries a risk-related cue; otherwise the last few turns still
count (a bland "maybe I should just do it" after "nobody would care if I died"), unless the writer
has since taken it back or said things are better.

A learned second stage (``classifier.py``, stored as ``data/risk/classifier.json``, averaged with
the meaning-based ``encoder.py`` where that ships and can run) gets a say:
where the rules do not take over, it can raise the level to "moderate" (the check) or "high" (the
takeover) with its category guess, and a farewell it is sure of gets the takeover; where the rules
say moderate or high on words the learned stage finds very unlikely to mean risk (a figure of
speech, a recovered past), it lowers the verdict to "low". An imminent verdict is never lowered.
The n-gram thresholds come from cross-validation; those for the average are matched to them on
development sets (tools/train_risk_encoder.py).
"""

from __future__ import annotations

import bisect
import functools
import json
import logging
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from ..lang import to_simplified
from .classifier import load_classifier
from .literals import LiteralIndex, required

__all__ = ["CATEGORIES", "LEVELS", "RESPONSES", "RiskAssessment", "RiskDetector", "default_detector"]

log = logging.getLogger(__name__)

CATEGORIES = ("suicidal_ideation", "passive_ideation", "plan_method_means", "attempt_in_progress",
              "self_harm", "abuse", "harm_to_others", "warning_signs", "disordered_eating")
LEVELS = ("none", "low", "moderate", "high", "imminent")

# The graded response shared by the window, the kiosk and the terminal.
RESPONSES = {"none": "counselor", "low": "counselor", "moderate": "check", "high": "takeover",
             "imminent": "takeover"}

_RANK = {level: rank for rank, level in enumerate(LEVELS)}
_ESCALATE_RANK = _RANK["moderate"]  # categories are named from this level up
_TAKEOVER_RANK = _RANK["high"]
_MAX_REASONS = 8
# A first-person statement of a wish, intent, plan or act of suicide in the last message is hard to
# overrule: "我今年初二 天天被我爸骂被同学笑 我想去死" reads as ordinary school trouble to the n-grams
# (p=0.04, under the veto threshold), and a veto there would leave a child who said it with nothing.
# A fear of acting on it ("I'm scared I'll do something stupid", "我怕我会做傻事": p=0.2) is one too.
# A passive wish said in the present ("Every morning I wake up disappointed that I woke up", "老天
# 早点把我收走算了") is one as well: the n-grams read them as tiredness. Told with a marker of the
# past ("I used to think they'd be better off without me") it is left to the usual veto.
_STATED = frozenset({"active", "intent", "plan", "method_query", "attempt", "fear_of_acting"})
# A farewell or a preparation (a note written, things given away, a pet rehomed "for a while"),
# the Columbia screener's preparatory behaviour, needs the takeover; the acute head, trained on
# cases that mostly marked farewells for the check, gives them 0.2-0.5. Where the learned stage is
# this sure that a message needs help at all and names it a warning sign, it takes over. Over
# 26,370 read and training cases this moved 363 crises to the takeover and no look-alike,
# ordinary or answered-"no" case (0.97 moved 259; blind v14 and v15 writers marked 25 of 27
# farewells for the takeover). At 0.9 (development round u, whose farewells the check kept: "存折
# 房产证放在衣柜第二层…这辈子也没什么遗憾"), over about 28,000 cases 141 more crises reached the
# takeover, and one look-alike already at the check; at 0.85, two more look-alikes.
_FAREWELL_RISK = 0.9
# A first-person statement is overruled only below this share of the veto threshold (a psych-class
# question, a past "I thought about ending it" told from recovery: p < 0.03). 0.34 of the blended
# threshold (0.219 since the v19 rules, which caught crises the n-grams do not know, so the trainer
# lowered its veto) is about 0.074, where 0.3 put it before; at 0.3, six read jokes and recovered
# pasts ("kms i forgot my lunch", "以前真係成日想死 而家…好好多") escaped the veto to the takeover.
_STATED_VETO_SHARE = 0.34
# Read without its laughter, a message is taken over only when the learned stage is this sure of it:
# over the 1,085 read and training cases with laughter, at 0.8 no look-alike, ordinary or answered-no
# case rose (at 0.75 two did: "if the radio plays that song one more time im jumping out the window
# haha", a cat knocking a pill bottle over "lol").
_LAUGHING_RISK = 0.8
# The learned stage's check becomes the takeover where its category meets a rule's sign that the
# danger is now: disordered eating with a body in danger (fainting, a racing heart, blood), abuse
# with danger from the abuser (a hand on the throat, a locked door, the keys taken, a death threat,
# a weapon) or with a time that makes it now (tonight, today) or a place hidden in, self-harm with
# a wound in danger (infected, bleeding that will not stop).
_DANGER_KINDS = {"disordered_eating": frozenset({"body_alarm"}),
                 "abuse": frozenset({"abuse_danger", "time", "hiding"}),
                 "self_harm": frozenset({"wound_danger"})}
_DANGER = frozenset().union(*_DANGER_KINDS.values())
_SPACES = re.compile(r"\s+")
# Laughter in both languages, and emoji (faces, hands, sparkles): what a message reads as without them.
_LAUGHTER = re.compile(r"(?i)(?<![a-z])(?:lol+|lmao+|lmfao|rofl|(?:ha){2,}h?|hehe\w*|xd)(?![a-z])|(?:哈|呵|嘿|嘻){2,}"
                       r"|[\U0001F600-\U0001F64F\U0001F910-\U0001F9FF\U0001F480\U0001F44D\U0001F44B\u2728]")
_ACCENTED = re.compile("[\u00c0-\u024f\u0300-\u036f]")
_LONE_ONE = re.compile(r"(?<![\w.,])1(?= [a-z])")
_PINYIN_GAP = re.compile(r"[\s\-_.']+")


@dataclass(frozen=True)
class RiskAssessment:
    """The verdict on one message. ``escalate`` means the takeover (level high or imminent:
    hotlines, safety plan, scripted text at once); ``moderate`` means the counselor answers with
    an in-conversation safety check (``RESPONSES`` names each level's behaviour).

    ``step`` and ``answer`` are set when the message answered one of the app's screening
    questions (``screening.py``)."""

    escalate: bool
    level: str
    categories: tuple[str, ...]
    reasons: tuple[str, ...]
    step: str | None = None
    answer: str | None = None

    @property
    def response(self) -> str:
        """"counselor", "check" or "takeover": what every front end does at this level."""
        return RESPONSES[self.level]

    def at_least(self, level: str) -> bool:
        return _RANK[self.level] >= _RANK[level]

    def to_dict(self) -> dict:
        out = {"escalate": self.escalate, "level": self.level,
               "categories": list(self.categories), "reasons": list(self.reasons)}
        if self.step is not None:
            out.update(step=self.step, answer=self.answer)
        return out

    @classmethod
    def from_dict(cls, d: dict) -> "RiskAssessment":
        level = d.get("level") or "none"
        return cls(_RANK[level] >= _TAKEOVER_RANK, level, tuple(d.get("categories", ())),
                   tuple(d.get("reasons", ())), d.get("step"), d.get("answer"))


NO_RISK = RiskAssessment(False, "none", (), ())


@dataclass(frozen=True)
class _Kind:
    name: str
    rank: int
    category: str | None
    label: str
    links_context: bool
    blocks_carry: bool
    negated_kind: str | None


@dataclass(frozen=True)
class _Hit:
    kind: str
    text: str
    sentence: int
    unnamed: bool  # no named subject, or inside quotes: a topic frame (essay, game) mutes it
    turn: int = 0


@dataclass(frozen=True)
class _Scan:
    hits: tuple[_Hit, ...]
    frames: frozenset[str]
    short: bool
    explained: bool = False  # a risk cue here was explained away (negated, figurative, someone else's)


_DROPPED = _Hit("", "", -1, False)  # what _scope answers for a risk cue that scoping explains away


@dataclass(frozen=True)
class _Combo:
    groups: tuple[frozenset[str], ...]
    also_needs: frozenset[str]
    scope: str
    rank: int
    category: str | None
    label: str


@dataclass(frozen=True)
class _Cancel:
    by: frozenset[str]
    drop: frozenset[str]
    unless: frozenset[str]
    scope: str


# -- loading ---------------------------------------------------------------------------------------

def _default_data_dir() -> Path:
    from ..paths import PACKAGE_DATA

    return PACKAGE_DATA / "risk"


def _read(data_dir: Path, name: str) -> dict:
    with open(data_dir / name, encoding="utf-8") as f:
        return json.load(f)


def _expand(pattern: str, macros: dict[str, str]) -> str:
    for name, value in macros.items():
        pattern = pattern.replace(name, value)
    return pattern


def _join(patterns: Iterable[str], macros: dict[str, str]) -> re.Pattern | None:
    parts = [f"(?:{_expand(p, macros)})" for p in patterns]
    return re.compile("|".join(parts)) if parts else None


def _needles(patterns: Iterable[str], macros: dict[str, str]) -> frozenset[str] | None:
    """Strings of which any match of one of ``patterns`` contains one (``literals.required`` of
    each, together), or None where a pattern has none."""
    union: set[str] = set()
    for pattern in patterns:
        needles = required(_expand(pattern, macros))
        if needles is None:
            return None
        union |= needles
    return frozenset(union)


def _kinds(spec: dict) -> dict[str, _Kind]:
    return {name: _Kind(name, _RANK[k["level"]], k.get("category"), k["label"],
                        k.get("links_context", True), k.get("blocks_carry", False), k.get("negated_kind"))
            for name, k in spec["kinds"].items()}


def _combos(spec: dict) -> tuple[_Combo, ...]:
    return tuple(_Combo(tuple(frozenset(g) for g in c["groups"]), frozenset(c.get("also_needs", ())),
                        c["scope"], _RANK[c["level"]], c.get("category"), c["label"])
                 for c in spec["combos"])


def _check_kind_names(spec: dict, known: set[str]) -> None:
    """Every kind that kinds.json refers to must be defined there."""
    named = {k["negated_kind"] for k in spec["kinds"].values() if k.get("negated_kind")}
    for combo in spec["combos"]:
        named.update(*combo["groups"], combo.get("also_needs", ()))
    for cancel in spec["cancels"]:
        named.update(cancel["by"], cancel["drop"], cancel.get("unless", ()))
    for frame in spec["frames"].values():
        named.update(frame["mute_always"])
    named.update(spec["third_party_kinds"], spec["third_party_kinds"].values())
    if named - known:
        raise ValueError(f"risk kinds.json refers to undefined kinds: {sorted(named - known)}")


def _cancels(spec: dict) -> tuple[_Cancel, ...]:
    return tuple(_Cancel(frozenset(c["by"]), frozenset(c["drop"]), frozenset(c.get("unless", ())),
                         c["scope"]) for c in spec["cancels"])


class _Normalizer:
    """Turns raw text into the canonical form every pattern is written against."""

    def __init__(self, spec: dict, pinyin: dict[str, str] | None = None):
        spellings = sorted(pinyin or {}, key=len, reverse=True)
        self._pinyin = pinyin or {}
        self._pinyin_re = re.compile(
            "(?<![a-z])(?:" + "|".join(p.replace(" ", r"[\s\-_.']*") for p in spellings) + ")(?![a-z])"
        ) if spellings else None
        table = {ord(c): None for c in spec["zero_width"] + list(spec["drop_chars"])}
        table.update({ord(k): v for k, v in spec["char_map"].items()})
        self._table = table
        self._spelled = re.compile(spec["spelled"])
        self._gaps = re.compile(spec["spelled_separators"] + "+")
        self._in_word = [(re.compile(f"(?<=[a-z]){re.escape(k)}(?=[a-z])"), v)
                         for k, v in spec["leet_in_word"].items()]
        self._leet_token = re.compile(spec["leet_token"])
        self._leet_keep = re.compile(spec["leet_keep"])
        self._leet = str.maketrans(spec["leet_map"])
        self._leet_chars = re.compile("[" + re.escape("".join(spec["leet_map"])) + "]")
        self._repeats = re.compile(spec["repeats"])
        self._han_separators = re.compile(spec["han_separators"])
        self._slang = [(re.compile(p), r) for p, r in spec["slang"]]
        self._words: dict[str, str] = spec["words"]
        keys = sorted(self._words, key=len, reverse=True)
        self._word_re = re.compile("(?<![a-z0-9])(?:" + "|".join(re.escape(k) for k in keys) + ")(?![a-z0-9])")
        self._slang_after = [(re.compile(p), r) for p, r in spec["slang_after"]]
        self._han_latin = re.compile(spec["han_latin_boundary"])
        self._apostrophe = re.compile(spec["apostrophe"])
        self._quote = str.maketrans({c: '"' for c in spec["quote_chars"]})

    def __call__(self, text: str) -> str:
        t = to_simplified(unicodedata.normalize("NFKC", text)).translate(self._table).lower()
        t = self._apostrophe.sub("", t).translate(self._quote)
        if _ACCENTED.search(t):
            t = "".join(c for c in unicodedata.normalize("NFD", t) if unicodedata.category(c) != "Mn")
        t = self._spelled.sub(self._rejoined, t)
        t = self._deleet(t)
        if self._pinyin_re is not None:
            t = self._pinyin_re.sub(self._from_pinyin, t)
        t = self._han_separators.sub("", self._repeats.sub(r"\1", t))
        t = self._rewrite(self._slang, t)
        t = self._word_re.sub(lambda m: self._words[m.group()], t)
        t = self._rewrite(self._slang_after, t)
        return _SPACES.sub(" ", self._han_latin.sub(" ", t)).strip()

    def _rejoined(self, m: re.Match) -> str:
        """A spelled-out run with its letters joined again. Where the letters are parted by dots or
        dashes, a bare space parts words ("k.i.l.l m.y.s.e.l.f"); where spaces part the letters, a
        wider one does ("e n d  i t"); with no such gap the run is one word."""
        text = m.group()
        gaps = self._gaps.findall(text)
        dotted = any(g.strip(" ") for g in gaps)
        narrowest = min(map(len, gaps))

        def parts_words(gap: str) -> bool:
            return not gap.strip(" ") if dotted else len(gap) > narrowest

        return self._gaps.sub(lambda g: " " if parts_words(g.group()) else "", text)

    def _from_pinyin(self, m: re.Match) -> str:
        """The Han phrase a pinyin spelling stands for ("wo-gui", "wogui" -> 卧轨)."""
        spaced = _PINYIN_GAP.sub(" ", m.group()).strip()
        return self._pinyin.get(spaced) or self._pinyin.get(spaced.replace(" ", ""), m.group())

    @staticmethod
    def _rewrite(rules: list[tuple[re.Pattern, str]], text: str) -> str:
        for pattern, replacement in rules:
            text = pattern.sub(replacement, text)
        return text

    def _deleet(self, text: str) -> str:
        for pattern, letter in self._in_word:
            text = pattern.sub(letter, text)
        if not self._leet_chars.search(text):
            return text
        mapped = self._leet_token.sub(self._deleet_token, text)
        if mapped != text:  # a lone "1" among leetspeak words is "i" ("1 w4nt t0 d13")
            mapped = _LONE_ONE.sub("i", mapped)
        return mapped

    def _deleet_token(self, m: re.Match) -> str:
        token = m.group()
        if not self._leet_chars.search(token) or self._leet_keep.fullmatch(token):
            return token
        return token.translate(self._leet)


class _Grammar:
    """Sentence and clause boundaries, who a cue is about, and whether it is negated."""

    def __init__(self, spec: dict):
        self.macros: dict[str, str] = spec["macros"]
        self.sentence = re.compile(spec["sentence_boundary"])
        self.clause = re.compile(spec["clause_boundary"])
        self.self_or_other = re.compile(f"(?P<self>{spec['self_refs']})|(?P<other>{spec['other_refs']})")
        self.close = re.compile(spec["close_refs"])
        self.negation = re.compile(spec["negation"])
        self.reported = re.compile(spec["reported_speech"])
        self.past = re.compile(spec["past_markers"])
        self.other_after = re.compile(spec["other_after"])
        self.quotes = re.compile(spec["quotes"])

    def subject(self, clause: str, sentence: str) -> str:
        """'self', 'other' or 'none': the last person named before the cue."""
        for span in (clause, sentence):
            last = None
            for last in self.self_or_other.finditer(span):
                pass
            if last is not None:
                return "self" if last.lastgroup == "self" else "other"
        return "none"


@dataclass(frozen=True)
class _Matcher:
    kind: str
    bare: bool
    regex: re.Pattern
    needles: frozenset[str] | None  # one of them occurs wherever the regex matches (None: unknown)


class _TurnText:
    """One normalised turn with its sentence and clause boundaries, for scoping a match."""

    def __init__(self, text: str, grammar: _Grammar):
        self.text = text
        self.sentence_starts = [0] + [m.end() for m in grammar.sentence.finditer(text)]
        clause_ends = [m.end() for m in grammar.clause.finditer(text)]
        self.clause_starts = sorted(set(self.sentence_starts + clause_ends))
        self.quoted = [m.span() for m in grammar.quotes.finditer(text)]

    def in_quotes(self, start: int, end: int) -> bool:
        """Whether a span lies inside quotation marks or a title: mentioned, not said."""
        return any(a <= start and end <= b for a, b in self.quoted)

    def sentence_of(self, pos: int) -> int:
        return bisect.bisect_right(self.sentence_starts, pos) - 1

    def prefixes(self, pos: int) -> tuple[str, str]:
        """The text before ``pos`` in its clause, and in its sentence."""
        clause = self.clause_starts[bisect.bisect_right(self.clause_starts, pos) - 1]
        sentence = self.sentence_starts[self.sentence_of(pos)]
        return self.text[clause:pos], self.text[sentence:pos]

    def sentence_text(self, pos: int) -> str:
        index = self.sentence_of(pos)
        end = self.sentence_starts[index + 1] if index + 1 < len(self.sentence_starts) else len(self.text)
        return self.text[self.sentence_starts[index]:end]


# -- the detector ----------------------------------------------------------------------------------

class RiskDetector:
    """Assesses a message, with the user's earlier turns as context, for crisis risk."""

    def __init__(self, data_dir: Path | None = None, classifier: bool = True, encoder: bool = True):
        data_dir = Path(data_dir) if data_dir is not None else _default_data_dir()
        kinds = _read(data_dir, "kinds.json")
        grammar = _read(data_dir, "grammar.json")
        lexicons = [_read(data_dir, name) for name in ("lexicon_en.json", "lexicon_zh.json")]
        pinyin = _read(data_dir, "pinyin.json")["spellings"] if (data_dir / "pinyin.json").exists() else None
        self._normalize = _Normalizer(_read(data_dir, "normalize.json"), pinyin)
        self._grammar = _Grammar(grammar)
        self._kinds = _kinds(kinds)
        self._combos = _combos(kinds)
        self._cancels = _cancels(kinds)
        self._mute_always = {name: frozenset(f["mute_always"]) for name, f in kinds["frames"].items()}
        self._third_party: dict[str, str] = kinds["third_party_kinds"]
        self._context_turns = int(kinds["context_turns"])
        self._carry_turns = int(kinds["carry_turns"])
        self._short_chars = int(kinds["short_followup_chars"])
        self._build_matchers(lexicons)
        _check_kind_names(kinds, set(self._kinds))
        self._scan_cached = functools.lru_cache(maxsize=4096)(self._scan)
        self._classifier = load_classifier(data_dir, self._normalize) if classifier else None
        if self._classifier is not None and encoder and (data_dir / "encoder.npz").exists():
            from .encoder import load_encoder  # numpy: loaded only where an encoder is shipped

            model = load_encoder(data_dir)
            if model is not None and not self._classifier.attach(model):
                log.warning("crisis detector: encoder.npz was calibrated for another classifier.json or another "
                            "blend; n-grams only (run tools/train_risk_encoder.py --calibrate-only)")

    def _build_matchers(self, lexicons: list[dict]) -> None:
        macros = self._grammar.macros
        matchers = []
        for kind in self._kinds:
            for bare in (False, True):
                key = "bare" if bare else "self"
                patterns = [p for lex in lexicons for p in lex["kinds"].get(kind, {}).get(key, ())]
                if patterns:
                    matchers.append(_Matcher(kind, bare, _join(patterns, macros), _needles(patterns, macros)))
        unknown = {k for lex in lexicons for k in lex["kinds"]} - set(self._kinds)
        if unknown:
            raise ValueError(f"risk lexicon names unknown cue kinds: {sorted(unknown)}")
        self._matchers = tuple(matchers)
        self._prefilter = LiteralIndex([(i, m.needles) for i, m in enumerate(matchers)])
        self._figurative = _join((p for lex in lexicons for p in lex["figurative"]), macros)
        self._frames = {name: _join((p for lex in lexicons for p in lex["frames"].get(name, ())), macros)
                        for name in self._mute_always}

    # -- public API ----------------------------------------------------------------------------

    def assess(self, turns: Sequence[str], learned: bool = True) -> RiskAssessment:
        """Assess ``turns[-1]``; earlier items are the user's earlier turns in this conversation.
        ``learned=False`` gives the rules' verdict alone, without the learned stage."""
        read = self._read(turns)
        if read is None:
            return NO_RISK
        window, scans, verdict, explained, stated = read
        if not learned or self._classifier is None or verdict.level == "imminent":
            return verdict
        if verdict.escalate or verdict.level == "moderate":
            kept = self._veto(window, verdict, _STATED_VETO_SHARE if stated else 1.0)
            if kept is not verdict or verdict.escalate:
                return kept
            # The check the rules give may still need the takeover ("goodbye everyone, this is my last
            # post"): the learned stage raises it as it would raise a message no rule read.
        dangers = frozenset(h.kind for scan in scans for h in scan.hits if h.kind in _DANGER)
        return self._second_opinion(window, verdict, explained, dangers)

    def explains_away(self, turns: Sequence[str]) -> bool:
        """Whether the rules found a risk word in the last turn and explained it away (negated, a
        figure of speech, someone else's, cancelled by an accident or recovery): such messages
        face the learned stage's stricter threshold. The trainer chooses that threshold."""
        read = self._read(turns)
        return read is not None and read[3]

    def _read(self, turns: Sequence[str]) -> tuple[list[str], list[_Scan], RiskAssessment, bool, bool] | None:
        """(window, scans, the rules' verdict, whether a risk word was explained away, whether the
        last turn states a wish, intent, plan or act of suicide in the first person), or None."""
        if isinstance(turns, str):
            turns = [turns]
        window = [t for t in turns if isinstance(t, str)][-self._context_turns:]
        if not window:
            return None
        scans = [self._scan_cached(t) for t in window]
        current = len(window) - 1
        hits = self._stamp(window, scans, current)
        frames = frozenset().union(*(s.frames for s in scans))
        kept = self._apply_cancels(self._mute(hits, frames))
        explained = scans[current].explained or self._cancelled_now(hits, kept, current)
        stated = any(h.turn == current and h.kind in _STATED for h in kept) or (
            any(h.turn == current and h.kind == "passive" for h in kept)
            and not self._grammar.past.search(self._normalize(window[current])))  # said now
        return window, scans, self._judge(kept, scans, current), explained, stated

    def _veto(self, window: list[str], verdict: RiskAssessment, share: float = 1.0) -> RiskAssessment:
        """A rule verdict below imminent that the learned stage finds very unlikely ("老板要杀了我，
        报表又错了", a recovered past) is lowered to "low"; the veto threshold is chosen so that
        out-of-fold it loses at most a quarter of a percent of real crises (tools/train_risk_model.py;
        with the encoder, one that vetoes no larger share of the development crises).
        A first-person statement must be far less likely still (``share`` of that threshold)."""
        risk, _ = self._classifier.probabilities(window, against=(self._classifier.veto_threshold * share,))
        if risk >= self._classifier.veto_threshold * share:
            return verdict
        reason = f"classifier overruled the rules: p={risk:.3f}"
        return RiskAssessment(False, "low", (), ((reason,) + verdict.reasons)[:_MAX_REASONS])

    def normalize(self, text: str) -> str:
        """The canonical form the patterns are matched against (for tests and debugging)."""
        return self._normalize(text)

    def clear_cache(self) -> None:
        """Forget cached per-turn scans (for benchmarks that time the uncached path)."""
        self._scan_cached.cache_clear()
        if self._classifier is not None:
            self._classifier.clear_cache()

    def _cancelled_now(self, hits: list[_Hit], kept: list[_Hit], current: int) -> bool:
        """Whether a frame or a cancel rule removed a risk cue of the current turn."""
        return any(h.turn == current and self._kinds[h.kind].rank >= _ESCALATE_RANK and h not in kept for h in hits)

    def _second_opinion(self, window: list[str], verdict: RiskAssessment, explained: bool = False,
                        dangers: frozenset[str] = frozenset()) -> RiskAssessment:
        """The learned stage's verdict on a message the rules did not take over: at or above its
        thresholds it raises the level to "moderate" (the check) or "high" (the takeover). Where
        the rules explained a risk word away ("I cut myself shaving", "I would never...", a
        figure of speech), the learned stage must clear its stricter threshold for such messages,
        and the n-grams must clear theirs on their own: the encoder reads "I would never kill
        myself" as the words it negates, so it may not raise what the rules explained away."""
        if explained:
            if self._classifier.ngram_probabilities(window)[0] < self._classifier.ngram_thresholds["explained"]:
                return verdict
            threshold = self._classifier.explained_threshold
        else:
            threshold = self._classifier.threshold
        risk, acute = self._classifier.probabilities(window, against=(threshold,))
        level = None if risk < threshold else "high" if acute >= self._classifier.acute_threshold else "moderate"
        laughing = level != "high" and not explained and self._takeover_under_laughter(window)
        if laughing:
            level = "high"
        if level is None:
            return verdict
        guess = None
        if level == "moderate" and not explained and (dangers or risk >= _FAREWELL_RISK):
            guess = self._classifier.predict(window)
            if guess.category == "warning_signs" and risk >= _FAREWELL_RISK:
                level = "high"  # a farewell or a preparation the learned stage is sure of
            elif dangers & _DANGER_KINDS.get(guess.category, frozenset()):
                level = "high"  # its category with a rule's sign of danger now (see _DANGER_KINDS)
        if _RANK[level] <= _RANK[verdict.level]:
            return verdict
        guess = guess or self._classifier.predict(window)
        cues = ", ".join(f'"{c}"' for c in guess.cues)
        reason = f"classifier: p={guess.probability:.2f}, acute={guess.acute:.2f} ({cues})"
        if laughing:
            reason += "; without its laughter it reads as a takeover"
        categories = tuple(dict.fromkeys(verdict.categories + (guess.category,)))
        return RiskAssessment(level == "high", level, categories, ((reason,) + verdict.reasons)[:_MAX_REASONS])

    def _takeover_under_laughter(self, window: list[str]) -> bool:
        """Whether the window, read without its laughter ("绳子都挂好了哈哈", "sitting on the roof
        edge rn lol"), is one the learned stage would take over, and is sure of (``_LAUGHING_RISK``).
        Laughter is how many people, teenagers above all, tell what frightens them, and the learned
        stage, which met it mostly in figures of speech, reads it as a joke. Read without it, only
        the takeover counts: the check for a laughing passive wish stays with the usual reading."""
        plain = _without_laughter(window)
        if plain == window or not plain[-1].strip():
            return False
        risk, acute = self._classifier.probabilities(plain, against=(_LAUGHING_RISK,))
        return risk >= _LAUGHING_RISK and acute >= self._classifier.acute_threshold

    # -- one turn ------------------------------------------------------------------------------

    def _scan(self, raw: str) -> _Scan:
        text = raw_text = self._normalize(raw)
        if self._figurative is not None:
            text = self._figurative.sub(lambda m: " " * len(m.group()), text)
        turn = _TurnText(text, self._grammar)
        hits: dict[tuple, _Hit] = {}
        possible = self._prefilter.may_match(text)
        for i, matcher in enumerate(self._matchers):
            if i not in possible:
                continue
            for hit in self._find(matcher, turn):
                hits.setdefault((hit.kind, hit.text, hit.sentence), hit)
        figurative = text != raw_text
        frames = frozenset(name for name, rx in self._frames.items() if rx is not None and rx.search(text))
        explained = figurative or _DROPPED in hits.values()
        hits.pop(("", "", -1), None)
        return _Scan(_without_contained(list(hits.values())), frames, len(text) <= self._short_chars, explained)

    def _find(self, matcher: _Matcher, turn: _TurnText) -> Iterator[_Hit]:
        """Hits of one matcher; a match that scoping drops does not hide a later, overlapping one
        ("don't think anyone would notice if I disappeared")."""
        pos = 0
        while (m := matcher.regex.search(turn.text, pos)) is not None:
            hit = self._scope(matcher, m, turn)
            if hit is not None:
                yield hit
            kept = hit is not None and hit is not _DROPPED
            pos = m.end() if kept and m.end() > m.start() else m.start() + 1

    def _scope(self, matcher: _Matcher, m: re.Match, turn: _TurnText) -> _Hit | None:
        """The hit a match stands for once negation, reported speech and subject are applied."""
        clause, sentence = turn.prefixes(m.start())
        kind = matcher.kind
        dropped = _DROPPED if self._kinds[kind].rank >= _ESCALATE_RANK else None
        if self._grammar.reported.search(clause):
            return dropped
        if self._grammar.negation.search(clause):
            kind = self._kinds[kind].negated_kind
            if kind is None:
                return dropped
        subject = self._subject(matcher, m, clause, sentence)
        if subject == "other":
            kind = self._someone_else(kind, sentence, turn.sentence_text(m.start()))
            if kind is None:
                return dropped
        text = m.group().strip()
        mentioned = subject == "none" or turn.in_quotes(m.start(), m.end())
        return _Hit(kind, text, turn.sentence_of(m.start()), mentioned)

    def _subject(self, matcher: _Matcher, m: re.Match, clause: str, sentence: str) -> str:
        if not matcher.bare:
            return "self"
        if self._grammar.other_after.match(m.string, m.end()):
            return "other"  # the cue describes someone: "想自杀的朋友", "kids who want to die"
        return self._grammar.subject(clause, sentence)

    def _someone_else(self, kind: str, prefix: str, sentence: str) -> str | None:
        """A cue about someone else counts only as concern for a person close to the writer, now."""
        if kind not in self._third_party or not self._grammar.close.search(prefix):
            return None
        if self._grammar.past.search(sentence):
            return None
        return self._third_party[kind]

    # -- the conversation ----------------------------------------------------------------------

    def _stamp(self, window: list[str], scans: list[_Scan], current: int) -> list[_Hit]:
        """Hits of the current turn and of the earlier turns that still bear on it: the whole
        window when the current turn carries a risk-related cue, else the last few turns, and
        none when the writer says things are better now."""
        now = [_replace_turn(h, current) for h in scans[current].hits + self._across(window, scans)]
        if any(self._kinds[h.kind].links_context for h in now):
            first = 0
        else:
            first = max(0, current - self._carry_turns)
            first = max([first] + [i + 1 for i in range(first, current) if self._blocks(scans[i].hits)])
            if self._blocks(now):
                first = current
        earlier = [_replace_turn(h, i) for i in range(first, current) for h in scans[i].hits]
        return earlier + now

    def _blocks(self, hits: Sequence[_Hit]) -> bool:
        """A turn that takes back or resolves what came before ("jk", "I'm doing better now")."""
        return any(self._kinds[h.kind].blocks_carry for h in hits)

    def _across(self, window: list[str], scans: list[_Scan]) -> tuple[_Hit, ...]:
        """Cues split over a message and its short follow-up ("so tired" / "of living")."""
        if len(window) < 2 or not scans[-1].short:
            return ()
        joined = self._scan_cached(window[-2] + " " + window[-1])
        seen = {(h.kind, h.text) for s in scans[-2:] for h in s.hits}
        return tuple(h for h in joined.hits if (h.kind, h.text) not in seen)

    def _mute(self, hits: list[_Hit], frames: frozenset[str]) -> list[_Hit]:
        if not frames:
            return hits
        always = frozenset().union(*(self._mute_always[f] for f in frames))
        return [h for h in hits if not h.unnamed and h.kind not in always]

    def _apply_cancels(self, hits: list[_Hit]) -> list[_Hit]:
        for cancel in self._cancels:
            cancelling = [h for h in hits if h.kind in cancel.by]
            if not cancelling:
                continue
            hits = [h for h in hits if not self._cancelled(h, cancel, cancelling, hits)]
        return hits

    def _cancelled(self, hit: _Hit, cancel: _Cancel, cancelling: list[_Hit], hits: list[_Hit]) -> bool:
        if hit.kind not in cancel.drop:
            return False
        scope = [c for c in cancelling if _same_scope(hit, c, cancel.scope)]
        if not scope:
            return False
        return not any(h.kind in cancel.unless and _same_scope(hit, h, cancel.scope) for h in hits)

    def _judge(self, hits: list[_Hit], scans: list[_Scan], current: int) -> RiskAssessment:
        findings = [(self._kinds[h.kind].rank, self._kinds[h.kind].category, self._reason(h, current))
                    for h in hits if self._kinds[h.kind].rank > 0]
        for combo in self._combos:
            chosen = self._combo_hits(combo, hits, scans)
            if chosen:
                findings.append((combo.rank, combo.category, self._combo_reason(combo, chosen, current)))
        if not findings:
            return NO_RISK
        rank = max(f[0] for f in findings)
        found = {f[1] for f in findings if f[0] >= _ESCALATE_RANK and f[1]}
        categories = tuple(c for c in CATEGORIES if c in found)
        reasons = tuple(dict.fromkeys(f[2] for f in sorted(findings, key=lambda f: -f[0])))
        return RiskAssessment(rank >= _TAKEOVER_RANK, LEVELS[rank], categories, reasons[:_MAX_REASONS])

    def _combo_hits(self, combo: _Combo, hits: list[_Hit], scans: list[_Scan]) -> list[_Hit] | None:
        if combo.also_needs and not any(h.kind in combo.also_needs for h in hits):
            return None
        for first in (h for h in hits if h.kind in combo.groups[0]):
            chosen = [first]
            for group in combo.groups[1:]:
                match = next((h for h in hits if h.kind in group and _distinct(h, chosen)
                              and _same_scope(first, h, combo.scope, scans)), None)
                if match is None:
                    break
                chosen.append(match)
            else:
                return chosen
        return None

    def _reason(self, hit: _Hit, current: int) -> str:
        where = "" if hit.turn == current else " (earlier message)"
        return f'{self._kinds[hit.kind].label}: "{hit.text}"{where}'

    def _combo_reason(self, combo: _Combo, chosen: list[_Hit], current: int) -> str:
        first, rest = chosen[0], chosen[1:]
        parts = [f'{combo.label}: "{first.text}"'] + [self._reason(h, current) for h in rest]
        where = "" if first.turn == current else " (earlier message)"
        return " with ".join(parts[:1]) + where + "".join(f" with {p}" for p in parts[1:])


def _without_laughter(window: list[str]) -> list[str]:
    return [_LAUGHTER.sub(" ", t) for t in window]


def _without_contained(hits: list[_Hit]) -> tuple[_Hit, ...]:
    """One cue per phrase: drop a hit whose text lies inside another hit of the same kind."""
    return tuple(h for h in hits if not any(o is not h and o.kind == h.kind and o.sentence == h.sentence
                                             and h.text in o.text and len(o.text) > len(h.text) for o in hits))


def _replace_turn(hit: _Hit, turn: int) -> _Hit:
    return _Hit(hit.kind, hit.text, hit.sentence, hit.unnamed, turn)


def _distinct(hit: _Hit, chosen: list[_Hit]) -> bool:
    """A cue combines only with other words, not with itself read as another kind."""
    return all(hit.text != c.text for c in chosen)


def _same_scope(a: _Hit, b: _Hit, scope: str, scans: list[_Scan] | None = None) -> bool:
    if scope == "conversation":
        return True
    if scope == "turn":
        return a.turn == b.turn
    if a.turn == b.turn:
        return a.sentence == b.sentence
    # a short follow-up ("tonight.") belongs to the sentence it answers
    return scans is not None and abs(a.turn - b.turn) == 1 and scans[max(a.turn, b.turn)].short


@functools.lru_cache(maxsize=1)
def default_detector() -> RiskDetector:
    """The detector built from the packaged data, shared by the whole process."""
    return RiskDetector()
