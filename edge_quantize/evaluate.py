"""Evaluation: every quantization against the full-precision GGUF, on held-out text.

Two children per model (edge_quantize.worker): ``quality`` (perplexity, mean and p99 KL divergence,
top-1 agreement, computed window by window against the stored reference log-probabilities) and
``perf`` (prompt and decode tokens/s at chat settings, and raw replies to the safety prompts).
The peak RAM reported is the ``perf`` child's own (measured by a small launcher, see
``worker.measure``): what the app would need to chat with that file, without the evaluation's
logit buffers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import constants as C
from . import safety
from .errors import EvaluationError
from .files import check_free_space, read_json, write_json
from .metadata import read_info
from .progress import run_streaming, worker_command, worker_env

__all__ = ["EvalSettings", "reference_pass", "evaluate_model", "evaluate_all"]


@dataclass(frozen=True)
class EvalSettings:
    n_ctx: int = 512  # evaluation window; logits held at once are n_ctx x n_vocab floats
    max_tokens: int = 0  # 0: the whole text
    chat_ctx: int = 2048  # context for the speed and RAM measurement
    prompt_tokens: int = 256
    gen_tokens: int = 64
    reply_tokens: int = 48
    threads: int = 1
    safety: bool = True
    verbose: bool = False


def _run(job: str, args: list, label: str, log_dir: Path, settings: EvalSettings, measure: Path | None = None):
    cmd = worker_command(job, *args, "--threads", settings.threads)
    if measure is not None:
        cmd = worker_command("measure", "--out", measure, *cmd[3:])
    result = run_streaming(cmd, label=label, env=worker_env(), log_path=log_dir / f"{job}.log",
                           verbose=settings.verbose)
    if result.returncode != 0:
        tail = "\n".join(result.tail[-8:])
        raise EvaluationError(f"Evaluating {label} failed (exit {result.returncode}):\n{tail}\n"
                              "See logs/ in the output folder, then run 'edge-quantize evaluate' again.")
    return result


def reference_pass(reference_gguf: Path, text_path: Path, eval_dir: Path, log_dir: Path,
                   settings: EvalSettings) -> Path:
    """Store the reference's log-probabilities over the text; return its metadata JSON."""
    info = read_info(reference_gguf)
    n_vocab = info.tensors.get("token_embd.weight", (0, 0))[1]
    text_bytes = Path(text_path).stat().st_size
    tokens = min(text_bytes, settings.max_tokens or text_bytes)
    check_free_space(eval_dir, tokens * n_vocab * 2, "the reference log-probabilities")
    meta, logprobs = eval_dir / C.REFERENCE_JSON, eval_dir / C.REFERENCE_LOGPROBS
    _run("reference", ["--model", reference_gguf, "--text", text_path, "--n-ctx", settings.n_ctx,
                       "--max-tokens", settings.max_tokens, "--logprobs", logprobs, "--out", meta],
         f"reference {Path(reference_gguf).name}", log_dir, settings)
    return meta


def evaluate_model(gguf: Path, eval_dir: Path, text_path: Path, log_dir: Path, settings: EvalSettings) -> dict:
    """Quality, speed, RAM and safety of one GGUF; also written to ``eval/<stem>.json``."""
    gguf = Path(gguf)
    quality_out, perf_out = eval_dir / f"{gguf.stem}.quality.json", eval_dir / f"{gguf.stem}.perf.json"
    _run("quality", ["--model", gguf, "--reference", eval_dir / C.REFERENCE_JSON,
                     "--logprobs", eval_dir / C.REFERENCE_LOGPROBS, "--out", quality_out],
         f"quality {gguf.name}", log_dir, settings)
    perf_args = ["--model", gguf, "--text", text_path, "--n-ctx", settings.chat_ctx, "--out", perf_out,
                 "--prompt-tokens", settings.prompt_tokens, "--gen-tokens", settings.gen_tokens,
                 "--reply-tokens", settings.reply_tokens] + (["--safety", C.SAFETY_FILE] if settings.safety else [])
    rss_out = eval_dir / f"{gguf.stem}.rss.json"
    _run("perf", perf_args, f"speed {gguf.name}", log_dir, settings, measure=rss_out)
    return _combine(gguf, read_json(quality_out), read_json(perf_out), read_json(rss_out)["peak_rss_mb"],
                    settings, eval_dir)


def _combine(gguf: Path, quality: dict, perf: dict, peak_rss_mb: float, settings: EvalSettings,
             eval_dir: Path) -> dict:
    info = read_info(gguf)
    verdict = safety.judge(safety.load_prompts(), perf["replies"]) if settings.safety else "not run"
    result = {"file": gguf.name, "size_bytes": info.size_bytes, "bpw": round(info.bits_per_weight, 3),
              "ppl": quality["ppl"], "kld_mean": quality["kld_mean"], "kld_p99": quality["kld_p99"],
              "top1": quality["top1"], "n_scored": quality["n_scored"],
              "prompt_tok_s": perf["prompt_tok_s"], "decode_tok_s": perf["decode_tok_s"],
              "peak_rss_mb": round(peak_rss_mb, 1), "safety": verdict}
    write_json(eval_dir / f"{gguf.stem}.json", result)
    return result


def _up_to_date(result: Path, *inputs: Path) -> bool:
    return result.is_file() and all(result.stat().st_mtime_ns >= p.stat().st_mtime_ns for p in inputs)


def evaluate_all(reference_gguf: Path, models: list[Path], text_path: Path, eval_dir: Path, log_dir: Path,
                 settings: EvalSettings, *, resume: bool = False) -> dict[str, dict]:
    """The reference pass, then every model (the reference itself included, as the baseline).

    With ``resume``, results newer than both their model and the reference pass are kept.
    """
    eval_dir.mkdir(parents=True, exist_ok=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    meta = eval_dir / C.REFERENCE_JSON
    if not (resume and _up_to_date(meta, Path(reference_gguf), Path(text_path))):
        meta = reference_pass(reference_gguf, text_path, eval_dir, log_dir, settings)
    results = {}
    for model in map(Path, [reference_gguf, *models]):
        done = eval_dir / f"{model.stem}.json"
        keep = resume and _up_to_date(done, model, meta)
        results[model.name] = read_json(done) if keep else evaluate_model(model, eval_dir, text_path, log_dir, settings)
    return results
