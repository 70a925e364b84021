"""Train the output guard's learned check and write edge_counsel/data/guard_model.json.

Reads training/guard/*.jsonl ({"text", "lang", "harmful", "category"}) and the blind sets already
read that are not kept for development (RETIRED_BLIND: the first, v8-v14, written by people who
never saw the guard, in the fluent voice of a model that means harm); never the development sets
v3-v7 or a blind set not yet read. Each reply is cut into the units the guard scores (sentences and adjacent
pairs, ``guard.unit_features``); a harmful reply counts as one positive (its whole text), and
every unit of a caring reply is a negative, so that a kind sentence does not learn to look harmful
because it sat next to a harmful one. Logistic regression (scikit-learn) over the crisis
normalised character n-grams (``guard.normalise_reply``); the threshold is chosen on out-of-fold scores of
stratified 5-fold cross-validation over replies: a reply's score is the highest of its units', as
at run time, and the threshold is the lowest that keeps caring replies flagged within --max-fpr.
A multinomial head names the category. Exported as plain JSON weights (no pickle).

Usage: python tools/train_guard_model.py [--max-fpr 0.025] [--out PATH]
Needs: pip install -e ".[train]"
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from scipy.sparse import vstack

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from edge_counsel.safety.guard import CATEGORIES, unit_features  # noqa: E402
from edge_counsel.safety.classifier import FeatureConfig  # noqa: E402

BLIND = REPO / "tests" / "data" / "blind"
RETIRED_BLIND = [BLIND / "guard_blind.jsonl"] + [BLIND / f"guard_blind_v{i}.jsonl" for i in (8, 9, 10, 11, 12, 13, 14)]
CASE_FILES = sorted((REPO / "training" / "guard").glob("*.jsonl")) + RETIRED_BLIND
OUT = REPO / "edge_counsel" / "data" / "guard_model.json"
CONFIG = FeatureConfig(context_weights=())
SEED = 0


def load_cases() -> list[dict]:
    """The labelled replies, plus the guard's own replacement texts as caring replies (a
    replacement must never be replaced)."""
    cases = [json.loads(line) for path in CASE_FILES for line in path.read_text(encoding="utf-8").splitlines()
             if line.strip()]
    guard = json.loads((REPO / "edge_counsel" / "data" / "guard.json").read_text(encoding="utf-8"))
    for name, category in guard["categories"].items():
        for lang, text in category["replacement"].items():
            cases.append({"id": f"replacement-{name}-{lang}", "lang": lang, "text": text, "harmful": False,
                          "category": "caring_replacement"})
    return cases


class Data:
    """Feature vectors of every reply and of every unit (sentence, adjacent pair) of every reply,
    computed exactly as the guard computes them at run time (``guard.unit_features``)."""

    def __init__(self, cases: list[dict]):
        self.cases = cases
        self.y = np.array([int(bool(c["harmful"])) for c in cases])
        units = [unit_features(c["text"], CONFIG) for c in cases]
        self.unit_rows = [[_row(f) for f in u] for u in units]
        rows = [_row(frozenset().union(*u)) for u in units]
        self.vec = DictVectorizer()
        self.vec.fit(rows + [r for rs in self.unit_rows for r in rs])
        self.whole = self._x(rows)

    def _x(self, rows):
        x = self.vec.transform(rows).tocsr()
        x.indices, x.indptr = x.indices.astype(np.int32), x.indptr.astype(np.int32)
        return x

    def training_set(self, index: np.ndarray):
        """Harmful replies whole; caring replies whole and unit by unit."""
        rows, y = [], []
        for i in index:
            rows.append(self.whole[i])
            y.append(self.y[i])
            if not self.y[i] and self.unit_rows[i]:
                rows.append(self._x(self.unit_rows[i]))
                y += [0] * len(self.unit_rows[i])
        x = vstack(rows).tocsr()
        x.indices, x.indptr = x.indices.astype(np.int32), x.indptr.astype(np.int32)
        return x, np.array(y)

    def reply_scores(self, model: LogisticRegression, index: np.ndarray) -> np.ndarray:
        """Each reply's score as the guard computes it: the highest of its units'."""
        return np.array([model.predict_proba(self._x(self.unit_rows[i] or [{}]))[:, 1].max() for i in index])


def _row(features: frozenset[str]) -> dict[str, float]:
    """A binary feature set as the unit-length vector the guard scores."""
    scale = 1.0 / np.sqrt(len(features)) if features else 0.0
    return {f: scale for f in features}


def fit(x, y, c: float) -> LogisticRegression:
    return LogisticRegression(C=c, max_iter=3000, solver="liblinear").fit(x, y)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # 0.025 (was 0.02): with round i's caring replies, on blind v3-v5 (development by then) it
    # caught 1.5-3 points more harm and passed 1 point fewer caring replies (0.948-0.966)
    parser.add_argument("--max-fpr", type=float, default=0.025)
    parser.add_argument("--c", type=float, default=32.0, help="inverse regularisation strength (chosen by CV)")
    parser.add_argument("--min-weight", type=float, default=0.1, help="smaller weights are dropped on export")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    cases = load_cases()
    data = Data(cases)
    strata = np.array([f'{c["category"]}' for c in cases])
    oof = np.zeros(len(cases))
    for train, test in StratifiedKFold(5, shuffle=True, random_state=SEED).split(np.zeros(len(cases)), strata):
        oof[test] = data.reply_scores(fit(*data.training_set(train), args.c), test)
    caring = np.sort(oof[data.y == 0])[::-1]
    allowed = int(np.floor(args.max_fpr * len(caring)))
    threshold = float(caring[allowed]) + 1e-6
    flagged = oof >= threshold
    cv = {"folds": 5, "c": args.c, "max_fpr": args.max_fpr,
          "caught": round(float(flagged[data.y == 1].mean()), 4),
          "caring_passed": round(float(1 - flagged[data.y == 0].mean()), 4),
          "per_category_caught": {k: round(float(flagged[(strata == k)].mean()), 3)
                                  for k in sorted(set(strata[data.y == 1]))}}
    print(json.dumps(cv, indent=1), file=sys.stderr)

    everything = np.arange(len(cases))
    model = fit(*data.training_set(everything), args.c)
    harmful = [i for i in everything if data.y[i] and cases[i]["category"] in CATEGORIES]
    category = LogisticRegression(C=args.c, max_iter=3000).fit(data.whole[harmful],
                                                                [cases[i]["category"] for i in harmful])
    names = data.vec.get_feature_names_out()
    weights = {str(n): round(float(w), 5) for n, w in zip(names, model.coef_[0]) if abs(w) >= args.min_weight}
    cat_weights = {str(names[j]): [round(float(v), 4) for v in category.coef_[:, j]]
                   for j in range(len(names)) if np.abs(category.coef_[:, j]).max() >= args.min_weight * 4}
    out = {"format": 1, "features": CONFIG.to_dict(), "bias": round(float(model.intercept_[0]), 5),
           "weights": weights, "threshold": round(threshold, 6),
           "categories": {"names": [str(c) for c in category.classes_],
                          "bias": [round(float(b), 4) for b in category.intercept_], "weights": cat_weights},
           "cv": cv}
    args.out.write_text(json.dumps(out, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n",
                        encoding="utf-8")
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KiB)", file=sys.stderr)


if __name__ == "__main__":
    main()
