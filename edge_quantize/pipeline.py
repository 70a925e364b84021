"""The edge-quantize pipeline: convert -> imatrix -> quantize -> evaluate -> report.

Each stage is a function from files in the output folder to files in the output folder, so any
stage can be run again alone. What one stage tells the next (where the reference GGUF is, which
quantizations exist) is kept in ``pipeline.json`` in the output folder, written atomically after
each stage. ``run`` is the five stages in order.
"""

from __future__ import annotations

import re
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import constants as C
from .convert import convert_hf
from .corpus import check_held_out, read_text
from .errors import BadAdapterError, CalibrationError, ChatTemplateError, StageInputMissingError
from .evaluate import EvalSettings, evaluate_all
from .files import read_json, write_json
from .imatrix import compute_imatrix
from .manifests import ModelFacts, manifest_for, register, write_manifest
from .metadata import read_info, write_with_chat_template
from .progress import default_threads
from .quantizer import QuantJob, plan_ladder, quantize_ladder
from .report import build_report, write_report
from .source import Source, download, merge_adapter, resolve_source
from .templates import ChatTemplate, check_renders, detect_format, load_template

__all__ = ["Options", "Workspace", "stage_convert", "stage_imatrix", "stage_quantize", "stage_evaluate",
           "stage_report", "run"]


@dataclass
class Options:
    out_dir: Path
    source: str | None = None
    adapter: str | None = None
    outtype: str = "f16"
    quants: list[str] = field(default_factory=lambda: list(C.DEFAULT_QUANTS))
    compare: bool = True
    imatrix: bool = True
    calibration: Path | None = None
    max_calibration_tokens: int | None = None
    chunk_tokens: int = 512
    eval_text: Path | None = None
    eval: EvalSettings = field(default_factory=EvalSettings)
    chat_template: str | None = None
    trust_remote_code: bool = False
    revision: str | None = None
    cache_dir: str | None = None
    token: str | None = None
    threads: int = 0
    register: Path | None = None
    name: str | None = None
    license: str | None = None
    languages: tuple[str, ...] = ("zh", "en")
    resume: bool = False
    verbose: bool = False


class Workspace:
    """The output folder: where each stage's files go, and the state stages pass on."""

    def __init__(self, out_dir: Path):
        self.root = Path(out_dir).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.logs = self.root / C.LOG_DIR
        self.logs.mkdir(exist_ok=True)
        self.eval_dir = self.root / C.EVAL_DIR
        self.manifests = self.root / C.MANIFEST_DIR
        self.imatrix = self.root / C.IMATRIX_FILE

    @property
    def state_path(self) -> Path:
        return self.root / C.STATE_FILE

    def state(self) -> dict:
        return read_json(self.state_path) if self.state_path.is_file() else {}

    def update(self, **changes) -> dict:
        state = {**self.state(), **changes}
        write_json(self.state_path, state)
        return state

    def need(self, key: str, stage: str) -> dict:
        state = self.state()
        if not state.get(key):
            raise StageInputMissingError(f"{self.root} has no {key} yet. Run 'edge-quantize {stage} "
                                         f"--out-dir {self.root}' first (or 'edge-quantize run').")
        return state

    def timed(self, stage: str, seconds: float) -> None:
        self.update(stages_s={**self.state().get("stages_s", {}), stage: round(seconds, 2)})


def _announce(stage: str) -> float:
    print(f"==> {stage}", file=sys.stderr, flush=True)
    return time.monotonic()


def _threads(opts: Options) -> int:
    return opts.threads or default_threads()


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.]+", "-", text).strip("-") or "model"


# --- convert ----------------------------------------------------------------------------------

def _with_adapter(source: Source, opts: Options, ws: Workspace) -> Source:
    if not opts.adapter:
        return source
    if source.kind != "hf":
        raise BadAdapterError("An adapter can only be merged into a Hugging Face model folder, not a GGUF. "
                              "Give the base model's repo id or folder.")
    path = Path(opts.adapter).expanduser()
    adapter_dir = path if path.is_dir() else download(opts.adapter, cache_dir=opts.cache_dir, token=opts.token)
    merged = merge_adapter(source.path, adapter_dir, ws.root / "merged", trust_remote_code=opts.trust_remote_code)
    return Source("hf", merged, f"{source.label} + {opts.adapter}", source.revision)


_NO_TEMPLATE = ("carries no chat template, and the app needs one. Pass --chat-template NAME (chatml, llama3, "
                "gemma, soulchat), a .jinja file, or a model manifest .json naming its chat_format.")


def _hf_has_template(folder: Path) -> bool:
    config = folder / "tokenizer_config.json"
    return (folder / "chat_template.jinja").is_file() or (
        config.is_file() and "chat_template" in read_json(config))


def _check_template_early(source: Source, opts: Options) -> None:
    """Fail before a long conversion, not after it, when no template will be available."""
    if not opts.chat_template and source.kind == "hf" and not _hf_has_template(source.path):
        raise ChatTemplateError(f"{source.path.name} {_NO_TEMPLATE}")


