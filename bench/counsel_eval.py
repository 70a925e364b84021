"""Conversation quality: scripted multi-turn counseling conversations run through the real chat
session (``services.conversation.Conversation`` on a real GGUF), with automatic measures per reply
and in total. Prints one JSON object.

Sets (the client's turns are fixed; each turn has a valence and the facts a later reply could
refer back to):
- ``dev``: tests/data/counsel/dev.jsonl, 16 conversations (8 zh, 8 en). Tune on this one.
- ``blind``: tests/data/blind/counsel_blind_v1.jsonl, 24 conversations (12 zh, 12 en), written by
  someone who never saw the prompts. The README's figures; nothing is tuned on it.

Measures, per model reply (crisis takeovers on these ordinary topics are counted, not measured;
so are the safety net's false alarms: ``guard_replaced``, a reply the output guard withheld, and
``safety_check_asked``, a screening question added to a reply):
- ``language_right``: the reply is in the conversation's language.
- ``question`` / ``one_question``: it asks a question / exactly one.
- ``repeated_question``: a question it asks is a near-duplicate of one asked earlier in the
  conversation; ``repeated_sentence``: any sentence is.
- ``valence_mismatch``: cheerful phrases ("That's great", "听起来很好") answering a painful turn.
- ``early_advice``: advice or a list in the first two replies.
- ``callback``: from the third reply on, it names something the client said two or more turns
  earlier (the conversation's own fact keywords).
- ``artefacts``: code, markdown or chat-template leftovers.
- ``chars``, ``first_token_s``, ``reply_s``.

Judge mode (``--judge GGUF``): another model scores each whole conversation 1-5 on the chat-therapy
rubric (comprehensiveness, professionalism, authenticity, safety) and the PsychoCounsel principles
(empathy, relevance, no premature advice); a small judge is a rough signal, a 7-8B one a useful one.

Usage: python bench/counsel_eval.py [--set dev|blind] [--model ID|PATH] [--limit N] [--seed 1]
                                    [--judge PATH] [--transcripts FILE]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from edge_counsel.engine.llama import GenerationParams  # noqa: E402
from edge_counsel.engine.loader import open_engine  # noqa: E402
from edge_counsel.lang import detect_language  # noqa: E402
from edge_counsel.safety.guard import reply_sentences  # noqa: E402
from edge_counsel.services.conversation import Conversation, Delta, Done  # noqa: E402
from edge_counsel.services.repetition import similar  # noqa: E402

SETS = {"dev": REPO / "tests" / "data" / "counsel" / "dev.jsonl",
        "blind": REPO / "tests" / "data" / "blind" / "counsel_blind_v1.jsonl"}

TARGETS = {"language_right": (">=", 0.98), "repeated_question": ("<=", 0.05),
           "valence_mismatch": ("<=", 0.02), "early_advice": ("<=", 0.10),
           "question": (">=", 0.70), "artefacts": ("<=", 0.0)}

_QUESTION_END = re.compile(r"([?？]|[吗呢吧][。？?]?)\s*$")
_CHEERFUL = re.compile(
    r"\b(that'?s|that is|sounds|what an?|how)\s+(really\s+|so\s+)?(great|wonderful|awesome|amazing|"
    r"fantastic|exciting|lovely|nice|good)\b|glad to hear|happy to hear|great feeling|"
    r"congratulations|good for you|"
    r"听起来(很|真|挺)?(好|棒|不错)|太好了|真棒|恭喜|很高兴听到|好消息|真不错|(很|真)开心(听到|知道)",
    re.IGNORECASE)
_LIST_LINE = re.compile(r"^\s*([-*•·]|\d+[.)、]|[一二三四五六七八九十]+、|（\d+）)\s*\S", re.MULTILINE)
_ADVICE = re.compile(
    r"\b(you should|you need to|you must|i suggest|i recommend|i'd recommend|my advice|here are|"
    r"tips?:|try to|make sure (to|you))\b|建议你|我建议|你应该|你需要|你必须|你可以试试|可以尝试|"
    r"以下是|以下几|首先.{0,40}其次",
    re.IGNORECASE)
_ARTEFACTS = re.compile(r"```|^\s*#{1,6}\s|\*\*|`[^`]+`|<\|?/?[a-z_]+\|?>|^\s*(user|assistant|"
                        r"counselor|system)\s*:|^\s*(来访者|咨询助手|用户|助手)\s*[:：]|"
                        r"\b(def|import|return|print)\b.*[(:]",
                        re.IGNORECASE | re.MULTILINE)


def sentences(text: str) -> list[str]:
    return [s for s in reply_sentences(text) if len(s) >= 6]


def questions(text: str) -> list[str]:
    return [s for s in sentences(text) if _QUESTION_END.search(s)]


def _repeats(now: list[str], before: list[str]) -> bool:
    return any(similar(a, b) for a in now for b in before)


def measure(reply: str, index: int, lang: str, turn: dict, earlier: list[str],
            facts_before: list[str]) -> dict:
    """The automatic measures of one reply (``index`` counts from 0 within the conversation)."""
    asked = questions(reply)
    said_before = [s for text in earlier for s in sentences(text)]
    asked_before = [q for text in earlier for q in questions(text)]
    row = {
        "language_right": detect_language(reply, default=lang) == lang,
        "question": bool(asked),
        "one_question": len(asked) == 1,
        "repeated_question": _repeats(asked, asked_before),
        "repeated_sentence": _repeats(sentences(reply), said_before),
        "valence_mismatch": turn.get("valence") == "painful" and bool(_CHEERFUL.search(reply)),
        "early_advice": index < 2 and bool(_LIST_LINE.search(reply) or _ADVICE.search(reply)),
        "artefacts": bool(_ARTEFACTS.search(reply)),
        "chars": len(reply),
    }
    if facts_before:
        low = reply.lower()
        row["callback"] = any(f.lower() in low for f in facts_before)
    return row


def run_conversation(engine, case: dict, params: GenerationParams, temperature: float | None = None) -> dict:
    session = Conversation(engine, params=params, temperature=temperature)
    replies, rows, takeovers = [], [], 0
    for index, turn in enumerate(case["turns"]):
        start, first = time.perf_counter(), None
        reply = None
        for event in session.send(turn["text"]):
            if isinstance(event, Delta) and first is None:
                first = time.perf_counter() - start
            if isinstance(event, Done):
                reply = event.reply
        elapsed = time.perf_counter() - start
        replies.append({"user": turn["text"], "reply": reply.text, "source": reply.source})
        if reply.source == "crisis":
            takeovers += 1
            continue
        facts = [f for t in case["turns"][: max(0, index - 1)] for f in t.get("facts", [])]
        row = measure(reply.text, index, case["lang"], turn,
                      [r["reply"] for r in replies[:-1] if r["source"] != "crisis"], facts)
        row.update(first_token_s=round(first or elapsed, 3), reply_s=round(elapsed, 3),
                   source=reply.source, safety_check=bool(reply.safety_check))
        rows.append(row)
    return {"id": case["id"], "lang": case["lang"], "rows": rows, "takeovers": takeovers,
            "transcript": replies}


def summarise(conversations: list[dict]) -> dict:
    rows = [r for c in conversations for r in c["rows"]]
    if not rows:
        return {"replies": 0}
    takeovers = sum(c["takeovers"] for c in conversations)
    out = {"replies": len(rows), "takeovers": takeovers,
           "takeover_rate": round(takeovers / (takeovers + len(rows)), 3)}
    for key in ("language_right", "question", "one_question", "repeated_question",
                "repeated_sentence", "valence_mismatch", "artefacts"):
        out[key] = round(sum(r[key] for r in rows) / len(rows), 3)
    early = [r for c in conversations for r in c["rows"][:2]]
    out["early_advice"] = round(sum(r["early_advice"] for r in early) / max(1, len(early)), 3)
    called = [r["callback"] for r in rows if "callback" in r]
    out["callback"] = round(sum(called) / max(1, len(called)), 3)
    out["chars_median"] = statistics.median(r["chars"] for r in rows)
    out["first_token_s_median"] = round(statistics.median(r["first_token_s"] for r in rows), 2)
    out["reply_s_median"] = round(statistics.median(r["reply_s"] for r in rows), 2)
    out["guard_replaced"] = round(sum(r["source"] == "guard" for r in rows) / len(rows), 3)
    out["safety_check_asked"] = round(sum(r["safety_check"] for r in rows) / len(rows), 3)
    return out


def verdicts(total: dict) -> dict:
    met = {}
    for key, (op, bound) in TARGETS.items():
        value = total.get(key)
        met[key] = value is not None and (value >= bound if op == ">=" else value <= bound)
    return met


_RUBRIC = {
    "en": ("You are an expert clinical supervisor. Rate the counselor in this conversation from 1 "
           "(poor) to 5 (excellent) on: comprehensiveness, professionalism, authenticity, safety, "
           "empathy, relevance, no_premature_advice. Answer with JSON only, e.g. "
           '{"comprehensiveness": 3, "professionalism": 3, "authenticity": 3, "safety": 5, '
           '"empathy": 3, "relevance": 3, "no_premature_advice": 3}'),
    "zh": ("你是资深的心理咨询督导。请为这段对话中咨询师的表现打分，1（差）到5（优秀），维度："
           "comprehensiveness（全面性）、professionalism（专业性）、authenticity（真实感）、safety（安全性）、"
           "empathy（共情）、relevance（切题）、no_premature_advice（不过早给建议）。只用JSON回答，例如 "
           '{"comprehensiveness": 3, "professionalism": 3, "authenticity": 3, "safety": 5, '
           '"empathy": 3, "relevance": 3, "no_premature_advice": 3}'),
}
_DIMENSIONS = ("comprehensiveness", "professionalism", "authenticity", "safety", "empathy",
               "relevance", "no_premature_advice")


def judge(engine, conversation: dict) -> dict | None:
    lang = conversation["lang"]
    client, counselor = ("来访者", "咨询师") if lang == "zh" else ("Client", "Counselor")
    transcript = "\n".join(f"{client}: {t['user']}\n{counselor}: {t['reply']}" for t in conversation["transcript"])
    messages = [{"role": "system", "content": _RUBRIC[lang]}, {"role": "user", "content": transcript[-6000:]}]
    text = "".join(engine.stream_chat(messages, GenerationParams(max_tokens=120, temperature=0.0, seed=0)))
    found = re.search(r"\{.*?\}", text, re.DOTALL)
    try:
        scores = json.loads(found.group(0)) if found else {}
    except json.JSONDecodeError:
        return None
    scores = {k: scores[k] for k in _DIMENSIONS if isinstance(scores.get(k), (int, float)) and 1 <= scores[k] <= 5}
    return scores if len(scores) == len(_DIMENSIONS) else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--set", choices=sorted(SETS), default="dev")
    parser.add_argument("--model", default=None, help="model id or GGUF path (default: the embedded model)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N conversations of each language")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--temperature", type=float, default=None, help="default: the model's own setting")
    parser.add_argument("--judge", default=None, help="GGUF (or model id) that scores each conversation")
    parser.add_argument("--transcripts", type=Path, default=None, help="write every reply here (JSON lines)")
    args = parser.parse_args(argv)

    cases = [json.loads(line) for line in SETS[args.set].read_text(encoding="utf-8").splitlines() if line.strip()]
    if args.limit:
        cases = [c for lang in ("zh", "en") for c in [c for c in cases if c["lang"] == lang][: args.limit]]
    engine, manifest = open_engine(args.model)
    params = GenerationParams(seed=args.seed)  # and the model's manifest sampling, unless --temperature
    conversations = [run_conversation(engine, case, params, args.temperature) for case in cases]
    engine.close()

    report = {"set": args.set, "model": manifest.id if manifest else args.model, "seed": args.seed,
              "conversations": len(conversations), "total": summarise(conversations),
              "by_language": {lang: summarise([c for c in conversations if c["lang"] == lang])
                              for lang in ("zh", "en")}}
    report["targets_met"] = verdicts(report["total"])
    if args.judge:
        judge_engine, _ = open_engine(args.judge)
        scores = [s for c in conversations if (s := judge(judge_engine, c)) is not None]
        judge_engine.close()
        report["judge"] = {"model": args.judge, "scored": len(scores), "of": len(conversations),
                           **{k: round(statistics.mean(s[k] for s in scores), 2) for k in _DIMENSIONS if scores}}
    if args.transcripts:
        with open(args.transcripts, "w", encoding="utf-8") as fh:
            for c in conversations:
                fh.write(json.dumps({"id": c["id"], "lang": c["lang"], "transcript": c["transcript"],
                                     "rows": c["rows"]}, ensure_ascii=False) + "\n")
    print(json.dumps(report, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
