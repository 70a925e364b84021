"""The active model: resolve a model reference through the manifests and load an engine for it."""

from __future__ import annotations

from .llama import LlamaEngine, ProgressCallback
from .manifest import Manifest, resolve_model

__all__ = ["open_engine"]


def open_engine(ref: str | None, *, n_ctx: int = 4096, progress: ProgressCallback | None = None,
                n_threads: int | None = None) -> tuple[LlamaEngine, Manifest | None]:
    """Load ``ref`` (a manifest id, a GGUF path, or None for the default) ready to chat."""
    path, manifest = resolve_model(ref)
    if manifest is not None:
        n_ctx = min(n_ctx, manifest.context_length)
    engine = LlamaEngine(path, n_ctx=n_ctx, n_threads=n_threads,
                         chat_format=manifest.chat_format if manifest else None)
    engine.load(progress)
    return engine, manifest