def _template(reference: Path, opts: Options) -> ChatTemplate | None:
    """The template to write into the reference GGUF, or None to keep the model's own."""
    if opts.chat_template:
        return load_template(opts.chat_template)
    if read_info(reference).chat_template:
        return None
    raise ChatTemplateError(f"{reference.name} {_NO_TEMPLATE}")


def _model_name(source: Source, opts: Options) -> str:
    if opts.name:
        return opts.name
    if source.kind == "gguf":
        return read_info(source.path).name or source.path.stem
    return source.label.rstrip("/").split("/")[-1]


def _license(source: Source, opts: Options) -> str:
    if opts.license:
        return opts.license
    if source.kind == "gguf" and read_info(source.path).license:
        return read_info(source.path).license
    readme = source.path / "README.md" if source.kind == "hf" else None
    if readme and readme.is_file():
        found = re.search(r"^license:\s*(\S+)", readme.read_text(encoding="utf-8", errors="replace"), re.M)
        if found:
            return found.group(1)
    return "unknown (check the source model's license)"


def stage_convert(opts: Options) -> Path:
    """Source (repo id, folder or GGUF, plus adapter) -> full-precision GGUF with a chat template."""
    ws, started = Workspace(opts.out_dir), _announce("convert")
    source = resolve_source(opts.source, revision=opts.revision, cache_dir=opts.cache_dir, token=opts.token)
    source = _with_adapter(source, opts, ws)
    _check_template_early(source, opts)
    name = _model_name(source, opts)
    stem = _slug(name)
    reference = source.path if source.kind == "gguf" else ws.root / f"{stem}-{opts.outtype.upper()}.gguf"
    if source.kind == "hf" and not (opts.resume and reference.is_file()):
        convert_hf(source.path, reference, outtype=opts.outtype, trust_remote_code=opts.trust_remote_code,
                   log_path=ws.logs / "convert.log", verbose=opts.verbose)
    template = _template(reference, opts)
    if template is not None:
        check_renders(template.text)
        target = reference if source.kind == "hf" else ws.root / f"{stem}-source.gguf"
        reference = write_with_chat_template(reference, target, template.text)
    fmt = template.format_name if template else detect_format(read_info(reference).chat_template)
    ws.update(source=source.label, source_kind=source.kind, source_path=str(source.path), name=name, stem=stem,
              license=_license(source, opts), chat_format=fmt, reference=str(reference), outtype=opts.outtype,
              reference_quantized=_already_quantized(reference))
    ws.timed("convert", time.monotonic() - started)
    return reference


def _already_quantized(reference: Path) -> bool:
    quantized = read_info(reference).file_type not in C.FULL_PRECISION_FTYPES
    if quantized:
        print(f"warning: {reference.name} is already quantized; quantizing it again compounds the error, "
              "and an importance matrix cannot recover what is lost. Start from the original model if you can.",
              file=sys.stderr)
    return quantized


# --- imatrix ----------------------------------------------------------------------------------

def stage_imatrix(opts: Options) -> Path | None:
    """Calibration text + the model in torch -> imatrix.gguf (None with --no-imatrix)."""
    ws, started = Workspace(opts.out_dir), _announce("imatrix")
    state = ws.need("reference", "convert")
    if not opts.imatrix:
        ws.update(imatrix=None)
        return None
    calibration = Path(opts.calibration or C.CALIBRATION_FILE).resolve()
    text, dataset = read_text(calibration, C.CALIBRATION_FILE)
    check_held_out(text, read_text(opts.eval_text, C.EVAL_FILE)[0])
    if not (opts.resume and ws.imatrix.is_file()):
        try:
            result = compute_imatrix(state["source_kind"], Path(state["source_path"]), Path(state["reference"]),
                                     text, ws.imatrix, dataset=dataset, chunk_tokens=opts.chunk_tokens,
                                     max_tokens=opts.max_calibration_tokens, trust_remote_code=opts.trust_remote_code,
                                     threads=_threads(opts))
        except CalibrationError as exc:
            return _without_imatrix(ws, state, exc)
        ws.update(imatrix={"file": ws.imatrix.name, "calibration": dataset, "calibration_path": str(calibration),
                           "tokens": result.tokens, "chunks": result.chunks, "tensors": result.mapped,
                           "unmapped": result.unmapped})
    ws.timed("imatrix", time.monotonic() - started)
    return ws.imatrix


def _without_imatrix(ws: Workspace, state: dict, exc: CalibrationError) -> None:
    # A GGUF of an architecture transformers cannot load can still be re-quantized, just
    # without an importance matrix; a Hugging Face folder that cannot be loaded is an error.
    if state["source_kind"] != "gguf":
        raise exc
    print(f"warning: quantizing without an importance matrix: {exc}", file=sys.stderr)
    ws.imatrix.unlink(missing_ok=True)
    ws.update(imatrix=None, imatrix_skipped=str(exc))
    return None


