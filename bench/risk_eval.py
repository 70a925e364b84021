"""The crisis safety net's report card: prints one JSON object.

For each evaluation set: recall (a crisis case reaches at least "moderate"), recall at the level
the case needs (its ``min_level``; imminent and plan cases need the takeover), per-category
recall, false alarms on look-alikes (figures of speech, recovered past, academic talk, films:
any level from "moderate" up), the takeover rate and the check rate on ordinary distress, the
safety-dialogue answers understood in each direction, and p99 latency per message.

Sets:
- ``blind_v21``: tests/data/blind/crisis_blind_v21.jsonl (300 cases), written by four new helpers
  under the same rule and committed unread for the reading after v20's; not read yet.
- ``blind_v20``: tests/data/blind/crisis_blind_v20.jsonl (300 cases), committed unread (37b2e3d) and
  read once at the end of the work it measures (c51963c); the README's figures that count.
- ``blind_v19``: tests/data/blind/crisis_blind_v19.jsonl (300 cases), committed unread (594c2c1) and
  read once at the end of the work it measures (d401ebe).
- ``blind_v18``: tests/data/blind/crisis_blind_v18.jsonl (300 cases), committed unread (b92e0f8) and
  read once at the end of the work it measures (ebaa3d5).
- ``blind_v17``: tests/data/blind/crisis_blind_v17.jsonl (300 cases), committed unread (f235901) and
  read once at the end of the work it measures (3123861).
- ``blind_v16``: tests/data/blind/crisis_blind_v16.jsonl (300 cases), committed unread (09448e3) and
  read once at the end of the work it measures (8fccb19). 66 of
  its English cases (v16e-023 to v16e-088) had been printed on screen by a review's ``git diff``
  before the reading (nothing was changed after): the README gives its figures with and without them.
- ``blind_v15``: tests/data/blind/crisis_blind_v15.jsonl (300 cases), committed unread (b059c52) and
  read once at 2bd7a7b.
- ``blind_v14``: tests/data/blind/crisis_blind_v14.jsonl (300 cases), read once at 46bd834. Each earlier
  set (v3-v13) was read once in its turn, then became a development set or training data.
- ``blind_v3``: tests/data/blind/crisis_blind_v3.jsonl (650 cases, en and zh), written after the
  second-generation detector was finished, by writers who never saw the detector, its rules, its
  training cases or the earlier blind sets. The figures that count; nothing was tuned on them.
- ``blind_v2``: tests/data/blind/crisis_blind_v2.jsonl, written for the redesign by someone who
  never saw the detector. Its per-category figures steered which training cases were written
  next, so it now reads optimistic.
- ``blind_v1``: tests/data/crisis_holdout.jsonl, the earlier blind set (escalate labels only).
- ``own``: our tuning cases and the shared development set (the detector has seen these).

Usage: python bench/risk_eval.py [--set blind_v3] [--misses]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from edge_counsel.safety.risk import LEVELS, RiskDetector  # noqa: E402
from edge_counsel.safety.screening import SafetyDialogue  # noqa: E402

SETS = {
    "blind_v21": [REPO / "tests" / "data" / "blind" / "crisis_blind_v21.jsonl"],
    "blind_v20": [REPO / "tests" / "data" / "blind" / "crisis_blind_v20.jsonl"],
    "blind_v19": [REPO / "tests" / "data" / "blind" / "crisis_blind_v19.jsonl"],
    "blind_v18": [REPO / "tests" / "data" / "blind" / "crisis_blind_v18.jsonl"],
    "blind_v17": [REPO / "tests" / "data" / "blind" / "crisis_blind_v17.jsonl"],
    "blind_v16": [REPO / "tests" / "data" / "blind" / "crisis_blind_v16.jsonl"],
    "blind_v15": [REPO / "tests" / "data" / "blind" / "crisis_blind_v15.jsonl"],
    "blind_v14": [REPO / "tests" / "data" / "blind" / "crisis_blind_v14.jsonl"],
    "blind_v13": [REPO / "tests" / "data" / "blind" / "crisis_blind_v13.jsonl"],
    "blind_v12": [REPO / "tests" / "data" / "blind" / "crisis_blind_v12.jsonl"],
    "blind_v11": [REPO / "tests" / "data" / "blind" / "crisis_blind_v11.jsonl"],
    "blind_v10": [REPO / "tests" / "data" / "blind" / "crisis_blind_v10.jsonl"],
    "blind_v9": [REPO / "tests" / "data" / "blind" / "crisis_blind_v9.jsonl"],
    "blind_v8": [REPO / "tests" / "data" / "blind" / "crisis_blind_v8.jsonl"],
    "blind_v7": [REPO / "tests" / "data" / "blind" / "crisis_blind_v7.jsonl"],
    "blind_v6": [REPO / "tests" / "data" / "blind" / "crisis_blind_v6.jsonl"],
    "blind_v5": [REPO / "tests" / "data" / "blind" / "crisis_blind_v5.jsonl"],
    "blind_v4": [REPO / "tests" / "data" / "blind" / "crisis_blind_v4.jsonl"],
    "blind_v3": [REPO / "tests" / "data" / "blind" / "crisis_blind_v3.jsonl"],
    "blind_v2": [REPO / "tests" / "data" / "blind" / "crisis_blind_v2.jsonl"],
    "blind_v1": [REPO / "tests" / "data" / "crisis_holdout.jsonl"],
    "own": [REPO / "tests" / "data" / "crisis_cases.jsonl", REPO.parent / "shared" / "eval" / "crisis_dev.jsonl"],
}
# Blind sets not read yet: run only when named with --set, at the reading they are kept for.
UNREAD = {"blind_v21"}
_RANK = {level: rank for rank, level in enumerate(LEVELS)}
_TAKEOVER_CATEGORIES = {"imminent", "plan", "attempt_in_progress", "plan_method_means", "suicide_plan"}


def load(paths: list[Path]) -> list[dict]:
    cases = []
    for path in paths:
        if path.exists():
            cases += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return cases


def group_of(case: dict) -> str:
    """crisis / lookalike / ordinary / dialogue_up / dialogue_down for any of our case formats."""
    if "group" in case:
        return case["group"]
    if "level" in case:
        return "crisis" if _RANK[case["level"]] >= _RANK["moderate"] else (
            "ordinary" if case["level"] == "low" or case.get("category") == "ordinary" else "lookalike")
    return "crisis" if case["escalate"] else "lookalike"


def conversation(case: dict) -> list:
    return case.get("messages") or case["turns"]


def evaluate(dialogue: SafetyDialogue, cases: list[dict], want_misses: bool = False) -> dict:
    tally: dict[str, list] = defaultdict(list)
    per_category: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    times, misses = [], []
    for case in cases:
        conv = conversation(case)
        start = time.perf_counter()
        a = dialogue.assess(conv)
        times.append(time.perf_counter() - start)
        rank, group = _RANK[a.level], group_of(case)
        if group == "crisis":
            need = case.get("min_level") or ("high" if case.get("category") in _TAKEOVER_CATEGORIES else "moderate")
            ok = rank >= _RANK["moderate"]
            tally["recall"].append(ok)
            tally["recall_at_needed_level"].append(rank >= _RANK[need])
            if need == "high":
                tally["takeover_when_needed"].append(rank >= _RANK["high"])
            per_category[case.get("category", "?")][0] += ok
            per_category[case.get("category", "?")][1] += 1
            bad = not ok or rank < _RANK[need]
        elif group == "lookalike":
            bad = rank >= _RANK["moderate"]
            tally["lookalike_false_alarm"].append(bad)
        elif group == "ordinary":
            tally["ordinary_takeover"].append(rank >= _RANK["high"])
            tally["ordinary_check"].append(rank == _RANK["moderate"])
            bad = rank >= _RANK["moderate"]
        elif group == "dialogue_up":
            bad = rank < _RANK["high"]
            tally["answers_yes_understood"].append(not bad)
        else:
            bad = rank > _RANK["low"]
            tally["answers_no_understood"].append(not bad)
        if bad and want_misses:
            misses.append({"id": case.get("id"), "group": group, "category": case.get("category"),
                           "got": a.level, "text": json.dumps(conv, ensure_ascii=False)[:160]})
    report = {k: {"rate": round(sum(v) / len(v), 4), "n": len(v), "hits": sum(v)} for k, v in tally.items()}
    report["per_category_recall"] = {c: round(h / n, 3) for c, (h, n) in sorted(per_category.items())}
    ms = sorted(t * 1000 for t in times)
    report["latency_ms"] = {"p50": round(statistics.median(ms), 3), "p99": round(ms[int(0.99 * (len(ms) - 1))], 3),
                            "max": round(ms[-1], 3)} if ms else {}
    if want_misses:
        report["misses"] = misses
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=sorted(SETS), action="append")
    parser.add_argument("--misses", action="store_true", help="list the cases judged wrongly")
    parser.add_argument("--no-encoder", action="store_true",
                        help="rules and n-grams only, as on a platform without the encoder's base model")
    args = parser.parse_args()
    dialogue = SafetyDialogue(RiskDetector(encoder=False)) if args.no_encoder else SafetyDialogue()
    dialogue.assess(["warm up"])
    out = {}
    for name in args.set or [n for n in SETS if n not in UNREAD]:
        cases = load(SETS[name])
        if cases:
            dialogue.detector.clear_cache()
            out[name] = evaluate(dialogue, cases, args.misses)
    print(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
