"""Import, verify and delete model files, and write their manifests.

An import changes nothing until the file has been read by llama.cpp, loaded once, hashed and (if
a checksum was given) matched: only then is it copied atomically into the data directory's models
folder and described by a manifest there. Deleting touches only files inside that folder, never a
manifest the app ships.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Callable

from .. import paths
from ..atomic import atomic_path, atomic_write
from .llama import LlamaEngine, probe_gguf
from ..errors import (
    ManifestError,
    ModelChecksumError,
    NoChatTemplateError,
)
from .manifest import Manifest, load_manifests, model_path, sha256_file

__all__ = ["import_gguf", "delete_model", "verify_model", "user_manifest_path"]

Progress = Callable[[float], None]


def import_gguf(source: Path, *, expected_sha256: str | None = None, chat_format: str | None = None,
                progress: Progress | None = None) -> Manifest:
    """Check ``source`` fully, then copy it into the models folder with a manifest."""
    source = Path(source)
    meta = probe_gguf(source)
    if not meta["has_chat_template"] and not chat_format:
        raise NoChatTemplateError(
            f"{source.name} has no chat template. Import it again naming its prompt format "
            "(chatml, llama3, gemma, soulchat), or choose a chat/instruct model.")
    _check_loads(source, chat_format)
    digest = sha256_file(source, progress=progress)
    if expected_sha256 and digest != expected_sha256.lower():
        raise ModelChecksumError(f"{source.name} does not match the checksum you gave (its sha256 is "
                                 f"{digest[:12]}...). Download it again; nothing was imported.")
    target = _copy_in(source)
    return _write_manifest(target, meta, digest, chat_format)


def _check_loads(source: Path, chat_format: str | None) -> None:
    engine = LlamaEngine(source, n_ctx=256, n_threads=1, chat_format=chat_format)
    engine.load()
    engine.close()


def _copy_in(source: Path) -> Path:
    folder = paths.models_dir()
    target = folder / source.name
    if target.resolve() == source.resolve():
        return target
    full = (f"The disk is full: {source.name} needs {source.stat().st_size >> 20} MB in {folder}. "
            "Free some space and import again.")
    with atomic_path(target, full_message=full) as tmp:
        shutil.copyfile(source, tmp)
    return target


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9.]+", "-", text.lower()).strip("-") or "model"


def user_manifest_path(model_id: str) -> Path:
    return paths.models_dir() / f"{model_id}.json"


def _write_manifest(target: Path, meta: dict, digest: str, chat_format: str | None) -> Manifest:
    manifest = Manifest(id=_slug(target.stem), name=meta["name"] or target.stem, source="imported by the user",
                        license="unknown: check the model's own terms", file=target.name, sha256=digest,
                        size_bytes=target.stat().st_size, context_length=meta["context_length"],
                        architecture=meta["architecture"], chat_format=chat_format)
    path = user_manifest_path(manifest.id)
    atomic_write(path, json.dumps(manifest.to_dict(), indent=2, ensure_ascii=False).encode("utf-8"))
    return Manifest.from_file(path)


def verify_model(manifest: Manifest, progress: Progress | None = None) -> bool:
    """True if the file is present and matches the manifest's sha256 (or it has none)."""
    path = model_path(manifest)
    if not path.is_file():
        return False
    return not manifest.sha256 or sha256_file(path, progress=progress) == manifest.sha256


def delete_model(model_id: str) -> None:
    """Remove a model's file from the models folder, and its manifest if the user added it."""
    manifest = load_manifests().get(model_id)
    if manifest is None:
        raise ManifestError(f"No model with id '{model_id}'.")
    folder = paths.models_dir().resolve()
    path = model_path(manifest).resolve()
    if path.parent == folder and path.is_file():
        path.unlink()
    if manifest.manifest_path and manifest.manifest_path.resolve().parent == folder:
        manifest.manifest_path.unlink()
