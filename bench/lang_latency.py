"""Latency of language detection on a long message (it runs on every message a user sends).

Prints one JSON object: {"chars", "calls", "per_call_ms", "target_ms", "meets_target"}. The text is
a 4,300-character English paste; only the first 2,000 characters are read, so a longer paste
costs the same. No network, no model, no disk.

    python bench/lang_latency.py [--calls N]
"""

from __future__ import annotations

import argparse
import json
import time

from edge_counsel.lang import detect_language

TEXT = "I keep thinking about what she said to me. " * 100
TARGET_MS = 2.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    detect_language(TEXT)  # compile the regexes outside the timing
    start = time.perf_counter()
    for _ in range(args.calls):
        detect_language(TEXT)
    per_call_ms = (time.perf_counter() - start) * 1000 / args.calls
    print(json.dumps({"chars": len(TEXT), "calls": args.calls, "per_call_ms": round(per_call_ms, 4),
                      "target_ms": TARGET_MS, "meets_target": per_call_ms <= TARGET_MS}))


if __name__ == "__main__":
    main()
