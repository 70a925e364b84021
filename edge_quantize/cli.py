"""``edge-quantize``: parse arguments, call the library. Nothing else happens here.

    edge-quantize run SOURCE --out-dir OUT [--adapter A] [--quants Q8_0,Q4_K_M] ...
    edge-quantize convert|imatrix|quantize|evaluate|report --out-dir OUT ...
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

from edge_counsel.errors import EdgeCounselError

from . import constants as C
from . import pipeline
from .errors import MissingExtraError, QuantizeError
from .evaluate import EvalSettings
from .quantizer import parse_quants

__all__ = ["main", "build_parser"]

# The import names of the "quantize" extra: the app's own install leaves them out.
EXTRA_MODULES = ("torch", "transformers", "accelerate", "gguf", "huggingface_hub", "peft",
                 "sentencepiece", "google.protobuf", "safetensors", "matplotlib")


def check_extra() -> None:
    """Raise MissingExtraError, naming what is missing, unless the "quantize" extra is installed."""
    missing = [name for name in EXTRA_MODULES if not _importable(name)]
    if missing:
        raise MissingExtraError(
            f"edge-quantize needs its own dependencies, which the app's install leaves out "
            f"(missing: {', '.join(missing)}). Install them with: ./setup.sh --with-quantize, or "
            f"pip install \"edge-counsel[quantize]\" (install torch==2.13.0 from the CPU index first).")


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # a dotted name whose parent package is missing
        return False


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out-dir", type=Path, required=True, help="output folder (created if needed)")
    p.add_argument("--threads", type=int, default=0, help="CPU threads (default: half the CPUs)")
    p.add_argument("--resume", action="store_true", help="keep outputs a previous run completed")
    p.add_argument("--verbose", "-v", action="store_true", help="echo every line of the tools' output")


def _source(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", help="Hugging Face repo id, local model folder, or a GGUF to re-quantize")
    p.add_argument("--adapter", help="LoRA/QLoRA adapter (folder or repo id) merged into the source first")
    p.add_argument("--outtype", choices=C.OUTTYPES, default="f16", help="full-precision GGUF type")
    p.add_argument("--chat-template", help="template name (chatml, llama3, gemma, soulchat), .jinja file, or manifest .json")
    p.add_argument("--revision", help="hub revision (branch, tag or commit)")
    p.add_argument("--cache-dir", help="Hugging Face cache folder (default: HF_HOME's)")
    p.add_argument("--token", help="Hugging Face token (default: HF_TOKEN or a stored login)")
    p.add_argument("--name", help="model name used for file names and manifests")
    p.add_argument("--license", help="license recorded in the manifests (default: from the model card)")


def _calibration(p: argparse.ArgumentParser) -> None:
    p.add_argument("--calibration", type=Path, help=f"calibration text (default: the shipped {C.CALIBRATION_FILE.name})")
    p.add_argument("--max-calibration-tokens", type=int, help="use at most this many calibration tokens")
    p.add_argument("--chunk-tokens", type=int, default=512, help="tokens per calibration chunk")
    p.add_argument("--no-imatrix", dest="imatrix", action="store_false", help="quantize without an importance matrix")


def _quants(text: str) -> list[str]:
    try:
        return parse_quants(text)
    except QuantizeError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _quantize(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quants", type=_quants, default=list(C.DEFAULT_QUANTS),
                   help=f"comma-separated quant types (default: {','.join(C.DEFAULT_QUANTS)})")
    p.add_argument("--no-compare", dest="compare", action="store_false",
                   help=f"do not also make {C.COMPARE_QUANT} without the importance matrix")


def _evaluate(p: argparse.ArgumentParser) -> None:
    p.add_argument("--eval-ctx", type=int, default=512, help="evaluation window in tokens")
    p.add_argument("--eval-max-tokens", type=int, default=0, help="evaluate at most this many tokens (0: all)")
    p.add_argument("--chat-ctx", type=int, default=2048, help="context used to measure speed and RAM")
    p.add_argument("--reply-tokens", type=int, default=48, help="longest raw reply to each safety prompt")
    p.add_argument("--no-safety", dest="safety", action="store_false", help="skip the safety regression prompts")


def _eval_text(p: argparse.ArgumentParser) -> None:
    p.add_argument("--eval-text", type=Path, help=f"held-out evaluation text (default: the shipped {C.EVAL_FILE.name})")


def _report(p: argparse.ArgumentParser) -> None:
    p.add_argument("--register", type=Path, help="also copy each GGUF and its manifest into this models/ folder")
    p.add_argument("--languages", default="zh,en", help="languages recorded in the manifests")


_STAGES = {
    "run": ("the whole pipeline", (_source, _calibration, _eval_text, _quantize, _evaluate, _report)),
    "convert": ("source -> full-precision GGUF with a chat template", (_source,)),
    "imatrix": ("calibration text -> importance matrix", (_calibration, _eval_text)),
    "quantize": ("full-precision GGUF -> quantized GGUFs", (_quantize,)),
    "evaluate": ("quantized GGUFs -> metrics on held-out text", (_eval_text, _evaluate)),
    "report": ("metrics -> report.md/json/png and manifests", (_report,)),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="edge-quantize", description="Fine-tuned model -> verified GGUF quantizations.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (help_text, groups) in _STAGES.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        _common(p)
        for group in groups:
            group(p)
        if name in ("run", "convert", "imatrix"):
            p.add_argument("--trust-remote-code", action="store_true", help="allow the model's own Python code to run")
    return parser


def options_from(args: argparse.Namespace) -> pipeline.Options:
    get = lambda name, default=None: getattr(args, name, default)  # noqa: E731 - stages take subsets
    settings = EvalSettings(n_ctx=get("eval_ctx", 512), max_tokens=get("eval_max_tokens", 0),
                            chat_ctx=get("chat_ctx", 2048), reply_tokens=get("reply_tokens", 48),
                            safety=get("safety", True))
    return pipeline.Options(
        out_dir=args.out_dir, source=get("source"), adapter=get("adapter"), outtype=get("outtype", "f16"),
        quants=get("quants", list(C.DEFAULT_QUANTS)), compare=get("compare", True), imatrix=get("imatrix", True),
        calibration=get("calibration"), max_calibration_tokens=get("max_calibration_tokens"),
        chunk_tokens=get("chunk_tokens", 512), eval_text=get("eval_text"), eval=settings,
        chat_template=get("chat_template"), trust_remote_code=get("trust_remote_code", False),
        revision=get("revision"), cache_dir=get("cache_dir"), token=get("token"), threads=args.threads,
        register=get("register"), name=get("name"), license=get("license"),
        languages=tuple(x.strip() for x in get("languages", "zh,en").split(",") if x.strip()),
        resume=args.resume, verbose=args.verbose)


_COMMANDS = {"run": pipeline.run, "convert": pipeline.stage_convert, "imatrix": pipeline.stage_imatrix,
             "quantize": pipeline.stage_quantize, "evaluate": pipeline.stage_evaluate, "report": pipeline.stage_report}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        check_extra()
        _COMMANDS[args.command](options_from(args))
    except EdgeCounselError as exc:
        print(f"edge-quantize: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("edge-quantize: interrupted; finished outputs are kept, partial ones removed. "
              "Run again with --resume to continue.", file=sys.stderr)
        return 130
    print(f"edge-quantize: {args.command} finished; outputs in {args.out_dir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
