"""Train the learned crisis stage and write edge_counsel/data/risk/classifier.json.

Reads the tuning cases (tests/data/crisis_cases.jsonl), the shared dev set (if present) and the
extra training cases (tests/data/crisis_train_extra.jsonl); runs stratified 5-fold
cross-validation; prints recall and false-positive rate per language for the classifier alone and
for rules-or-classifier; picks the threshold with the highest cross-validated recall whose
cross-validated false-positive rate is at most --max-fpr; trains on everything and writes the model.
The held-out set (tests/data/crisis_holdout.jsonl) is never read here.

Usage: python tools/train_risk_model.py [--search] [--max-fpr 0.03] [--out PATH]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from edge_counsel.risk import RiskDetector  # noqa: E402
from edge_counsel.risk_model import FeatureConfig  # noqa: E402
from edge_counsel.risk_train import (CLASS_NAMES, TrainConfig, category_class, choose_threshold,  # noqa: E402
                                     cross_validate, export, featurize, load_cases, rates, train)

CASE_FILES = [REPO / "tests" / "data" / "crisis_cases.jsonl", REPO.parent / "shared" / "eval" / "crisis_dev.jsonl",
              REPO / "tests" / "data" / "crisis_train_extra.jsonl"]
OUT = REPO / "edge_counsel" / "data" / "risk" / "classifier.json"

# The grid --search walks; the defaults in TrainConfig / FeatureConfig are its winner.
SEARCH = {
    "l2": [1e-5, 3e-5, 1e-4, 3e-4],
    "positive_weight": [1.0, 1.5, 3.0],
    "features": [FeatureConfig(), FeatureConfig(context_weights=()), FeatureConfig(han_ngrams=(1, 4)),
                 FeatureConfig(char_ngrams=(3, 4)), FeatureConfig(word_bigrams=False)],
}


def rules_flags(cases: list[dict]) -> np.ndarray:
    """Whether the rule stage alone escalates each case (the classifier file is not consulted)."""
    detector = RiskDetector(classifier=False)
    return np.array([detector.assess(c["turns"]).escalate for c in cases])


def report(cases: list[dict], p: np.ndarray, threshold: float, rules: np.ndarray) -> dict:
    """CV recall / FPR per language: classifier alone, rules alone, and rules or classifier."""
    y = np.array([bool(c["escalate"]) for c in cases])
    langs = np.array([c["lang"] for c in cases])
    out = {}
    for lang in ["all", "en", "zh", "mixed"]:
        mask = np.ones(len(cases), bool) if lang == "all" else langs == lang
        row = {"positives": int(y[mask].sum()), "negatives": int((~y[mask]).sum())}
        for name, score in [("classifier", p), ("rules", rules.astype(float)),
                            ("combined", np.maximum(p >= threshold, rules).astype(float))]:
            t = threshold if name == "classifier" else 0.5
            recall, fpr = rates(score[mask], y[mask], t)
            row[name] = {"recall": round(recall, 4), "fpr": round(fpr, 4)}
        missed = mask & y & ~rules
        row["recall_where_rules_miss"] = round(float((p[missed] >= threshold).mean()), 4) if missed.any() else None
        row["rules_miss"] = int(missed.sum())
        out[lang] = row
    return out


def tradeoff(cases: list[dict], p: np.ndarray, rules: np.ndarray) -> list[dict]:
    """What other false-positive budgets would buy, for whoever sets the budget."""
    y = np.array([bool(c["escalate"]) for c in cases])
    rows = []
    for budget in (0.01, 0.02, 0.03, 0.05, 0.08, 0.10):
        t = choose_threshold(p, y, budget)
        flagged = (p >= t) | rules
        rows.append({"max_fpr": budget, "threshold": t, "classifier_recall": round(rates(p, y, t)[0], 4),
                     "recall_where_rules_miss": round(float((p[y & ~rules] >= t).mean()), 4),
                     "combined_recall": round(float(flagged[y].mean()), 4),
                     "combined_fpr": round(float(flagged[~y].mean()), 4)})
    return rows


def category_accuracy(cases: list[dict], guesses: np.ndarray) -> float:
    positives = [i for i, c in enumerate(cases) if c["escalate"]]
    return round(float(np.mean([guesses[i] == category_class(cases[i]) for i in positives])), 4)


def evaluate(cases, vectors_for, config: TrainConfig, rules: np.ndarray,
             categories: bool = True) -> tuple[float, float, np.ndarray, np.ndarray]:
    """(threshold, CV recall at it on the positives the rules miss, out-of-fold probabilities,
    category guesses) for one config."""
    vectors = vectors_for(config.features)
    p, guesses = cross_validate(cases, vectors, config, categories=categories)
    y = np.array([bool(c["escalate"]) for c in cases])
    threshold = choose_threshold(p, y, config.max_fpr)
    return threshold, float((p[y & ~rules] >= threshold).mean()), p, guesses


def search(cases, vectors_for, base: TrainConfig, rules: np.ndarray) -> TrainConfig:
    """Coordinate-wise search over SEARCH. The criterion is the stage's job: CV recall on the
    positives the rules miss, at the threshold that keeps CV FPR on all negatives <= max_fpr."""
    best, best_recall = base, evaluate(cases, vectors_for, base, rules, categories=False)[1]
    print(f"start: recall {best_recall:.4f} {base}")
    for key, options in SEARCH.items():
        for value in options:
            candidate = dataclasses.replace(best, **{key: value})
            if candidate == best:
                continue
            recall = evaluate(cases, vectors_for, candidate, rules, categories=False)[1]
            print(f"  {key}={value}: recall {recall:.4f}")
            if recall > best_recall + 1e-9:
                best, best_recall = candidate, recall
    print(f"best: recall {best_recall:.4f} {best}")
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--search", action="store_true", help="search the hyperparameter grid by CV first")
    parser.add_argument("--max-fpr", type=float, default=TrainConfig.max_fpr)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    started = time.perf_counter()
    cases = load_cases(p for p in CASE_FILES if p.exists())
    normalize = RiskDetector(classifier=False).normalize
    cached: dict[FeatureConfig, list] = {}

    def vectors_for(features: FeatureConfig) -> list:
        if features not in cached:
            cached[features] = featurize(cases, normalize, features)
        return cached[features]

    config = TrainConfig(max_fpr=args.max_fpr)
    rules = rules_flags(cases)
    if args.search:
        config = search(cases, vectors_for, config, rules)
    threshold, _, p, guesses = evaluate(cases, vectors_for, config, rules)
    cv = {"folds": 5, "max_fpr": config.max_fpr, "threshold": threshold,
          "category_accuracy": category_accuracy(cases, guesses),
          "by_language": report(cases, p, threshold, rules), "tradeoff": tradeoff(cases, p, rules),
          "config": {"l2": config.l2, "positive_weight": config.positive_weight, "min_df": config.min_df}}
    print(json.dumps(cv, indent=1))
    model = train(cases, vectors_for(config.features), config)
    data = export(model, threshold, cv)
    args.out.write_text(json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n",
                        encoding="utf-8")
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB, {len(model.vocab)} features, "
          f"classes {list(CLASS_NAMES)}) in {time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    main()
