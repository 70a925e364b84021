"""Training for the learned crisis stage (``risk_model.py``): vocabulary, logistic regression,
cross-validation and threshold choice. Used by ``tools/train_risk_model.py`` and the tests.

Invariants:
- Deterministic: no random numbers anywhere; folds come from a stable hash of each case's id, the
  vocabulary is sorted, and the optimiser starts from zeros. Training twice on the same cases
  gives byte-identical model files.
- The decision threshold is chosen on out-of-fold scores only, never on scores of cases the model
  was trained on.
- Needs numpy (already a dependency through llama-cpp-python); the app itself never imports this
  module, only the stdlib-only scorer in ``risk_model.py``.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

from .risk_model import FeatureConfig, conversation_vector, turn_features

__all__ = ["CATEGORY_GROUPS", "CLASS_NAMES", "TrainConfig", "Model", "load_cases", "fold_of", "stratified_folds",
           "category_class", "featurize", "train", "predict", "cross_validate", "choose_threshold", "rates",
           "export"]

# The detector's categories and the evaluation sets' other spellings, folded into the classes the
# category head learns; suicidal and passive ideation share one class (the rules tell them apart).
CATEGORY_GROUPS = {
    "passive_ideation": ("suicidal_ideation", "passive_ideation", "suicide_ideation", "suicide_history",
                         "slang", "obfuscated"),
    "plan_method_means": ("plan_method_means", "attempt_in_progress", "suicide_plan", "suicide_method"),
    "warning_signs": ("warning_signs", "warning_sign", "multi_turn_warning"),
    "self_harm": ("self_harm",),
    "abuse": ("abuse",),
    "harm_to_others": ("harm_to_others", "harm_others"),
}
CLASS_NAMES = tuple(CATEGORY_GROUPS)
_CLASS_OF = {alias: k for k, aliases in enumerate(CATEGORY_GROUPS.values()) for alias in aliases}


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a model besides the cases."""

    features: FeatureConfig = field(default_factory=FeatureConfig)
    l2: float = 3e-5  # on the mean weighted log-loss
    positive_weight: float = 1.0  # class weight of positives; the threshold is what favours recall
    min_df: int = 2  # a feature must occur in this many training cases
    category_l2: float = 1e-4
    max_iter: int = 300
    max_fpr: float = 0.03


@dataclass
class Model:
    vocab: list[str]
    weights: np.ndarray
    bias: float
    category_weights: np.ndarray  # vocab x classes
    category_bias: np.ndarray
    config: TrainConfig


# -- cases ----------------------------------------------------------------------------------------

def load_cases(paths: Iterable[Path]) -> list[dict]:
    cases = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            cases += [json.loads(line) for line in f if line.strip()]
    return cases


def fold_of(case_id: str, folds: int) -> int:
    """A stable fold number from the id (the same on every machine and Python version)."""
    return int.from_bytes(hashlib.sha256(str(case_id).encode("utf-8")).digest()[:4], "big") % folds


def stratified_folds(cases: Sequence[dict], folds: int) -> np.ndarray:
    """Fold per case, balanced within each (language, label) stratum, ordered by id hash."""
    assignment = np.zeros(len(cases), dtype=np.int64)
    strata: dict[tuple, list[int]] = {}
    for i, case in enumerate(cases):
        strata.setdefault((case["lang"], bool(case["escalate"])), []).append(i)
    for key in sorted(strata):
        members = sorted(strata[key], key=lambda i: hashlib.sha256(str(cases[i]["id"]).encode()).hexdigest())
        for rank, i in enumerate(members):
            assignment[i] = rank % folds
    return assignment


def category_class(case: dict) -> int:
    """The category head's class for a positive case (ideation when the label is unknown)."""
    return _CLASS_OF.get(case.get("category") or "", 0)


# -- features -------------------------------------------------------------------------------------

def featurize(cases: Sequence[dict], normalize: Callable[[str], str], config: FeatureConfig) -> list[dict[str, float]]:
    """One feature vector (feature -> value, before scaling) per case."""
    cache: dict[str, frozenset[str]] = {}

    def per_turn(text: str) -> frozenset[str]:
        if text not in cache:
            cache[text] = turn_features(normalize(text), config)
        return cache[text]

    window = 1 + len(config.context_weights)
    return [conversation_vector([per_turn(t) for t in case["turns"][-window:]], config) for case in cases]


@dataclass
class _Matrix:
    """A row-scaled sparse matrix in coordinate form: enough for X @ w and X.T @ r."""

    rows: np.ndarray
    cols: np.ndarray
    values: np.ndarray
    shape: tuple[int, int]

    def dot(self, w: np.ndarray) -> np.ndarray:
        return np.bincount(self.rows, weights=self.values * w[self.cols], minlength=self.shape[0])

    def tdot(self, r: np.ndarray) -> np.ndarray:
        return np.bincount(self.cols, weights=self.values * r[self.rows], minlength=self.shape[1])


