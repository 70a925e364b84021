"""The safety dialogue's answer card: prints one JSON object.

Reads training/screening/answers_dev.jsonl (user message, a screening question in free wording,
the user's answer; label ``answer``: yes / no / unsure) and reports, per label, the rate of
answers understood:

- yes: the takeover (high or imminent); when the question is the wish step (as the dialogue
  recognises it), "moderate" or above is right, since a wish to be dead alone keeps screening.
- no: "none" or "low".
- unsure: "moderate" or above (an evasive answer never de-escalates).

The file is split by id into an odd and an even half: rules are developed on the odd half, and
the even half is the held-out check. Both halves and the whole are reported.

Measured (yes / no / unsure): before the rework of the answer patterns, odd 0.36 / 0.76 / 0.45 and
even 0.52 / 0.78 / 0.45; after it, odd 1.00 / 1.00 / 1.00 (developed on, so optimistic) and even
0.93 / 0.99 / 0.79 (held out: looked at once, at the end, and not tuned on).

Usage: python bench/screening_eval.py [--half odd|even|all] [--misses]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from edge_counsel.safety.risk import LEVELS  # noqa: E402
from edge_counsel.safety.screening import SafetyDialogue  # noqa: E402

DEV = REPO / "training" / "screening" / "answers_dev.jsonl"
_RANK = {level: rank for rank, level in enumerate(LEVELS)}


def load(path: Path = DEV) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def half_of(case: dict) -> str:
    """'odd' or 'even' by the number in the case's id ("sa-0007" -> odd)."""
    digits = "".join(ch for ch in str(case["id"]) if ch.isdigit())
    return "odd" if int(digits) % 2 else "even"


def understood(label: str, level: str, step: str | None) -> bool:
    rank = _RANK[level]
    if label == "yes":
        return rank >= _RANK["moderate" if step == "wish" else "high"]
    if label == "no":
        return rank <= _RANK["low"]
    return rank >= _RANK["moderate"]


def evaluate(dialogue: SafetyDialogue, cases: list[dict], want_misses: bool = False) -> dict:
    tally: dict[str, list[bool]] = defaultdict(list)
    misses = []
    for case in cases:
        messages = case["messages"]
        step = dialogue.step_asked(messages[-2]["content"]) if len(messages) > 1 else None
        a = dialogue.assess(messages)
        ok = understood(case["answer"], a.level, step)
        tally[case["answer"]].append(ok)
        tally[f"{case['answer']}_{case.get('lang', '?')}"].append(ok)
        if not ok and want_misses:
            misses.append({"id": case["id"], "label": case["answer"], "step": step, "answer_kind": a.answer,
                           "got": a.level, "question": messages[-2]["content"][-90:],
                           "answer": messages[-1]["content"]})
    report = {k: {"rate": round(sum(v) / len(v), 3), "n": len(v), "hits": sum(v)} for k, v in sorted(tally.items())}
    if want_misses:
        report["misses"] = misses
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--half", choices=("odd", "even", "all"), help="only this half (default: each half and all)")
    parser.add_argument("--misses", action="store_true", help="list the answers judged wrongly")
    args = parser.parse_args()
    dialogue = SafetyDialogue()
    cases = load()
    halves = [args.half] if args.half else ["odd", "even", "all"]
    out = {}
    for half in halves:
        chosen = [c for c in cases if half == "all" or half_of(c) == half]
        out[half] = evaluate(dialogue, chosen, args.misses)
    print(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
