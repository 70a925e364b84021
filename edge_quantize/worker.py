"""Child-process entry points: the only module of ``edge_quantize`` that imports ``llama_cpp``.

Each job runs in its own process (``python -m edge_quantize.worker JOB ...``) so that a llama.cpp
abort cannot take the pipeline down, a model's peak RAM is measured alone, and progress streams
to the parent as ``PROGRESS i/n`` lines. Results are written as JSON (atomically) to ``--out``.

Evaluation never holds all logits: the text is cut into windows of ``n_ctx`` tokens, and each
window's log-probabilities are reduced to per-token numbers (KL, NLL, top-1) before the next.
The reference's log-probabilities are stored once as float16 rows in a plain file and read back
one window at a time (plain reads, not a memory map, so they never count towards a model's RSS).
"""

from __future__ import annotations

import argparse
import ctypes
import json
import sys
import time
from pathlib import Path

import numpy as np

from .files import atomic_path, write_json
from .progress import progress_line, worker_command

__all__ = ["main"]

_ROWS = 64  # log-softmax this many positions at a time, bounding temporaries to 64 x n_vocab


def _llama(model: str, n_ctx: int, threads: int, logits_all: bool):
    import llama_cpp

    return llama_cpp.Llama(model_path=model, n_ctx=n_ctx, n_batch=min(n_ctx, 512), n_threads=threads,
                           n_threads_batch=threads, logits_all=logits_all, verbose=False, seed=1)


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


# --- quantize ---------------------------------------------------------------------------------

def quantize(args) -> int:
    import llama_cpp

    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = args.ftype
    params.nthread = args.threads
    params.allow_requantize = True  # a GGUF source may itself be quantized
    keep_alive = _imatrix_array(args.imatrix) if args.imatrix else None
    if keep_alive is not None:
        params.imatrix = keep_alive[0]
    return int(llama_cpp.llama_model_quantize(args.input.encode(), args.output.encode(), ctypes.byref(params)))


def _imatrix_array(path: str):
    """A NULL-terminated llama_model_imatrix_data[]; returned with the buffers it points into."""
    import llama_cpp

    from .imatrix import read_imatrix

    data = read_imatrix(Path(path))
    entries = (llama_cpp.llama_model_imatrix_data * (len(data) + 1))()
    buffers = []
    for i, (name, values) in enumerate(sorted(data.items())):
        buf = np.ascontiguousarray(values, dtype=np.float32)
        buffers.append((name.encode(), buf))
        entries[i].name = buffers[-1][0]
        entries[i].data = buf.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
        entries[i].size = buf.size
    entries[len(data)].name = None
    return ctypes.cast(entries, ctypes.POINTER(llama_cpp.llama_model_imatrix_data)), entries, buffers


# --- evaluation -------------------------------------------------------------------------------

def _log_softmax(logits: np.ndarray) -> np.ndarray:
    logits = logits.astype(np.float32, copy=False)
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _windows(n_tokens: int, n_ctx: int) -> list[tuple[int, int]]:
    return [(s, min(s + n_ctx, n_tokens)) for s in range(0, n_tokens, n_ctx) if min(s + n_ctx, n_tokens) - s > 1]