def _vocabulary(vectors: Sequence[dict[str, float]], min_df: int) -> list[str]:
    df: dict[str, int] = {}
    for v in vectors:
        for name in v:
            df[name] = df.get(name, 0) + 1
    return sorted(name for name, n in df.items() if n >= min_df)


def _matrix(vectors: Sequence[dict[str, float]], vocab: list[str]) -> _Matrix:
    index = {name: i for i, name in enumerate(vocab)}
    rows, cols, values = [], [], []
    for r, v in enumerate(vectors):
        kept = sorted((index[f], x) for f, x in v.items() if f in index)
        norm = math.sqrt(sum(x * x for _, x in kept)) or 1.0
        for c, x in kept:
            rows.append(r)
            cols.append(c)
            values.append(x / norm)
    return _Matrix(np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64),
                   np.array(values, dtype=np.float64), (len(vectors), len(vocab)))


# -- optimisation ---------------------------------------------------------------------------------

def _lbfgs(fun: Callable[[np.ndarray], tuple[float, np.ndarray]], x0: np.ndarray, max_iter: int,
           memory: int = 10, tol: float = 1e-6) -> np.ndarray:
    """Minimise a smooth convex function: L-BFGS with a backtracking (Armijo) line search."""
    x, (f, g) = x0, fun(x0)
    s_list: list[np.ndarray] = []
    y_list: list[np.ndarray] = []
    for _ in range(max_iter):
        if np.linalg.norm(g) <= tol * max(1.0, np.linalg.norm(x)):
            break
        d = -_two_loop(g, s_list, y_list)
        step, f_new, g_new, x_new = 1.0, f, g, x
        for _ in range(30):
            x_new = x + step * d
            f_new, g_new = fun(x_new)
            if f_new <= f + 1e-4 * step * float(g @ d):
                break
            step *= 0.5
        s, y = x_new - x, g_new - g
        if float(s @ y) > 1e-12:
            s_list, y_list = (s_list + [s])[-memory:], (y_list + [y])[-memory:]
        converged = abs(f - f_new) <= 1e-10 * max(1.0, abs(f))
        x, f, g = x_new, f_new, g_new
        if converged:
            break
    return x


def _two_loop(g: np.ndarray, s_list: list[np.ndarray], y_list: list[np.ndarray]) -> np.ndarray:
    q = g.copy()
    alphas = []
    for s, y in zip(reversed(s_list), reversed(y_list)):
        a = float(s @ q) / float(y @ s)
        alphas.append(a)
        q -= a * y
    if s_list:
        q *= float(s_list[-1] @ y_list[-1]) / float(y_list[-1] @ y_list[-1])
    for (s, y), a in zip(zip(s_list, y_list), reversed(alphas)):
        b = float(y @ q) / float(y @ s)
        q += (a - b) * s
    return q


