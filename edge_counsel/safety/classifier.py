"""The learned second stage of crisis detection: a linear classifier over character n-grams.

The rules in ``risk.py`` know the phrasings they were written for; people in crisis often say it
another way ("dear future me, I hope you're not here to read this", "学校天台的门没锁,我去看过了").
This stage scores the last message from learned sub-word features, so it can generalise to
paraphrases that no pattern names. ``RiskDetector.assess`` uses its two heads: "risk" (needs at
least the in-conversation check) can raise a message the rules let through, "acute" (needs the
takeover) decides between the check and the takeover; a rule verdict below imminent that "risk"
finds very unlikely is overruled (its veto threshold is in the model file).

Why this model (the choices were made by stratified 5-fold cross-validation in
``tools/train_risk_model.py``, scikit-learn; the figures are stored in ``classifier.json`` under
``"cv"``):
- Features are read off the detector's normalised text, so leetspeak, full-width letters, slang
  such as "紫砂", Traditional characters and pinyin are folded before the model sees them.
  Chinese has no spaces and Latin words get misspelt, so sub-word features carry the signal:
  character 1-3 grams inside runs of Han text; character 3-5 grams inside Latin words (digits
  folded to "0"), plus word unigrams and bigrams within a clause; symbols such as emoji count as
  themselves. Features are binary and the vector is scaled to unit length, so a long message does
  not score high just for being long.
- Logistic regression: a linear model over these features generalises across spellings, and its
  weights explain a verdict (the cues in a reason). A static multilingual embedding was measured
  as an extra block and gave no recall at the operating point (``tools/eval_encoder.py``).
  Thresholds come from out-of-fold scores, never from scores of cases a model was trained on.
- Meaning: where ``encoder.npz`` ships (``encoder.py``: four fine-tuned layers of multilingual-e5-small)
  and was calibrated against this very model file (its sha256), ``attach`` makes the two heads
  a weighted average of the n-gram and the encoder log-odds (``blend``; the encoder's share is
  in its file: 0.3, chosen on the development sets; an even share lost crises the encoder misread
  that the n-grams caught), under the thresholds the encoder's trainer matched for the average
  (``tools/train_risk_encoder.py``). Log-odds, not probabilities: averaged as probabilities, an
  encoder sure of a crisis the n-grams half-see ("Got my service pistol out on the kitchen table.
  Loaded.": 0.99 against 0.58) could add at most its share; on the development sets (v3-v7, the
  thresholds matched to the same false-alarm counts) the log-odds average caught the same and, on
  v10 and v11, 2 and 6 more crises and took over 1 and 3 more of those needing it. The encoder's
  log-odds are clipped to +-``ENCODER_CLIP``, which bounds its pull, and it runs only where that
  pull could change the comparison the caller makes (``probabilities(..., against=...)``).
- A softmax head over the same features names the likely category (self-harm, abuse, harm to
  others, ...).
- Earlier turns are light context: their features count at half and a quarter of their weight
  (the last turn's own features always count in full), so "i counted them" / "there's thirty"
  can combine.

Invariants:
- It never imports ``risk.py``: the detector hands in its normaliser, so the dependency runs one
  way (risk -> classifier) and either module can be imported first.
- Standard library only, so importing it costs nothing (the encoder, with numpy, is handed in by
  the detector); scikit-learn is needed only to train (``tools/train_risk_model.py``). The model
  file is plain JSON, read once per path per process.
- Deterministic: the same turns always give the same score, cues and category.
- Feature extraction is the same function at training and scoring time, driven by the
  ``"features"`` block stored with the weights; a model never runs with settings it was not
  trained with.
- Cost is linear in the length of the text; per-turn features are cached, so a conversation's
  earlier turns cost nothing when the next message is scored.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import operator
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

__all__ = ["MODEL_FILE", "DEFAULT_CATEGORY", "CATEGORY_GROUPS", "CLASS_NAMES", "FeatureConfig", "Featurizer",
           "Prediction", "RiskClassifier", "argmax_class", "category_class", "sigmoid", "turn_features",
           "conversation_vector", "load_classifier"]

MODEL_FILE = "classifier.json"
DEFAULT_CATEGORY = "passive_ideation"

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(f"[{_HAN}]+|[a-z0-9]+|\\S")
_IS_HAN = re.compile(f"[{_HAN}]")
_DIGITS = re.compile(r"[0-9]+")
_CLAUSE_END = frozenset(".!?;,。!?;,:")
# Words too common to explain anything: they count in the score, but are not shown as cues.
_PLAIN_WORDS = frozenset("""the and but for with from about are was were been being does did have has had
ive ill you your our they them their him his she her its this that these those there here what when where who
how why would could should will can just like really very too not dont some any all more most much many one
lol""".split())


@dataclass(frozen=True)
class FeatureConfig:
    """Which n-grams are read off a turn, and how much earlier turns count."""

    han_ngrams: tuple[int, int] = (1, 3)
    char_ngrams: tuple[int, int] = (3, 5)
    word_bigrams: bool = True
    context_weights: tuple[float, ...] = (0.5, 0.25)  # the turn before the last, then the one before

    @classmethod
    def from_dict(cls, d: dict) -> "FeatureConfig":
        return cls(tuple(d["han_ngrams"]), tuple(d["char_ngrams"]), bool(d["word_bigrams"]),
                   tuple(d["context_weights"]))

    def to_dict(self) -> dict:
        return {"han_ngrams": list(self.han_ngrams), "char_ngrams": list(self.char_ngrams),
                "word_bigrams": self.word_bigrams, "context_weights": list(self.context_weights)}


def turn_features(text: str, config: FeatureConfig) -> frozenset[str]:
    """The feature names of one normalised turn."""
    found: set[str] = set()
    previous_word = None  # word bigrams run within a clause of Latin text
    for token in _TOKEN.findall(text):
        if _IS_HAN.match(token):
            found.update(_han_grams(token, config.han_ngrams))
            previous_word = None
        elif token[0].isalnum():
            word = _DIGITS.sub("0", token)
            found.update(_word_grams(word, config.char_ngrams))
            if config.word_bigrams and previous_word is not None:
                found.add(f"b:{previous_word} {word}")
            previous_word = word
        else:
            if unicodedata.category(token)[0] == "S":  # emoji and other symbols
                found.add("s:" + token)
            if token in _CLAUSE_END:
                previous_word = None
    return frozenset(found)


def _han_grams(run: str, sizes: tuple[int, int]) -> list[str]:
    low, high = sizes
    return ["h:" + run[i:i + n] for n in range(low, high + 1) for i in range(len(run) - n + 1)]


def _word_grams(word: str, sizes: tuple[int, int]) -> list[str]:
    padded = f"^{word}$"
    low, high = sizes
    return ["w:" + word] + ["c:" + padded[i:i + n] for n in range(low, high + 1) for i in range(len(padded) - n + 1)]


def conversation_vector(per_turn: Sequence[frozenset[str]], config: FeatureConfig) -> dict[str, float]:
    """Feature -> value for the last turn with its context: the last turn's features count 1,
    earlier turns' features their context weight; a feature takes its largest value."""
    vector: dict[str, float] = {}
    weights = (1.0,) + config.context_weights
    for back, feats in enumerate(reversed(per_turn[-len(weights):])):
        weight = weights[back]
        for name in feats:
            if vector.get(name, 0.0) < weight:
                vector[name] = weight
    return vector


