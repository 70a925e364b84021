"""The active model: resolve a model reference through the manifests and load an engine for it."""

from __future__ import annotations

from ..settings import load_settings
from .llama import LlamaEngine, ProgressCallback, parse_gpu_layers
from .manifest import Manifest, resolve_model

__all__ = ["open_engine"]


def open_engine(ref: str | None, *, n_ctx: int = 4096, progress: ProgressCallback | None = None,
                n_threads: int | None = None, gpu_layers: int | str | None = None,
                ) -> tuple[LlamaEngine, Manifest | None]:
    """Load ``ref`` (a manifest id, a GGUF path, or None for the default) ready to chat.

    ``gpu_layers`` (a count or "auto") defaults to the saved setting, so every front end (the
    window's worker, the kiosk, the terminal) offloads as the user chose."""
    path, manifest = resolve_model(ref)
    if manifest is not None:
        n_ctx = min(n_ctx, manifest.context_length)
    engine = LlamaEngine(path, n_ctx=n_ctx, n_threads=n_threads, n_gpu_layers=_gpu_layers(gpu_layers),
                         chat_format=manifest.chat_format if manifest else None,
                         sampling=manifest.sampling if manifest else None)
    engine.load(progress)
    return engine, manifest


def _gpu_layers(requested: int | str | None) -> int | str:
    if requested is not None:
        return parse_gpu_layers(requested)
    try:
        return parse_gpu_layers(load_settings().gpu_layers)
    except ValueError:  # a hand-edited settings file must not stop the model: no offload
        return 0
