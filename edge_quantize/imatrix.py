"""Importance matrix: which input columns of each weight matter on counseling text.

For every ``nn.Linear`` of the (full-precision) model, a forward pre-hook sums x² per input
column over the calibration tokens. Sums are keyed by the GGUF tensor the weight became
("blk.0.attn_q.weight") and written in llama.cpp's imatrix GGUF format (``<name>.in_sum2`` and
``<name>.counts``), so ``llama-quantize --imatrix`` reads the file as well as edge-quantize does.
The quantizer then weights its rounding error by the mean x² of each column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from . import constants as C
from .errors import CalibrationError
from .files import atomic_path
from .metadata import read_info
from .progress import ProgressBar

if TYPE_CHECKING:  # torch is imported lazily: only the imatrix stage needs it
    import torch

__all__ = ["ImatrixResult", "compute_imatrix", "write_imatrix", "read_imatrix", "load_torch_model",
           "gguf_targets"]

# Hugging Face projections that hold q, k and v in one weight; llama.cpp keeps them fused
# (attn_qkv) or splits them (internlm2). All three parts see the same input columns.
_FUSED_QKV = ("wqkv", "qkv_proj", "query_key_value", "c_attn", "Wqkv")
_BLOCK = re.compile(r"\.(\d+)\.")
_OUTPUT, _TOKEN_EMBD = "output.weight", "token_embd.weight"


@dataclass
class ImatrixResult:
    path: Path
    tokens: int
    chunks: int
    mapped: int  # GGUF tensors that got importance data
    unmapped: list[str] = field(default_factory=list)  # HF Linear layers with no GGUF tensor


class _ActivationStats:
    """Per-Linear running sums of x² per input column, collected by forward pre-hooks."""

    def __init__(self):
        self.sums: dict[str, "torch.Tensor"] = {}
        self.counts: dict[str, int] = {}
        self._handles = []

    def attach(self, model) -> None:
        import torch

        for name, module in model.named_modules():
            if isinstance(module, torch.nn.Linear):
                self._handles.append(module.register_forward_pre_hook(self._hook(name, module.in_features)))

    def _hook(self, name: str, width: int):
        def hook(_module, args):
            x = args[0].detach().reshape(-1, width).double()
            self.sums[name] = self.sums.get(name, 0) + (x * x).sum(dim=0)
            self.counts[name] = self.counts.get(name, 0) + x.shape[0]
        return hook

    def detach(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()


def load_torch_model(kind: str, path: Path, *, trust_remote_code: bool = False):
    """The model in torch, for calibration: a model folder, or a GGUF dequantized by transformers."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = Path(path)
    folder, extra = (path.parent, {"gguf_file": path.name}) if kind == "gguf" else (path, {})
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, trust_remote_code=trust_remote_code, **extra)
        model = AutoModelForCausalLM.from_pretrained(folder, dtype=_torch_dtype(kind, path),
                                                     trust_remote_code=trust_remote_code, **extra)
    except (OSError, ValueError, KeyError, RuntimeError, ImportError) as exc:
        raise CalibrationError(f"transformers cannot load {path} for calibration ({str(exc)[:300]}). "
                               "Quantize without an importance matrix (--no-imatrix), or give the "
                               "original Hugging Face folder.") from exc
    return model.eval(), tokenizer


def _torch_dtype(kind: str, path: Path):
    import torch

    # float32 is exact and fast on CPU but doubles RAM; above ~4 GB of weights use bfloat16.
    size = path.stat().st_size if kind == "gguf" else sum(
        p.stat().st_size for p in path.iterdir() if p.suffix in (".safetensors", ".bin"))
    return torch.float32 if size < 4 * 2**30 else torch.bfloat16


def _token_chunks(tokenizer, text: str, chunk_tokens: int, max_tokens: int | None) -> list[list[int]]:
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    if max_tokens:
        ids = ids[:max_tokens]
    bos = tokenizer.bos_token_id
    step = chunk_tokens - (1 if bos is not None else 0)
    # Like llama-imatrix: every chunk starts as a fresh sequence (with BOS when the model has one).
    chunks = [([bos] if bos is not None else []) + ids[i:i + step] for i in range(0, len(ids), step)]
    return [c for c in chunks if len(c) > 8]


def gguf_targets(hf_name: str, width: int, tmap, tensors: dict[str, tuple[int, ...]]) -> list[str]:
    """The GGUF weights that take the input of Hugging Face Linear ``hf_name`` (``width`` columns)."""
    for candidate in (hf_name, hf_name.removeprefix("transformer."), hf_name.removeprefix("model.")):
        mapped = tmap.get_name(candidate + ".weight", try_suffixes=(".weight",)) if tmap else None
        if mapped is None and candidate.endswith("lm_head"):
            mapped = _OUTPUT  # some architectures' maps (gemma) omit the head they always tie
        if mapped == _OUTPUT and mapped not in tensors:
            mapped = _TOKEN_EMBD  # tied embeddings: the output matmul multiplies by token_embd
        if mapped in tensors and tensors[mapped][0] == width:
            return [mapped]
    block = _BLOCK.search(hf_name)
    if block and hf_name.rsplit(".", 1)[-1] in _FUSED_QKV:
        names = [f"blk.{block.group(1)}.attn_{part}.weight" for part in ("qkv", "q", "k", "v")]
        return [n for n in names if n in tensors and tensors[n][0] == width]
    return []