# The categories the category head names, and the spellings our case files use for each.
CATEGORY_GROUPS = {
    "passive_ideation": ("suicidal_ideation", "passive_ideation", "suicide_ideation", "suicide_history",
                         "slang", "obfuscated", "ideation", "passive", "disguised",
                         "multi_turn_passive_ideation", "multi_turn_obfuscated"),
    "plan_method_means": ("plan_method_means", "suicide_plan", "suicide_method", "plan", "method",
                          "multi_turn_plan", "method_seeking"),
    "attempt_in_progress": ("attempt_in_progress", "imminent", "multi_turn_attempt", "imminent_attempt"),
    "warning_signs": ("warning_signs", "warning_sign", "multi_turn_warning", "farewell"),
    "self_harm": ("self_harm", "multi_turn_self_harm"),
    "abuse": ("abuse", "multi_turn_abuse"),
    "harm_to_others": ("harm_to_others", "harm_others", "multi_turn_harm_to_others"),
    "disordered_eating": ("eating", "disordered_eating", "eating_disorder"),
}
CLASS_NAMES = tuple(CATEGORY_GROUPS)
_CLASS_OF = {alias: k for k, aliases in enumerate(CATEGORY_GROUPS.values()) for alias in aliases}


def category_class(case: dict) -> int | None:
    """The category head's class of a labelled case, or None when its category is not a crisis one."""
    return _CLASS_OF.get(case.get("category", ""))


