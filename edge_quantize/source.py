"""Where a model comes from: a Hugging Face repo id, a local model folder, or a GGUF file.

Downloads go through ``huggingface_hub.snapshot_download`` into the normal HF cache, so they
resume after an interruption and honour ``HF_HUB_OFFLINE``, ``HF_HOME``/``--cache-dir`` and tokens
(``--token``, ``HF_TOKEN`` or a stored login). A LoRA/QLoRA adapter is merged into its base
with peft before anything else sees the model.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from .errors import BadAdapterError, HubOfflineError, SourceNotFoundError
from .files import check_free_space

__all__ = ["Source", "resolve_source", "download", "merge_adapter", "hub_offline", "hf_folder_from_gguf"]

_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
# Weights in formats the converter does not read, and GGUFs of other quantizers: never fetched.
_IGNORE = ["*.pth", "*.pt", "*.msgpack", "*.h5", "*.onnx", "*.gguf", "*.ot", "*.tflite", "original/*"]
_ADAPTER_WEIGHTS = ("adapter_model.safetensors", "adapter_model.bin")


@dataclass(frozen=True)
class Source:
    kind: str  # "hf" (a model folder) or "gguf"
    path: Path
    label: str  # what the operator gave: a repo id or a path, recorded in manifests
    revision: str | None = None


def hub_offline() -> bool:
    """HF_HUB_OFFLINE read now, not at import time, so a test or a shell can flip it."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().upper() in {"1", "ON", "YES", "TRUE"}


def resolve_source(spec: str, *, revision: str | None = None, cache_dir: str | None = None,
                   token: str | None = None) -> Source:
    """Turn what the operator typed into a local folder or GGUF file, downloading if needed."""
    path = Path(spec).expanduser()
    if path.is_file() and path.suffix == ".gguf":
        return Source("gguf", path.resolve(), spec)
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise SourceNotFoundError(f"{path} has no config.json, so it is not a Hugging Face model "
                                      "folder. Point at the folder that holds config.json and the weights.")
        return Source("hf", path.resolve(), spec)
    if _REPO_ID.match(spec) and not path.exists():
        return Source("hf", download(spec, revision=revision, cache_dir=cache_dir, token=token), spec, revision)
    raise SourceNotFoundError(f"'{spec}' is not a GGUF file, a model folder or a Hugging Face repo id "
                              "(owner/name). Check the spelling or the path.")


