"""Model manifests for the app: one per output GGUF, in edge_counsel's manifest schema.

The schema (the keys, their order, which are required) is ``edge_counsel.engine.manifest.Manifest``
alone: a manifest is built as one and written with its ``to_dict``. It is written only after its
GGUF is complete, with the file's sha256, and is read back through ``Manifest.from_file`` before
it counts, so the app can always load it.
``register`` copies a GGUF and its manifest into a models/ folder the app searches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from edge_counsel.engine.manifest import Manifest, sha256_file

from . import constants as C
from .files import copy_file, write_json
from .metadata import read_info

__all__ = ["ModelFacts", "manifest_for", "write_manifest", "register"]


@dataclass(frozen=True)
class ModelFacts:
    """What every manifest of one run shares."""
    name: str  # human name of the model, e.g. "SoulChat 6B"
    source: str
    license: str
    chat_format: str | None
    languages: tuple[str, ...] = ("zh", "en")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9.]+", "-", text.lower()).strip("-")


def manifest_for(gguf: Path, quant: str, imatrix: bool, facts: ModelFacts, kld_mean: float | None = None) -> dict:
    gguf = Path(gguf)
    info = read_info(gguf)
    variant = "" if imatrix else ", no imatrix"
    quality = f" Mean KL divergence {kld_mean:.4f} against full precision on held-out text." if kld_mean is not None else ""
    manifest = Manifest(
        id=_slug(f"{facts.name}-{quant}{'' if imatrix else C.NOIMATRIX_SUFFIX}"),
        name=f"{facts.name} ({quant}{variant})",
        description=f"Quantized with edge-quantize ({'with' if imatrix else 'without'} a counseling "
                    f"importance matrix).{quality}",
        source=facts.source, license=facts.license, file=gguf.name,
        sha256=sha256_file(gguf), size_bytes=info.size_bytes, quant=quant,
        context_length=int(info.context_length or 2048), chat_format=facts.chat_format,
        languages=tuple(facts.languages),
    )
    return manifest.to_dict()


def write_manifest(path: Path, manifest: dict) -> Path:
    write_json(path, manifest)
    Manifest.from_file(Path(path))  # the app must be able to read what we wrote
    return Path(path)


def register(gguf: Path, manifest: dict, models_dir: Path) -> Path:
    """Copy ``gguf`` (unless an identical file is there) and its manifest into ``models_dir``."""
    models_dir = Path(models_dir)
    target = models_dir / Path(gguf).name
    if not (target.is_file() and sha256_file(target) == manifest["sha256"]):
        copy_file(gguf, target)
    return write_manifest(models_dir / f"{manifest['id']}.json", manifest)