class Featurizer:
    """Normalised text -> per-turn n-gram features (cached) -> one unit-length vector for the last
    turn with its context. The same object does it at training and at scoring time."""

    def __init__(self, normalize: Callable[[str], str], config: FeatureConfig):
        self.normalize = normalize
        self.config = config
        self._turn = functools.lru_cache(maxsize=4096)(self._features)

    def _features(self, raw: str) -> tuple[str, frozenset[str]]:
        text = self.normalize(raw)
        return text, turn_features(text, self.config)

    def texts_and_vector(self, turns: Sequence[str]) -> tuple[tuple[str, ...], dict[str, float]]:
        window = [t for t in turns if isinstance(t, str)][-(1 + len(self.config.context_weights)):]
        if not window or not window[-1].strip():
            return (), {}
        texts, per_turn = zip(*(self._turn(t) for t in window))
        vector = conversation_vector(per_turn, self.config)
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        return texts, {f: v / norm for f, v in vector.items()}

    def vector(self, turns: Sequence[str]) -> dict[str, float]:
        return self.texts_and_vector(turns)[1]

    def clear_cache(self) -> None:
        self._turn.cache_clear()


@dataclass(frozen=True)
class Prediction:
    """The classifier's view of one message: probabilities per head, category guess, top cues."""

    probability: float  # needs at least the check (level moderate or above)
    acute: float  # needs the takeover (high or imminent)
    category: str
    cues: tuple[str, ...]


