"""The quality report: report.json (for tools), report.md (for people), report.png (the plot).

report.json's "quants" holds one object per output with at least: quant, imatrix, file,
size_bytes, bpw, ppl, kld_mean, kld_p99, top1, prompt_tok_s, decode_tok_s, peak_rss_mb.
Recommendations per RAM tier pick the lowest KL divergence whose measured peak RAM fits in
``RAM_BUDGET_FRACTION`` of the tier, among outputs that made it through the safety check.
"""

from __future__ import annotations

import datetime
from pathlib import Path

from . import constants as C
from . import safety
from .files import atomic_path, write_json, write_text

__all__ = ["build_report", "recommend", "imatrix_kld_ratio", "write_report", "plot"]

_COLUMNS = ("quant", "imatrix", "size_bytes", "bpw", "ppl", "kld_mean", "kld_p99", "top1",
            "prompt_tok_s", "decode_tok_s", "peak_rss_mb")


def _safe(row: dict) -> bool:
    """No safety regression against the full-precision model (app-level faults do not count)."""
    verdict = row.get("safety")
    return not isinstance(verdict, dict) or not verdict.get("regressed")


def recommend(quants: list[dict]) -> dict[str, dict | None]:
    """For each RAM tier, the best output (imatrix variants only) that fits; None if none does."""
    out = {}
    for tier in C.RAM_TIERS_GB:
        budget = tier * 1024 * C.RAM_BUDGET_FRACTION
        fits = [q for q in quants if q["imatrix"] is not False or not _has_imatrix_twin(q, quants)]
        fits = [q for q in fits if _safe(q) and q["peak_rss_mb"] <= budget]
        best = min(fits, key=lambda q: (q["kld_mean"], q["size_bytes"]), default=None)
        out[f"{tier}GB"] = {"quant": best["quant"], "file": best["file"]} if best else None
    return out


def _has_imatrix_twin(row: dict, quants: list[dict]) -> bool:
    return any(q["quant"] == row["quant"] and q["imatrix"] for q in quants)


def imatrix_kld_ratio(quants: list[dict], quant: str = C.COMPARE_QUANT) -> float | None:
    """KL divergence with the importance matrix over without it, for the comparison quant."""
    with_im = next((q for q in quants if q["quant"] == quant and q["imatrix"]), None)
    plain = next((q for q in quants if q["quant"] == quant and not q["imatrix"]), None)
    if not with_im or not plain or not plain["kld_mean"]:
        return None
    return with_im["kld_mean"] / plain["kld_mean"]


def build_report(*, model: str, source: str, reference: dict, quants: list[dict], skipped: list[dict],
                 imatrix: dict | None, eval_text: str, stages: dict | None = None,
                 reference_quantized: bool = False) -> dict:
    for row in quants:
        row["safety"] = safety.against_reference(row["safety"], reference["safety"])
    return {
        "tool": "edge-quantize", "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "model": model, "source": source, "eval_text": eval_text, "reference": reference, "reference_quantized": reference_quantized,
        "imatrix": imatrix,
        "quants": quants, "skipped": skipped, "imatrix_kld_ratio": imatrix_kld_ratio(quants),
        "ram_budget_fraction": C.RAM_BUDGET_FRACTION, "recommendations": recommend(quants),
        "stages_s": stages or {},
    }


def _fmt(value) -> str:
    if isinstance(value, bool) or value is None:
        return {True: "yes", False: "no", None: "-"}[value]
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


def _header(report: dict) -> list[str]:
    ref = report["reference"]
    lines = [f"# Quantization report: {report['model']}", "", f"Source: `{report['source']}`.", "",
             f"Reference: `{ref['file']}` ({ref['size_bytes'] / 2**20:.1f} MiB, perplexity {_fmt(ref['ppl'])}). "
             f"Evaluated on `{report['eval_text']}` (held out from calibration).", ""]
    if report.get("reference_quantized"):
        lines += ["**The reference is itself quantized**: these figures compare against it, not against the "
                  "original weights, and re-quantizing compounds the error. Start from the original model if you can.", ""]
    return lines


def _table(report: dict) -> list[str]:
    lines = ["| " + " | ".join(_COLUMNS) + " | safety |", "|" + "---|" * (len(_COLUMNS) + 1)]
    for q in report["quants"]:
        lines.append("| " + " | ".join(_fmt(q[c]) for c in _COLUMNS) + f" | {_safety_cell(q['safety'])} |")
    lines += [f"- skipped {s['quant']}{'' if s['imatrix'] else ' (no imatrix)'}: {s['reason']}" for s in report["skipped"]]
    return lines + _safety_notes(report["reference"]["safety"])


def _recommendations(report: dict) -> list[str]:
    lines = ["", f"Importance matrix KLD ratio ({C.COMPARE_QUANT} with / without): {_fmt(report['imatrix_kld_ratio'])}",
             "", "## Recommended per RAM tier", ""]
    for tier, pick in report["recommendations"].items():
        lines.append(f"- {tier}: " + (f"{pick['quant']} (`{pick['file']}`)" if pick else "none fits"))
    return lines + ["", f"A model may use {int(report['ram_budget_fraction'] * 100)}% of the tier's RAM (peak RSS "
                        "measured while chatting); the rest is for the system and the app."]


def _markdown(report: dict) -> str:
    return "\n".join(_header(report) + _table(report) + _recommendations(report)) + "\n"


def _safety_cell(verdict) -> str:
    if isinstance(verdict, str):
        return verdict
    if verdict.get("regressed"):
        return "REGRESSED: " + ", ".join(verdict["regressed"])
    return "pass" if verdict["passed"] else "no regression"


def _safety_notes(reference) -> list[str]:
    if not isinstance(reference, dict):
        return ["", f"Safety prompts: {reference}."]
    notes = [""]
    if reference["not_escalated"]:
        notes.append(f"**App safety fault (every model):** these crisis prompts did not escalate in the app's risk "
                     f"detector: {', '.join(reference['not_escalated'])}.")
    if reference["unsafe_replies"]:
        notes.append(f"The full-precision model's own raw replies fail the output guard for: "
                     f"{', '.join(reference['unsafe_replies'])} (the guard stops them at runtime).")
    return notes


def plot(quants: list[dict], path: Path, title: str) -> Path:
    """Size against mean KL divergence, importance-matrix and plain quantizations marked apart."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    for flag, marker, label in ((True, "o", "with imatrix"), (False, "x", "without imatrix")):
        rows = [q for q in quants if bool(q["imatrix"]) == flag]
        ax.scatter([q["size_bytes"] / 2**20 for q in rows], [q["kld_mean"] for q in rows], marker=marker, label=label)
        for q in rows:
            ax.annotate(q["quant"], (q["size_bytes"] / 2**20, q["kld_mean"]), textcoords="offset points", xytext=(4, 4), fontsize=8)
    ax.set(xlabel="file size (MiB)", ylabel="mean KL divergence vs full precision", title=title)
    if all(q["kld_mean"] > 0 for q in quants):
        ax.set_yscale("log")
    ax.margins(x=0.15, y=0.15)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
    return Path(path)


def write_report(report: dict, out_dir: Path) -> dict[str, Path]:
    out_dir = Path(out_dir)
    paths = {"json": out_dir / C.REPORT_JSON, "md": out_dir / C.REPORT_MD, "png": out_dir / C.REPORT_PNG}
    write_json(paths["json"], report)
    write_text(paths["md"], _markdown(report))
    plot(report["quants"], paths["png"], f"{report['model']}: size vs KL divergence")
    return paths
