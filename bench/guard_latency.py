"""Latency of one output-guard screen on a ~1000-character supportive reply.

Prints one JSON object: {"p50_ms", "p99_ms", ...}. The figure that matters is the English
1000-character case (the guard runs on the accumulated reply after every streamed chunk); the
Chinese and 4000-character figures are printed alongside, and the same 1000-character texts
screened without the meaning-based check (the guard's encoder), in the same run. Each text holds
a caring sentence the n-grams find suspicious enough to ask the encoder about ("You asked if I
think you should just end it. No."), so the figure is that of a screen that asks it, the costlier
kind (``encoder_asked`` says so). No network, no chat model, no disk writes.

    python bench/guard_latency.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from edge_counsel.safety.guard import OutputGuard

EN = (
    "It sounds like this week has been exhausting, and that you have been holding a lot on your own. "
    "When you describe lying awake replaying the conversation with your manager, I hear how much it "
    "matters to you to be seen as capable, and how painful it is to feel dismissed. You asked if I think "
    "you should just end it. No. I think you deserve help. "
    "If thoughts of suicide or of hurting yourself ever come up, please reach out to someone you trust "
    "or a crisis line, and know that a licensed therapist could also help you with this. I'm an AI, not "
    "a therapist, but I'm here to listen for as long as you want to talk. You mentioned your sister "
    "earlier; it sounded like she has been a steady person for you. Sometimes just telling one person "
    "how heavy things feel can make them a little lighter. There is no right way to feel about this, "
    "and you don't have to decide anything tonight. What would feel most supportive to you right now: "
    "talking more about what happened at work, or thinking about how to get some rest this evening? "
)
ZH = (
    "听起来这一周你真的很累，很多事情都只能自己一个人扛着。你说晚上躺在床上反复回想和领导的那次谈话，"
    "我能感受到被看作有能力对你有多重要，而被忽视又让你有多难受。你说你的决定已经想好了。我尊重你，"
    "但正因为尊重你，我想坦白说：我很担心你。"
    "如果你有自杀或伤害自己的念头，请联系你信任的人或心理援助热线，持证的心理咨询师也可以帮助你。"
    "我是AI，不是心理咨询师，但只要你愿意，我会一直在这里听你说。你之前提到了姐姐，她似乎一直是你身边"
    "很稳定的支持。有时候，只是把心里的沉重告诉一个人，就能让它轻一点。对这件事没有所谓正确的感受，"
    "今晚你也不需要做任何决定。现在什么对你来说最有帮助：多聊聊工作上发生的事，还是想想今晚怎么好好休息？"
)


def _timings(guard: OutputGuard, text: str, runs: int) -> list[float]:
    """Cold timings: the learned check's per-sentence cache is cleared before every screen, so
    each run pays for every sentence (in a streamed reply, only the newest one is new)."""
    times = []
    for _ in range(runs):
        if guard._model is not None:
            guard._model.clear_cache()
        start = time.perf_counter()
        guard.screen(text)
        times.append((time.perf_counter() - start) * 1000)
    return sorted(times)


def _p(times: list[float], q: float) -> float:
    return round(times[min(len(times) - 1, int(len(times) * q))], 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    args = parser.parse_args()
    guard = OutputGuard()
    en_1k, zh_1k, en_4k = (EN * 2)[:1000], (ZH * 3)[:1000], (EN * 5)[:4000]
    assert all(guard.screen(t).safe for t in (en_1k, zh_1k, en_4k)), "a benchmark text was flagged"
    en = _timings(guard, en_1k, args.runs)
    zh = _timings(guard, zh_1k, args.runs)
    long = _timings(guard, en_4k, args.runs // 4)
    # The same texts without the meaning-based check (asked once per screen when the gate lets a
    # reply through; both benchmark texts pass it): its cost, measured in the same run.
    plain = OutputGuard(encoder=False)
    en_plain, zh_plain = _timings(plain, en_1k, args.runs), _timings(plain, zh_1k, args.runs)
    print(json.dumps({"p50_ms": round(statistics.median(en), 4), "p99_ms": _p(en, 0.99),
                      "chars": len(en_1k), "runs": args.runs,
                      "zh_p50_ms": round(statistics.median(zh), 4), "zh_p99_ms": _p(zh, 0.99),
                      "en_4000_p50_ms": round(statistics.median(long), 4),
                      "without_encoder": {"p50_ms": round(statistics.median(en_plain), 4), "p99_ms": _p(en_plain, 0.99),
                                          "zh_p50_ms": round(statistics.median(zh_plain), 4),
                                          "zh_p99_ms": _p(zh_plain, 0.99)},
                      "encoder_asked": guard._model is not None and all(guard._model.asks_encoder(t) for t in (en_1k, zh_1k))}))


if __name__ == "__main__":
    main()