def _first_scored(n_ctx: int) -> int:
    # Each window starts cold; its first tokens are predicted with almost no context, which says
    # little about a quantization. Score from here on (llama-perplexity scores the second half).
    return min(32, n_ctx // 4)


def _window_logprobs(llm, tokens: list[int], first: int):
    """Yield (offset, log-probs of rows) for positions ``first..len-2`` predicting the next token."""
    llm.reset()
    llm.eval(tokens)
    for start in range(first, len(tokens) - 1, _ROWS):
        stop = min(start + _ROWS, len(tokens) - 1)
        yield start, _log_softmax(np.asarray(llm.scores[start:stop]))


def reference(args) -> int:
    """Tokenize the text, run the reference model, store its log-probs (float16) and targets."""
    text = Path(args.text).read_text(encoding="utf-8")
    llm = _llama(args.model, args.n_ctx, args.threads, logits_all=True)
    tokens = llm.tokenize(text.encode("utf-8"), add_bos=True)[: args.max_tokens or None]
    windows, first = _windows(len(tokens), args.n_ctx), _first_scored(args.n_ctx)
    argmax, nll = [], []
    with atomic_path(args.logprobs) as tmp, open(tmp, "wb") as fh:
        for i, (s, e) in enumerate(windows):
            for offset, rows in _window_logprobs(llm, tokens[s:e], first):
                targets = tokens[s + offset + 1: s + offset + 1 + len(rows)]
                nll += (-rows[np.arange(len(rows)), targets]).tolist()
                argmax += rows.argmax(axis=1).tolist()
                rows.astype(np.float16).tofile(fh)
            _say(progress_line(i + 1, len(windows), "windows"))
    meta = {"model": args.model, "n_ctx": args.n_ctx, "n_vocab": llm.n_vocab(), "first_scored": first,
            "tokens": tokens, "windows": windows, "argmax": argmax, "n_scored": len(nll),
            "ppl": float(np.exp(np.mean(nll))) if nll else None}
    write_json(args.out, meta)
    return 0


def quality(args) -> int:
    """KL divergence, top-1 agreement and perplexity of a model against the stored reference."""
    meta = json.loads(Path(args.reference).read_text(encoding="utf-8"))
    llm = _llama(args.model, meta["n_ctx"], args.threads, logits_all=True)
    if llm.n_vocab() != meta["n_vocab"]:
        raise SystemExit(f"vocabulary differs from the reference ({llm.n_vocab()} vs {meta['n_vocab']})")
    tokens, n_vocab = meta["tokens"], meta["n_vocab"]
    kld, nll, top1, row = [], [], [], 0
    with open(args.logprobs, "rb") as ref_file:
        for i, (s, e) in enumerate(meta["windows"]):
            for offset, rows in _window_logprobs(llm, tokens[s:e], meta["first_scored"]):
                ref = np.fromfile(ref_file, dtype=np.float16, count=len(rows) * n_vocab).reshape(len(rows), n_vocab)
                ref = _log_softmax(ref)  # renormalize after float16 rounding
                kld += (np.exp(ref) * (ref - rows)).sum(axis=1).tolist()
                targets = tokens[s + offset + 1: s + offset + 1 + len(rows)]
                nll += (-rows[np.arange(len(rows)), targets]).tolist()
                top1 += (rows.argmax(axis=1) == np.asarray(meta["argmax"][row:row + len(rows)])).tolist()
                row += len(rows)
            _say(progress_line(i + 1, len(meta["windows"]), "windows"))
    kld_arr = np.maximum(np.asarray(kld), 0.0)
    write_json(args.out, {"model": args.model, "n_scored": row, "ppl": float(np.exp(np.mean(nll))),
                          "kld_mean": float(kld_arr.mean()), "kld_p99": float(np.percentile(kld_arr, 99)),
                          "top1": float(np.mean(top1))})
    return 0


def perf(args) -> int:
    """Prompt and decode speed at chat settings, and the raw replies to the safety prompts."""
    llm = _llama(args.model, args.n_ctx, args.threads, logits_all=False)
    text = Path(args.text).read_text(encoding="utf-8")
    prompt = llm.tokenize(text.encode("utf-8"), add_bos=True)[: args.prompt_tokens]
    stamps = [time.perf_counter()]
    for i, _token in enumerate(llm.generate(prompt, temp=0.0)):
        stamps.append(time.perf_counter())
        if i + 1 >= args.gen_tokens:
            break
    _say(progress_line(1, 2, "speed"))
    result = {"model": args.model, "prompt_tokens": len(prompt),
              "prompt_tok_s": len(prompt) / (stamps[1] - stamps[0]),
              "decode_tok_s": (len(stamps) - 2) / (stamps[-1] - stamps[1]) if len(stamps) > 2 else None,
              "replies": _safety_replies(llm, args.safety, args.reply_tokens) if args.safety else []}
    _say(progress_line(2, 2, "safety replies"))
    write_json(args.out, result)
    return 0


def _safety_replies(llm, path: str, max_tokens: int) -> list[dict]:
    prompts = json.loads(Path(path).read_text(encoding="utf-8"))["prompts"]
    replies = []
    for item in prompts:
        out = llm.create_chat_completion(messages=[{"role": "user", "content": item["text"]}],
                                         max_tokens=max_tokens, temperature=0.0, seed=1)
        replies.append({"id": item["id"], "lang": item["lang"], "reply": out["choices"][0]["message"]["content"] or ""})
    return replies


# --- peak RAM ---------------------------------------------------------------------------------

def measure(args) -> int:
    """Run another job as this process's only child and record that child's peak RSS.

    RUSAGE_CHILDREN, read in a small launcher rather than in the pipeline process: on Linux a
    child's maxrss starts from its parent's RSS at fork time, which for the pipeline (torch and
    a model in memory after calibration) would swamp a small GGUF's real peak.
    """
    import resource
    import subprocess

    code = subprocess.run(worker_command(*args.command)).returncode
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    peak_mb = peak_kb / 2**20 if sys.platform == "darwin" else peak_kb / 1024  # macOS reports bytes
    write_json(args.out, {"peak_rss_mb": round(peak_mb, 1), "returncode": code})
    return code


# --- command line -----------------------------------------------------------------------------

def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m edge_quantize.worker")
    sub = parser.add_subparsers(dest="job", required=True)
    q = sub.add_parser("quantize")
    q.add_argument("--input", required=True)
    q.add_argument("--output", required=True)
    q.add_argument("--ftype", type=int, required=True)
    q.add_argument("--imatrix")
    r = sub.add_parser("reference")
    r.add_argument("--text", required=True)
    r.add_argument("--n-ctx", type=int, default=512)
    r.add_argument("--max-tokens", type=int, default=0)
    r.add_argument("--logprobs", required=True)
    k = sub.add_parser("quality")
    k.add_argument("--reference", required=True)
    k.add_argument("--logprobs", required=True)
    p = sub.add_parser("perf")
    p.add_argument("--text", required=True)
    p.add_argument("--n-ctx", type=int, default=2048)
    p.add_argument("--prompt-tokens", type=int, default=256)
    p.add_argument("--gen-tokens", type=int, default=64)
    p.add_argument("--safety")
    p.add_argument("--reply-tokens", type=int, default=48)
    m = sub.add_parser("measure")
    m.add_argument("--out", required=True)
    m.add_argument("command", nargs=argparse.REMAINDER, help="the job to measure, with its arguments")
    for job in (r, k, p):
        job.add_argument("--model", required=True)
        job.add_argument("--out", required=True)
    for job in (q, r, k, p):
        job.add_argument("--threads", type=int, default=1)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    jobs = {"quantize": quantize, "reference": reference, "quality": quality, "perf": perf, "measure": measure}
    return jobs[args.job](args)


if __name__ == "__main__":
    sys.exit(main())