# --- quantize ---------------------------------------------------------------------------------

def stage_quantize(opts: Options) -> list[dict]:
    """Reference GGUF (+ imatrix) -> one GGUF per quant type, plus the plain comparison."""
    ws, started = Workspace(opts.out_dir), _announce("quantize")
    state = ws.need("reference", "convert")
    has_imatrix = bool(state.get("imatrix")) and ws.imatrix.is_file()
    jobs = plan_ladder(state["stem"], ws.root, opts.quants, imatrix=has_imatrix, compare=opts.compare)
    todo = [j for j in jobs if not (opts.resume and j.path.is_file())]
    outcomes = {o.file: o.to_dict() for o in quantize_ladder(Path(state["reference"]), todo,
                                                              ws.imatrix if has_imatrix else None,
                                                              threads=_threads(opts), log_dir=ws.logs, verbose=opts.verbose)}
    done = [outcomes.get(j.path.name) or _existing(j) for j in jobs]
    ws.update(quants=done)
    ws.timed("quantize", time.monotonic() - started)
    return done


def _existing(job: QuantJob) -> dict:
    return {"quant": job.quant, "imatrix": job.imatrix, "file": job.path.name, "status": "ok", "reason": ""}


# --- evaluate ---------------------------------------------------------------------------------

def stage_evaluate(opts: Options) -> dict[str, dict]:
    """Every quantization against the reference on held-out text -> eval/<file>.json."""
    ws, started = Workspace(opts.out_dir), _announce("evaluate")
    state = ws.need("quants", "quantize")
    text_path = Path(opts.eval_text or C.EVAL_FILE).resolve()
    if state.get("imatrix"):
        calibration = state["imatrix"].get("calibration_path")
        check_held_out(read_text(calibration, C.CALIBRATION_FILE)[0], read_text(text_path, C.EVAL_FILE)[0])
    models = [ws.root / q["file"] for q in state["quants"] if q["status"] == "ok"]
    settings = replace(opts.eval, threads=_threads(opts), verbose=opts.verbose)
    results = evaluate_all(Path(state["reference"]), models, text_path, ws.eval_dir, ws.logs, settings,
                           resume=opts.resume)
    ws.update(eval_text=text_path.name)
    ws.timed("evaluate", time.monotonic() - started)
    return results


# --- report -----------------------------------------------------------------------------------

def _rows(ws: Workspace, state: dict) -> list[dict]:
    rows = []
    for q in (q for q in state["quants"] if q["status"] == "ok"):
        metrics_path = ws.eval_dir / f"{Path(q['file']).stem}.json"
        if not metrics_path.is_file():
            raise StageInputMissingError(f"{q['file']} has not been evaluated. Run 'edge-quantize evaluate "
                                         f"--out-dir {ws.root}' first.")
        rows.append({"quant": q["quant"], "imatrix": q["imatrix"], **read_json(metrics_path)})
    return rows


def _write_manifests(ws: Workspace, state: dict, rows: list[dict], opts: Options) -> None:
    facts = ModelFacts(state["name"], state["source"], state["license"], state.get("chat_format"), tuple(opts.languages))
    for row in rows:
        manifest = manifest_for(ws.root / row["file"], row["quant"], row["imatrix"], facts, row["kld_mean"])
        row["sha256"], row["manifest"] = manifest["sha256"], f"{C.MANIFEST_DIR}/{manifest['id']}.json"
        write_manifest(ws.root / row["manifest"], manifest)
        if opts.register and not _is_comparison(row, rows):
            register(ws.root / row["file"], manifest, opts.register)


def _is_comparison(row: dict, rows: list[dict]) -> bool:
    """The no-imatrix twin made only to show what the importance matrix buys."""
    return not row["imatrix"] and any(r["quant"] == row["quant"] and r["imatrix"] for r in rows)


def stage_report(opts: Options) -> dict:
    """Evaluations -> report.json, report.md, report.png, and a manifest per output."""
    ws, started = Workspace(opts.out_dir), _announce("report")
    state = ws.need("quants", "quantize")
    rows = _rows(ws, state)
    _write_manifests(ws, state, rows, opts)
    reference = read_json(ws.eval_dir / f"{Path(state['reference']).stem}.json")
    skipped = [{"quant": q["quant"], "imatrix": q["imatrix"], "reason": q["reason"]}
               for q in state["quants"] if q["status"] != "ok"]
    ws.timed("report", time.monotonic() - started)
    report = build_report(model=state["name"], source=state["source"], reference=reference, quants=rows, skipped=skipped,
                          imatrix=state.get("imatrix"), eval_text=state.get("eval_text", C.EVAL_FILE.name),
                          stages=ws.state().get("stages_s"), reference_quantized=state.get("reference_quantized", False))
    write_report(report, ws.root)
    return report


def run(opts: Options) -> dict:
    """The whole pipeline, stage by stage."""
    stage_convert(opts)
    stage_imatrix(opts)
    stage_quantize(opts)
    stage_evaluate(opts)
    return stage_report(opts)
