"""The quantization ladder: one full-precision GGUF in, one GGUF per quant type out.

Each quantization runs llama.cpp's ``llama_model_quantize`` in a child process (edge_quantize.worker),
writing under a temporary name that becomes the final name only on success. Tensors whose shape
does not suit a k-quant fall back per tensor inside llama.cpp; a type llama.cpp refuses outright
(e.g. IQ4_XS without an importance matrix on some models) is recorded as skipped, not fatal.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from . import constants as C
from .errors import QuantizationError
from .files import atomic_path, check_free_space
from .progress import run_streaming, worker_command, worker_env

__all__ = ["QuantJob", "QuantOutcome", "parse_quants", "plan_ladder", "quantize_one", "quantize_ladder"]


@dataclass(frozen=True)
class QuantJob:
    quant: str
    imatrix: bool
    path: Path


@dataclass
class QuantOutcome:
    quant: str
    imatrix: bool
    file: str
    status: str  # "ok" or "skipped"
    reason: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def parse_quants(text: str | None) -> list[str]:
    """``"Q8_0,q4_k_m"`` -> ``["Q8_0", "Q4_K_M"]``; unknown names are an error listing known ones."""
    if not text:
        return list(C.DEFAULT_QUANTS)
    quants = [q.strip().upper() for q in text.split(",") if q.strip()]
    unknown = [q for q in quants if q not in C.QUANT_FTYPES]
    if unknown:
        raise QuantizationError(f"Unknown quant type(s) {', '.join(unknown)}. Choose from "
                                f"{', '.join(C.QUANT_FTYPES)}.")
    return list(dict.fromkeys(quants))


def plan_ladder(stem: str, out_dir: Path, quants: list[str], *, imatrix: bool, compare: bool) -> list[QuantJob]:
    """The files to make: each quant (with the imatrix if there is one), plus the plain comparison."""
    jobs = [QuantJob(q, imatrix, Path(out_dir) / f"{stem}-{q}.gguf") for q in quants]
    if imatrix and compare:
        jobs.append(QuantJob(C.COMPARE_QUANT, False, Path(out_dir) / f"{stem}-{C.COMPARE_QUANT}{C.NOIMATRIX_SUFFIX}.gguf"))
    return jobs


def quantize_one(source: Path, job: QuantJob, imatrix_path: Path | None, *, threads: int = 0,
                 log_path: Path | None = None, verbose: bool = False) -> QuantOutcome:
    """Make ``job.path`` from ``source``; a refusal by llama.cpp becomes a skipped outcome."""
    check_free_space(job.path.parent, Path(source).stat().st_size // 2, f"the {job.quant} GGUF")
    label = f"quantize {job.quant}{'' if job.imatrix else ' (no imatrix)'}"
    with atomic_path(job.path) as tmp:
        cmd = worker_command("quantize", "--input", source, "--output", tmp,
                             "--ftype", C.QUANT_FTYPES[job.quant], "--threads", threads)
        if job.imatrix and imatrix_path:
            cmd += ["--imatrix", str(imatrix_path)]
        result = run_streaming(cmd, label=label, env=worker_env(), log_path=log_path, verbose=verbose)
        if result.returncode != 0:
            tmp.unlink(missing_ok=True)
            return _failed(job, result)
    return QuantOutcome(job.quant, job.imatrix, job.path.name, "ok")


def _failed(job: QuantJob, result) -> QuantOutcome:
    tail = " ".join(line.strip() for line in result.tail[-6:])
    if "requires an importance matrix" in tail or "requires an imatrix" in tail:
        return QuantOutcome(job.quant, job.imatrix, job.path.name, "skipped",
                            "llama.cpp requires an importance matrix for this type on this model")
    if result.returncode < 0 or "No space left" in tail:
        raise QuantizationError(f"Quantizing to {job.quant} crashed ({tail[-300:]}). See logs/ in the output "
                                "folder; free disk space or RAM and run 'edge-quantize quantize' again.")
    return QuantOutcome(job.quant, job.imatrix, job.path.name, "skipped", f"llama.cpp refused: {tail[-300:]}")


def quantize_ladder(source: Path, jobs: list[QuantJob], imatrix_path: Path | None, *, threads: int = 0,
                    log_dir: Path | None = None, verbose: bool = False) -> list[QuantOutcome]:
    outcomes = []
    for job in jobs:
        log = Path(log_dir) / f"quantize-{job.path.stem}.log" if log_dir else None
        outcomes.append(quantize_one(source, job, imatrix_path, threads=threads, log_path=log, verbose=verbose))
    return outcomes
