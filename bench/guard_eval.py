"""The output guard's report card: prints one JSON object.

For each set: the share of harmful replies caught (per category too), the share of caring
look-alikes passed, and which check caught what (rules, phone numbers, learned n-grams, the
meaning-based encoder), screening each whole reply; then the same two shares streamed, as the chat
session screens a reply (the accumulated text after every 8-character chunk, then the whole): a
caring reply passes only if no partial screen stops it. Then latency
with no chat model loaded: p99 of one uncached screen of a ~1,000-character reply, and the whole
streamed cost per 1,000 characters (a partial screen after every 8-character chunk, then the final
one), as the chat session runs it.

Sets:
- ``blind_v21``: tests/data/blind/guard_blind_v21.jsonl (320 replies), written by four new helpers
  under the same rule and committed unread for the reading after v20's; not read yet.
- ``blind_v20``: tests/data/blind/guard_blind_v20.jsonl (320 replies), committed unread (37b2e3d) and
  read once at the end of the work it measures (c51963c); the README's figures that count.
- ``blind_v19``: tests/data/blind/guard_blind_v19.jsonl (320 replies), committed unread (594c2c1) and
  read once at the end of the work it measures (d401ebe).
- ``blind_v18``: tests/data/blind/guard_blind_v18.jsonl (320 replies), committed unread (b92e0f8) and
  read once at the end of the work it measures (ebaa3d5).
- ``blind_v17``: tests/data/blind/guard_blind_v17.jsonl (320 replies), committed unread (f235901) and
  read once at the end of the work it measures (3123861).
- ``blind_v16``: tests/data/blind/guard_blind_v16.jsonl (320 replies), committed unread (09448e3) and
  read once at the end of the work it measures (8fccb19).
- ``blind_v15``: tests/data/blind/guard_blind_v15.jsonl (320 replies), committed unread (b059c52) and
  read once at 2bd7a7b.
- ``blind_v14``: tests/data/blind/guard_blind_v14.jsonl (320 replies), read once at 46bd834. Earlier sets
  (v3-v13) were read once each in their turn.
- ``blind``: tests/data/blind/guard_blind.jsonl, written by someone who never saw the guard, its
  rules or its training cases. The figures that count.
- ``own``: training/guard/*.jsonl, the cases the learned check was trained on (optimistic by
  construction; the cross-validated figures are stored in data/guard_model.json under "cv").

Usage: python bench/guard_eval.py [--set blind] [--misses]
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

from edge_counsel.safety.guard import NUMBER_REASONS, OutputGuard  # noqa: E402

SETS = {"blind_v21": [REPO / "tests" / "data" / "blind" / "guard_blind_v21.jsonl"],
        "blind_v20": [REPO / "tests" / "data" / "blind" / "guard_blind_v20.jsonl"],
        "blind_v19": [REPO / "tests" / "data" / "blind" / "guard_blind_v19.jsonl"],
        "blind_v18": [REPO / "tests" / "data" / "blind" / "guard_blind_v18.jsonl"],
        "blind_v17": [REPO / "tests" / "data" / "blind" / "guard_blind_v17.jsonl"],
        "blind_v16": [REPO / "tests" / "data" / "blind" / "guard_blind_v16.jsonl"],
        "blind_v15": [REPO / "tests" / "data" / "blind" / "guard_blind_v15.jsonl"],
        "blind_v14": [REPO / "tests" / "data" / "blind" / "guard_blind_v14.jsonl"],
        "blind_v13": [REPO / "tests" / "data" / "blind" / "guard_blind_v13.jsonl"],
        "blind_v12": [REPO / "tests" / "data" / "blind" / "guard_blind_v12.jsonl"],
        "blind_v11": [REPO / "tests" / "data" / "blind" / "guard_blind_v11.jsonl"],
        "blind_v10": [REPO / "tests" / "data" / "blind" / "guard_blind_v10.jsonl"],
        "blind_v9": [REPO / "tests" / "data" / "blind" / "guard_blind_v9.jsonl"],
        "blind_v8": [REPO / "tests" / "data" / "blind" / "guard_blind_v8.jsonl"],
        "blind_v7": [REPO / "tests" / "data" / "blind" / "guard_blind_v7.jsonl"],
        "blind_v6": [REPO / "tests" / "data" / "blind" / "guard_blind_v6.jsonl"],
        "blind_v5": [REPO / "tests" / "data" / "blind" / "guard_blind_v5.jsonl"],
        "blind_v4": [REPO / "tests" / "data" / "blind" / "guard_blind_v4.jsonl"],
        "blind_v3": [REPO / "tests" / "data" / "blind" / "guard_blind_v3.jsonl"],
        "blind": [REPO / "tests" / "data" / "blind" / "guard_blind.jsonl"],
        "own": sorted((REPO / "training" / "guard").glob("*.jsonl"))}
# Blind sets not read yet: run only when named with --set, at the reading they are kept for.
UNREAD = {"blind_v21"}


def load(paths: list[Path]) -> list[dict]:
    return [json.loads(line) for path in paths if path.exists()
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# The categories issue 12 names; a blind set may add others (v8: "minimizing"), reported per category.
ISSUE_CATEGORIES = {"encourage", "method", "futility", "human_claim", "secrecy", "harm_others", "eating",
                    "hotline_wrong"}


def lang_of(case: dict) -> str:
    return "zh" if str(case.get("lang", "en")).startswith("zh") else "en"


def evaluate(guard: OutputGuard, cases: list[dict], misses: bool) -> dict:
    caught, passed, named = [], [], []
    per_category: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_check: dict[str, int] = defaultdict(int)
    wrong = []
    for case in cases:
        verdict = guard.screen(case["text"], lang_of(case))
        if case["harmful"]:
            caught.append(not verdict.safe)
            if case["category"] in ISSUE_CATEGORIES:
                named.append(not verdict.safe)
            per_category[case["category"]][0] += not verdict.safe
            per_category[case["category"]][1] += 1
            for reason in verdict.reasons[:1]:
                by_check["learned" if reason.endswith(".learned") else "meaning" if reason.endswith(".meaning") else
                         "numbers" if reason in NUMBER_REASONS else "rules"] += 1
        else:
            passed.append(verdict.safe)
        if misses and verdict.safe == bool(case["harmful"]):
            wrong.append({"id": case.get("id"), "category": case["category"], "reasons": verdict.reasons,
                          "text": case["text"][:140]})
    streamed = [(bool(case["harmful"]), _streamed_safe(guard, case["text"], lang_of(case))) for case in cases]
    out = {"harmful_caught": round(sum(caught) / len(caught), 4), "harmful_n": len(caught),
           "harmful_caught_in_issue_categories": _share(named), "issue_categories_n": len(named),
           "caring_passed": round(sum(passed) / len(passed), 4), "caring_n": len(passed),
           "per_category_caught": {c: round(h / n, 3) for c, (h, n) in sorted(per_category.items())},
           "first_check_that_caught": dict(by_check),
           "streamed": {"harmful_caught": _share([not safe for harmful, safe in streamed if harmful]),
                        "caring_passed": _share([safe for harmful, safe in streamed if not harmful])}}
    if misses:
        out["wrong"] = wrong
    return out


def _streamed_safe(guard: OutputGuard, text: str, lang: str) -> bool:
    for end in range(8, len(text), 8):
        if not guard.screen(text[:end], lang, partial=True).safe:
            return False
    return guard.screen(text, lang).safe


def _share(flags: list[bool]) -> float:
    return round(sum(flags) / max(1, len(flags)), 4)


def latency(guard: OutputGuard, cases: list[dict]) -> dict:
    caring = [c["text"] for c in cases if not c["harmful"]]
    replies, current = [], ""
    for text in caring * 3:
        current += text + " "
        if len(current) >= 1000:
            replies.append(current[:1000])
            current = ""
    one, streamed = [], []
    for reply in replies:
        _clear(guard)
        start = time.perf_counter()
        guard.screen(reply)
        one.append((time.perf_counter() - start) * 1000)
        _clear(guard)
        start = time.perf_counter()
        for end in range(8, len(reply), 8):
            guard.screen(reply[:end], partial=True)
        guard.screen(reply)
        streamed.append((time.perf_counter() - start) * 1000)
    q = lambda xs: round(sorted(xs)[int(0.99 * (len(xs) - 1))], 3)  # noqa: E731
    return {"replies": len(replies), "screen_1000_chars_p50_ms": round(statistics.median(one), 3),
            "screen_1000_chars_p99_ms": q(one), "streamed_per_1000_chars_p50_ms": round(statistics.median(streamed), 3),
            "streamed_per_1000_chars_p99_ms": q(streamed)}


def _clear(guard: OutputGuard) -> None:
    model = getattr(guard, "_model", None)
    if model is not None:
        model.clear_cache()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=sorted(SETS), action="append")
    parser.add_argument("--misses", action="store_true")
    parser.add_argument("--rules-only", action="store_true", help="without the learned check")
    args = parser.parse_args()
    guard = OutputGuard(learned=not args.rules_only)
    out = {}
    for name in args.set or [n for n in SETS if n not in UNREAD]:
        cases = load(SETS[name])
        if cases:
            out[name] = evaluate(guard, cases, args.misses)
    blind = load(SETS["blind_v3"]) or load(SETS["own"])
    out["latency"] = latency(guard, blind)
    print(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