def _fit_binary(X: _Matrix, y: np.ndarray, sample_weight: np.ndarray, l2: float,
                max_iter: int) -> tuple[np.ndarray, float]:
    """Weighted L2-regularised logistic regression; the bias is not regularised."""
    n, d = X.shape
    c = sample_weight / sample_weight.sum()

    def fun(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = theta[:d], theta[d]
        z = X.dot(w) + b
        loss = float(c @ (np.logaddexp(0.0, z) - y * z)) + 0.5 * l2 * float(w @ w)
        r = c * (_sigmoid(z) - y)
        return loss, np.concatenate([X.tdot(r) + l2 * w, [r.sum()]])

    theta = _lbfgs(fun, np.zeros(d + 1), max_iter)
    return theta[:d], float(theta[d])


def _fit_softmax(X: _Matrix, y: np.ndarray, classes: int, l2: float, max_iter: int) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression, each class weighted equally (balanced)."""
    n, d = X.shape
    counts = np.bincount(y, minlength=classes).astype(np.float64)
    c = 1.0 / np.maximum(counts[y], 1.0)
    c /= c.sum()
    onehot = np.eye(classes)[y]

    def fun(theta: np.ndarray) -> tuple[float, np.ndarray]:
        W, b = theta[:d * classes].reshape(d, classes), theta[d * classes:]
        Z = np.stack([X.dot(W[:, k]) for k in range(classes)], axis=1) + b
        Z -= Z.max(axis=1, keepdims=True)
        logp = Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))
        loss = -float(c @ (onehot * logp).sum(axis=1)) + 0.5 * l2 * float((W * W).sum())
        R = c[:, None] * (np.exp(logp) - onehot)
        gW = np.stack([X.tdot(R[:, k]) for k in range(classes)], axis=1) + l2 * W
        return loss, np.concatenate([gW.ravel(), R.sum(axis=0)])

    theta = _lbfgs(fun, np.zeros(d * classes + classes), max_iter)
    return theta[:d * classes].reshape(d, classes), theta[d * classes:]


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -z))


# -- training and evaluation ----------------------------------------------------------------------

def train(cases: Sequence[dict], vectors: Sequence[dict[str, float]], config: TrainConfig,
          categories: bool = True) -> Model:
    """Fit the escalation model and (unless ``categories`` is false) the category head on
    ``cases``, whose feature vectors come from ``featurize``."""
    vocab = _vocabulary(vectors, config.min_df)
    X = _matrix(vectors, vocab)
    y = np.array([1.0 if c["escalate"] else 0.0 for c in cases])
    weight = np.where(y > 0, config.positive_weight, 1.0)
    w, b = _fit_binary(X, y, weight, config.l2, config.max_iter)
    if not categories:
        return Model(vocab, w, b, np.zeros((len(vocab), len(CLASS_NAMES))), np.zeros(len(CLASS_NAMES)), config)
    positives = [i for i, c in enumerate(cases) if c["escalate"]]
    Xp = _matrix([vectors[i] for i in positives], vocab)
    labels = np.array([category_class(cases[i]) for i in positives], dtype=np.int64)
    W, cb = _fit_softmax(Xp, labels, len(CLASS_NAMES), config.category_l2, config.max_iter)
    return Model(vocab, w, b, W, cb, config)


def predict(model: Model, vectors: Sequence[dict[str, float]]) -> tuple[np.ndarray, np.ndarray]:
    """(escalation probabilities, category class indices) for feature vectors."""
    X = _matrix(vectors, model.vocab)
    p = _sigmoid(X.dot(model.weights) + model.bias)
    Z = np.stack([X.dot(model.category_weights[:, k]) for k in range(len(CLASS_NAMES))], axis=1)
    return p, np.argmax(Z + model.category_bias, axis=1)


def cross_validate(cases: Sequence[dict], vectors: Sequence[dict[str, float]], config: TrainConfig,
                   folds: int = 5, categories: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold probabilities and category guesses (all 0 without ``categories``)."""
    assignment = stratified_folds(cases, folds)
    p = np.zeros(len(cases))
    category = np.zeros(len(cases), dtype=np.int64)
    for k in range(folds):
        train_idx = [i for i in range(len(cases)) if assignment[i] != k]
        test_idx = [i for i in range(len(cases)) if assignment[i] == k]
        model = train([cases[i] for i in train_idx], [vectors[i] for i in train_idx], config, categories)
        p[test_idx], category[test_idx] = predict(model, [vectors[i] for i in test_idx])
    return p, category


def rates(p: np.ndarray, y: np.ndarray, threshold: float) -> tuple[float, float]:
    """(recall, false-positive rate) of ``p >= threshold`` against labels ``y``."""
    flagged = p >= threshold
    recall = float(flagged[y].mean()) if y.any() else 1.0
    fpr = float(flagged[~y].mean()) if (~y).any() else 0.0
    return recall, fpr


def choose_threshold(p: np.ndarray, y: np.ndarray, max_fpr: float) -> float:
    """The lowest threshold (highest recall) whose false-positive rate is at most ``max_fpr``.

    It sits halfway between the highest negative score that must stay below it and the next
    score down, so it does not ride on one training case's exact score.
    """
    negatives = np.sort(p[~y])[::-1]
    allowed = int(math.floor(max_fpr * len(negatives) + 1e-9))
    if allowed >= len(negatives):
        return 0.0
    boundary = negatives[allowed]  # this negative, and every lower one, must stay below
    above = p[p > boundary]
    upper = float(above.min()) if above.size else 1.0
    return round((float(boundary) + upper) / 2, 6)


# -- the model file -------------------------------------------------------------------------------

def export(model: Model, threshold: float, cv_report: dict, digits: int = 4) -> dict:
    """The JSON-ready model: rounded weights, all-zero category rows left out."""
    weights = {}
    category = {}
    for name, w, cw in zip(model.vocab, model.weights, model.category_weights):
        weights[name] = round(float(w), digits) + 0.0  # every feature: the scorer's length scaling needs them
        rcw = [round(float(x), digits) + 0.0 for x in cw]
        if any(rcw):
            category[name] = rcw
    return {
        "format": 1,
        "features": model.config.features.to_dict(),
        "threshold": threshold,
        "bias": round(model.bias, 6),
        "weights": weights,
        "categories": {"names": list(CLASS_NAMES), "bias": [round(float(b), 6) for b in model.category_bias],
                       "weights": category},
        "cv": cv_report,
    }