class RiskClassifier:
    """Scores the last of a user's turns for crisis risk, with earlier turns as light context."""

    def __init__(self, path: Path | None = None, *, normalize: Callable[[str], str]):
        """``normalize`` is the crisis detector's (``RiskDetector.normalize``): the features were
        learned from its normalised text."""
        model = _read_model(Path(path) if path is not None else _default_path())
        if model.get("format") != 2:
            raise ValueError(f"{path}: a crisis classifier of an older format; retrain it with "
                             "tools/train_risk_model.py")
        self.config = FeatureConfig.from_dict(model["features"])
        self.threshold: float = model["thresholds"]["risk"]
        self.acute_threshold: float = model["thresholds"]["acute"]
        # for messages whose risk words the rules explained away (RiskDetector.explains_away)
        self.explained_threshold: float = model["thresholds"].get("explained", self.threshold)
        # below this, a rule verdict under imminent is overruled (tools/train_risk_model.py)
        self.veto_threshold: float = model["thresholds"].get("veto", 0.0)
        self._bias: list[float] = model["bias"]
        self._weights: dict[str, list[float]] = model["weights"]
        self._categories: list[str] = model["categories"]["names"]
        self._category_bias: list[float] = model["categories"]["bias"]
        self._category_weights: dict[str, list[float]] = model["categories"]["weights"]
        self._featurizer = Featurizer(normalize, self.config)
        self._scored = functools.lru_cache(maxsize=64)(self._score_window)  # probabilities, then predict
        self.path = Path(path) if path is not None else _default_path()
        self.ngram_thresholds = {"risk": self.threshold, "acute": self.acute_threshold,
                                 "explained": self.explained_threshold, "veto": self.veto_threshold}
        self.encoder = None

    def attach(self, encoder) -> bool:
        """From now on, average the n-gram probabilities with those of ``encoder`` (an
        ``encoder.RiskEncoder``; its share is ``encoder.weight``), under the thresholds its trainer
        matched to this very model file and this ``blend``. An encoder calibrated against another
        version of the file or for another way of averaging is not attached (False), and the
        n-grams decide alone."""
        with open(self.path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        if encoder.meta.get("classifier_sha256") != digest or encoder.meta.get("blend") != BLEND:
            return False
        self.encoder = encoder
        self.threshold = encoder.thresholds["risk"]
        self.acute_threshold = encoder.thresholds["acute"]
        self.explained_threshold = encoder.thresholds["explained"]
        self.veto_threshold = encoder.thresholds["veto"]
        return True

    def score(self, turns: Sequence[str]) -> tuple[float, list[str]]:
        """(probability that the last turn needs at least the check, its top contributing cues)."""
        prediction = self.predict(turns)
        return prediction.probability, list(prediction.cues)

    def predict(self, turns: Sequence[str]) -> Prediction:
        """Probabilities, the most likely category and the top cues, for ``turns[-1]``."""
        if isinstance(turns, str):
            turns = [turns]
        texts, vector, logits = self._scored(tuple(turns))
        if not texts:
            return Prediction(0.0, 0.0, DEFAULT_CATEGORY, ())
        risk, acute = self._blend(turns, *map(sigmoid, logits))
        return Prediction(risk, acute, self._category(vector), self._cues(texts[-1]))

    def probabilities(self, turns: Sequence[str], against: Sequence[float] = ()) -> tuple[float, float]:
        """(needs the check, needs the takeover): the cheap path, without cues or category; the
        average with the encoder's when one is attached.

        ``against``: the thresholds the caller will compare the first probability with. With the
        encoder's share ``w``, the average lies between ``(1 - w) * p`` and ``(1 - w) * p + w`` for
        the n-gram score ``p``; where that range settles every comparison the encoder is not run
        and the n-gram probabilities are returned: the same decisions, at the n-gram model's cost.
        Most ordinary messages end there."""
        if isinstance(turns, str):
            turns = [turns]
        scores = self._ngram(turns)
        if scores is None:
            return 0.0, 0.0
        risk, acute = scores
        if self.encoder is None or (against and all(self._settled(risk, t) for t in against)):
            return risk, acute
        return self._blend(turns, risk, acute)

    def ngram_probabilities(self, turns: Sequence[str]) -> tuple[float, float]:
        """The n-gram model's own probabilities, whether or not an encoder is attached."""
        return self._ngram(turns) or (0.0, 0.0)

    def _ngram(self, turns: Sequence[str]) -> tuple[float, float] | None:
        """The n-gram probabilities, or None when there is nothing to score."""
        _, vector, (risk, acute) = self._scored(tuple(turns))
        if not vector:
            return None
        return sigmoid(risk), sigmoid(acute)

    def _score_window(self, turns: tuple[str, ...]) -> tuple[tuple[str, ...], dict[str, float], tuple[float, float]]:
        """(normalised texts, feature vector, the two heads' logits) of a window of turns."""
        texts, vector = self._featurizer.texts_and_vector(turns)
        return texts, vector, self._logits(vector) if vector else (0.0, 0.0)

    def _settled(self, risk: float, threshold: float) -> bool:
        w = self.encoder.weight
        return blend(risk, 0.0, w) >= threshold or blend(risk, 1.0, w) < threshold

    def _blend(self, turns: Sequence[str], risk: float, acute: float) -> tuple[float, float]:
        if self.encoder is None:
            return risk, acute
        w = self.encoder.weight
        e_risk, e_acute = self.encoder.probabilities(turns)
        return blend(risk, e_risk, w), blend(acute, e_acute, w)

    def probability(self, turns: Sequence[str]) -> float:
        return self.probabilities(turns)[0]

    def _logits(self, vector: dict[str, float]) -> tuple[float, float]:
        risk, acute = linear_heads(vector, self._bias, self._weights)
        return risk, acute

    def clear_cache(self) -> None:
        """Forget cached per-turn features (for benchmarks that time the uncached path)."""
        self._featurizer.clear_cache()
        self._scored.cache_clear()
        if self.encoder is not None:
            self.encoder.clear_cache()

    def _category(self, vector: dict[str, float]) -> str:
        return argmax_class(vector, self._category_bias, self._category_weights, self._categories)

    def _risk_weight(self, name: str) -> float:
        w = self._weights.get(name)
        return w[0] if w else 0.0

    def _cues(self, text: str, limit: int = 3) -> tuple[str, ...]:
        """The words, and stretches of Han text, of the last turn that raise the score most."""
        found: list[tuple[float, str]] = []
        for token in _TOKEN.findall(text):
            if _IS_HAN.match(token):
                found += self._han_spans(token)
            elif token[0].isalnum() and len(token) > 2 and token not in _PLAIN_WORDS:
                grams = _word_grams(_DIGITS.sub("0", token), self.config.char_ngrams)
                found.append((sum(self._risk_weight(g) for g in grams), token))
        ranked = sorted((c for c in found if c[0] > 0), key=lambda c: (-c[0], c[1]))
        return tuple(dict.fromkeys(surface for _, surface in ranked))[:limit]

    def _han_spans(self, run: str) -> list[tuple[float, str]]:
        """Each character takes an equal share of the weight of every n-gram over it; runs of
        two or more characters with a positive share are the cues, so they read as phrases."""
        share = [0.0] * len(run)
        low, high = self.config.han_ngrams
        for n in range(low, high + 1):
            for i in range(len(run) - n + 1):
                w = self._risk_weight("h:" + run[i:i + n]) / n
                for j in range(i, i + n):
                    share[j] += w
        spans, start = [], None
        for i, value in enumerate(share + [0.0]):
            if value > 0 and start is None:
                start = i
            elif value <= 0 and start is not None:
                if i - start > 1:
                    spans.append((sum(share[start:i]) / math.sqrt(i - start), run[start:i]))
                start = None
        return spans


ENCODER_CLIP = 6.0  # the encoder's log-odds count within +-6 (probabilities 0.0025 to 0.9975)
BLEND = "log-odds, encoder clipped to 6"  # stored with the thresholds matched for it


def blend(ngram: float, encoder: float, weight: float) -> float:
    """The averaged probability: the n-gram and the encoder log-odds, weighted ``1 - weight`` and
    ``weight``, the encoder's clipped to +-ENCODER_CLIP (so encoder = 0.0 and 1.0 bound it)."""
    pulled = max(-ENCODER_CLIP, min(ENCODER_CLIP, logit(encoder)))
    return sigmoid((1.0 - weight) * logit(ngram) + weight * pulled)


def logit(p: float) -> float:
    """Log-odds of ``p``, finite at 0 and 1 (+-36, beyond any model's own)."""
    p = min(max(p, 1e-16), 1.0 - 1e-16)
    return math.log(p / (1.0 - p))


def sigmoid(z: float) -> float:
    """The logistic function, without overflow for large |z| (0.0 for -inf)."""
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


def linear_heads(vector: dict[str, float], bias: Sequence[float], weights: dict[str, list[float]]) -> list[float]:
    """Each head's bias plus its weights times ``vector``'s values (``weights``: a row per feature,
    a column per head; most features have no row). The features are summed in sorted order, bias
    first, so every process gets the same sums; the products run in C (``map``), not in a Python loop."""
    names = sorted(vector.keys() & weights.keys())
    values = [vector[name] for name in names]
    columns = zip(*(weights[name] for name in names)) if names else ((),) * len(bias)
    return [sum(map(operator.mul, values, column), start) for start, column in zip(bias, columns)]


def argmax_class(vector: dict[str, float], bias: Sequence[float], weights: dict[str, list[float]],
                 names: Sequence[str]) -> str:
    """The most likely class of a softmax head (bias, per-feature weight rows) for ``vector``."""
    logits = linear_heads(vector, bias, weights)
    return names[logits.index(max(logits))]


def _default_path() -> Path:
    from ..paths import PACKAGE_DATA

    return PACKAGE_DATA / "risk" / MODEL_FILE


@functools.lru_cache(maxsize=8)
def _read_model(path: Path) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def load_classifier(data_dir: Path, normalize: Callable[[str], str]) -> RiskClassifier | None:
    """The classifier stored in ``data_dir``, or None when that folder has none (rules only)."""
    path = Path(data_dir) / MODEL_FILE
    return RiskClassifier(path, normalize=normalize) if path.exists() else None
