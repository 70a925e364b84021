"""Hugging Face model folder -> full-precision GGUF, with llama.cpp's own converter.

The converter is vendored (``edge_quantize/vendor/llama.cpp``, pinned to the commit llama-cpp-python
0.3.36 builds) and runs as a subprocess: it puts its own ``gguf-py`` first on its ``sys.path``,
while this process keeps the PyPI ``gguf``. The folder is checked first, so an unsupported
architecture, a missing tokenizer or code that would run on load fails in a second, not after
minutes of converting.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from . import constants as C
from .errors import (ConversionError, DiskFullError, MissingTokenizerError, RemoteCodeRequiredError,
                     SourceNotFoundError, UnsupportedArchitectureError)
from .files import atomic_path, check_free_space
from .progress import run_streaming

__all__ = ["check_model_folder", "needs_remote_code", "convert_hf", "supported_architectures_text"]

_TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "vocab.json", "tokenizer.tiktoken", "qwen.tiktoken")
_WEIGHT_SUFFIXES = (".safetensors", ".bin")


def supported_architectures_text() -> str:
    return ", ".join(sorted(C.SUPPORTED_ARCHITECTURES))


def _config(hf_dir: Path) -> dict:
    try:
        return json.loads((hf_dir / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SourceNotFoundError(f"Cannot read {hf_dir / 'config.json'} ({exc}). Point at a complete "
                                  "Hugging Face model folder.") from exc


def needs_remote_code(hf_dir: Path) -> bool:
    """Whether loading this folder would import Python that ships with it (an ``auto_map``)."""
    for name in C.REMOTE_CODE_FILES:
        path = Path(hf_dir) / name
        if path.is_file() and "auto_map" in json.loads(path.read_text(encoding="utf-8")):
            return True
    return False


def check_model_folder(hf_dir: Path, *, trust_remote_code: bool = False) -> str:
    """Validate a model folder before converting; return its Hugging Face architecture."""
    hf_dir = Path(hf_dir)
    archs = _config(hf_dir).get("architectures") or []
    arch = next((a for a in archs if a in C.SUPPORTED_ARCHITECTURES), None)
    if arch is None:
        raise UnsupportedArchitectureError(
            f"{hf_dir.name} is a {', '.join(archs) or 'model with no architectures in config.json'}, which "
            f"edge-quantize does not support. Supported: {supported_architectures_text()}.")
    if not any((hf_dir / name).is_file() for name in _TOKENIZER_FILES):
        raise MissingTokenizerError(
            f"{hf_dir} has no tokenizer ({', '.join(_TOKENIZER_FILES)}). Copy the tokenizer files of the "
            "base model into the folder (tokenizer.save_pretrained(folder)) and run again.")
    if not any(p.suffix in _WEIGHT_SUFFIXES for p in hf_dir.iterdir()):
        raise SourceNotFoundError(f"{hf_dir} has no weights (*.safetensors or *.bin). Download the "
                                  "complete model, or pass the folder that holds them.")
    if needs_remote_code(hf_dir) and not trust_remote_code:
        raise RemoteCodeRequiredError(
            f"{hf_dir.name} ships its own Python code (auto_map in its config), which loading it would run. "
            "Read that code, then pass --trust-remote-code if you trust it.")
    return arch


def _weights_size(hf_dir: Path) -> int:
    return sum(p.stat().st_size for p in hf_dir.iterdir() if p.suffix in _WEIGHT_SUFFIXES)


def convert_hf(hf_dir: Path, out_gguf: Path, *, outtype: str = "f16", trust_remote_code: bool = False,
               log_path: Path | None = None, verbose: bool = False) -> Path:
    """Convert ``hf_dir`` to ``out_gguf`` (f16, bf16 or f32) with llama.cpp's converter."""
    hf_dir, out_gguf = Path(hf_dir), Path(out_gguf)
    check_model_folder(hf_dir, trust_remote_code=trust_remote_code)
    if outtype not in C.OUTTYPES:
        raise ConversionError(f"--outtype must be one of {', '.join(C.OUTTYPES)}, not '{outtype}'.")
    # Weights stored as f32 halve in f16; stored as bf16 they stay the same size.
    check_free_space(out_gguf.parent, int(_weights_size(hf_dir) * (1.1 if outtype != "f32" else 2.2)),
                     "the full-precision GGUF")
    with atomic_path(out_gguf) as tmp:
        cmd = [sys.executable, str(C.VENDOR_CONVERTER), str(hf_dir), "--outfile", str(tmp), "--outtype", outtype]
        result = run_streaming(cmd, label=f"convert {outtype}", env=_converter_env(), log_path=log_path,
                               verbose=verbose)
        _raise_for(result, hf_dir)
    return out_gguf


def _converter_env() -> dict:
    env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONIOENCODING="utf-8")
    env.pop("NO_LOCAL_GGUF", None)  # the converter must use its own gguf-py, never the PyPI one
    return env


def _raise_for(result, hf_dir: Path) -> None:
    if result.returncode == 0:
        return
    tail = "\n".join(result.tail[-12:])
    if "No space left" in tail:
        raise DiskFullError("The disk filled up while converting. Free space (or choose another "
                            "--out-dir) and run 'edge-quantize convert' again.")
    if "is not supported" in tail or "NotImplementedError" in tail:
        raise UnsupportedArchitectureError(f"llama.cpp's converter cannot convert {hf_dir.name}:\n{tail}\n"
                                           f"Supported: {supported_architectures_text()}.")
    raise ConversionError(f"llama.cpp's converter failed on {hf_dir} (exit {result.returncode}):\n{tail}\n"
                          "The full log is in the output folder's logs/. Check that the folder is complete.")