def _tensor_map(arch: str, n_blocks: int):
    import gguf

    by_name = {name: enum for enum, name in gguf.MODEL_ARCH_NAMES.items()}
    return gguf.get_tensor_name_map(by_name[arch], n_blocks) if arch in by_name else None


def _map_stats(stats: _ActivationStats, model, reference_gguf: Path):
    import torch

    info = read_info(reference_gguf)
    tmap = _tensor_map(info.architecture, info.block_count or 0)
    widths = {n: m.in_features for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)}
    entries, unmapped = {}, []
    for name, sums in stats.sums.items():
        targets = gguf_targets(name, widths[name], tmap, info.tensors)
        unmapped += [] if targets else [name]
        for target in targets:
            entries[target] = (sums.float().numpy(), stats.counts[name])
    return entries, unmapped


def compute_imatrix(kind: str, model_path: Path, reference_gguf: Path, text: str, out_path: Path, *,
                    dataset: str = "calibration.txt", chunk_tokens: int = 512, max_tokens: int | None = None,
                    trust_remote_code: bool = False, threads: int = 0) -> ImatrixResult:
    """Run the calibration text through the torch model; write ``out_path`` (imatrix GGUF)."""
    import torch

    if threads:
        torch.set_num_threads(threads)
    model, tokenizer = load_torch_model(kind, model_path, trust_remote_code=trust_remote_code)
    chunks = _token_chunks(tokenizer, text, chunk_tokens, max_tokens)
    if not chunks:
        raise CalibrationError("The calibration text is too short (under 8 tokens). Give a longer --calibration file.")
    stats = _ActivationStats()
    stats.attach(model)
    bar = ProgressBar("imatrix", len(chunks))
    with torch.inference_mode():
        for i, chunk in enumerate(chunks):
            model(input_ids=torch.tensor([chunk]), use_cache=False)
            bar.update(i + 1, note=f"{sum(map(len, chunks[:i + 1]))} tokens")
    stats.detach()
    bar.finish()
    entries, unmapped = _map_stats(stats, model, reference_gguf)
    if not entries:
        raise CalibrationError(f"No weight of {model_path} matched a tensor of {reference_gguf}. "
                               "Calibrate the same model you converted, or use --no-imatrix.")
    write_imatrix(out_path, entries, chunk_count=len(chunks), chunk_size=chunk_tokens, datasets=[dataset])
    return ImatrixResult(Path(out_path), sum(map(len, chunks)), len(chunks), len(entries), unmapped)


def write_imatrix(path: Path, entries: dict[str, tuple[np.ndarray, int]], *, chunk_count: int,
                  chunk_size: int, datasets: list[str]) -> Path:
    """Write ``{gguf_tensor_name: (sum of x² per column, number of rows)}`` as an imatrix GGUF."""
    import gguf

    with atomic_path(path) as tmp:
        writer = gguf.GGUFWriter(tmp, arch=C.IMATRIX_GENERAL_TYPE)
        writer.add_string(C.KEY_GENERAL_TYPE, C.IMATRIX_GENERAL_TYPE)
        writer.add_array(C.KEY_IMATRIX_DATASETS, datasets)
        writer.add_uint32(C.KEY_IMATRIX_CHUNK_COUNT, chunk_count)
        writer.add_uint32(C.KEY_IMATRIX_CHUNK_SIZE, chunk_size)
        for name in sorted(entries):
            sums, count = entries[name]
            writer.add_tensor(name + C.IMATRIX_SUM2_SUFFIX, np.asarray(sums, np.float32).reshape(1, -1))
            writer.add_tensor(name + C.IMATRIX_COUNTS_SUFFIX, np.array([[count]], np.float32))
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
    return Path(path)


def read_imatrix(path: Path) -> dict[str, np.ndarray]:
    """``{gguf_tensor_name: mean x² per column}`` from an imatrix GGUF."""
    import gguf

    reader = gguf.GGUFReader(path, "r")
    tensors = {t.name: np.array(t.data, dtype=np.float32) for t in reader.tensors}
    out = {}
    for name, sums in tensors.items():
        if name.endswith(C.IMATRIX_SUM2_SUFFIX):
            base = name.removesuffix(C.IMATRIX_SUM2_SUFFIX)
            counts = tensors[base + C.IMATRIX_COUNTS_SUFFIX].reshape(-1, 1)
            out[base] = (sums.reshape(counts.shape[0], -1) / np.maximum(counts, 1)).reshape(-1)
    return out