def download(repo_id: str, *, revision: str | None = None, cache_dir: str | None = None,
             token: str | None = None) -> Path:
    """Fetch (or find in the cache) a model snapshot; resumable, offline-aware."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import (GatedRepoError, LocalEntryNotFoundError, RepositoryNotFoundError,
                                        RevisionNotFoundError)

    offline = hub_offline()
    try:
        folder = snapshot_download(repo_id, revision=revision, cache_dir=cache_dir, token=token,
                                   local_files_only=offline, ignore_patterns=_ignore_for(repo_id, revision, token, offline))
    except LocalEntryNotFoundError as exc:
        raise HubOfflineError(_offline_message(repo_id, offline, cache_dir)) from exc
    except GatedRepoError as exc:
        raise SourceNotFoundError(f"{repo_id} is gated. Accept its terms on huggingface.co, then pass "
                                  "--token or set HF_TOKEN.") from exc
    except RevisionNotFoundError as exc:
        raise SourceNotFoundError(f"{repo_id} has no revision '{revision}'. Check --revision.") from exc
    except RepositoryNotFoundError as exc:
        raise SourceNotFoundError(f"{repo_id} was not found on the Hugging Face hub. Check the id; for a "
                                  "private repo pass --token or set HF_TOKEN.") from exc
    return Path(folder)


def _offline_message(repo_id: str, offline: bool, cache_dir: str | None) -> str:
    where = cache_dir or os.environ.get("HF_HUB_CACHE") or "the Hugging Face cache"
    if offline:
        return (f"{repo_id} is not in {where} and HF_HUB_OFFLINE is set, so it cannot be downloaded. "
                "Unset HF_HUB_OFFLINE on a connected machine, or pass a local model folder instead.")
    return (f"{repo_id} could not be downloaded (no connection to the hub?) and is not in {where}. "
            "Check the network and run again: the download resumes where it stopped.")


def _ignore_for(repo_id: str, revision: str | None, token: str | None, offline: bool) -> list[str]:
    """Skip pytorch .bin weights when the repo also has safetensors (never download both)."""
    if offline:
        return list(_IGNORE)
    try:
        from huggingface_hub import HfApi
        files = HfApi().list_repo_files(repo_id, revision=revision, token=token)
    except Exception:  # the download itself reports hub errors properly
        return list(_IGNORE)
    has_safetensors = any(f.endswith(".safetensors") for f in files)
    return list(_IGNORE) + (["*.bin"] if has_safetensors else [])


def merge_adapter(base_dir: Path, adapter_dir: Path, out_dir: Path, *, trust_remote_code: bool = False) -> Path:
    """Merge a LoRA/QLoRA adapter into its full-precision base; write a model folder atomically.

    A QLoRA adapter was trained against a 4-bit base, but is merged here into the unquantized
    base weights, which is what the adapter approximates and what the converter needs.
    """
    _check_adapter(adapter_dir)
    base_dir, adapter_dir, out_dir = Path(base_dir), Path(adapter_dir), Path(out_dir)
    check_free_space(out_dir.parent, _folder_size(base_dir), "the merged model")
    merged, tokenizer = _load_and_merge(base_dir, adapter_dir, trust_remote_code)
    return _save_folder(merged, tokenizer, out_dir)


def hf_folder_from_gguf(gguf: Path, out_dir: Path) -> Path:
    """A Hugging Face model folder from a GGUF, its weights dequantized to float32 by transformers.

    For a base that exists only as a GGUF: an adapter can then be merged into it, and the
    calibration sees the same weights the converter does.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf, out_dir = Path(gguf), Path(out_dir)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model.hf_quantizer = None  # the weights are plain floats now; save them as such
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    return _save_folder(model, tokenizer, out_dir)


def _save_folder(model, tokenizer, out_dir: Path) -> Path:
    """Save a model folder under a temporary name, then move it into place."""
    partial = out_dir.with_name(f".partial-{out_dir.name}")
    shutil.rmtree(partial, ignore_errors=True)
    model.save_pretrained(partial, safe_serialization=True)
    tokenizer.save_pretrained(partial)
    shutil.rmtree(out_dir, ignore_errors=True)
    os.replace(partial, out_dir)
    return out_dir


def _check_adapter(adapter_dir: Path) -> None:
    adapter_dir = Path(adapter_dir)
    if not (adapter_dir / "adapter_config.json").is_file():
        raise BadAdapterError(f"{adapter_dir} has no adapter_config.json, so it is not a peft LoRA/QLoRA "
                              "adapter. Point --adapter at the folder saved by model.save_pretrained().")
    if not any((adapter_dir / name).is_file() for name in _ADAPTER_WEIGHTS):
        raise BadAdapterError(f"{adapter_dir} has no adapter weights ({' or '.join(_ADAPTER_WEIGHTS)}). "
                              "Copy the whole adapter folder, not only its config.")


def _load_and_merge(base_dir: Path, adapter_dir: Path, trust_remote_code: bool):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    base = AutoModelForCausalLM.from_pretrained(base_dir, dtype="auto", trust_remote_code=trust_remote_code)
    try:
        merged = PeftModel.from_pretrained(base, adapter_dir).merge_and_unload()
    except (RuntimeError, ValueError, KeyError, TypeError) as exc:
        raise BadAdapterError(f"The adapter in {adapter_dir} does not fit the base model {base_dir} ({_first_line(exc)}). "
                              "Use the base model the adapter was trained on (see base_model_name_or_path "
                              "in adapter_config.json).") from exc
    # A fine-tune may have added tokens: prefer the adapter's tokenizer when it ships one.
    tok_dir = adapter_dir if _has_tokenizer(adapter_dir) else base_dir
    tokenizer = AutoTokenizer.from_pretrained(tok_dir, trust_remote_code=trust_remote_code)
    return merged, tokenizer


def _has_tokenizer(folder: Path) -> bool:
    return any((folder / n).is_file() for n in ("tokenizer.json", "tokenizer.model", "tokenizer_config.json"))


def _folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__
