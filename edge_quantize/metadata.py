"""Reading GGUF metadata, and rewriting a GGUF with a different chat template.

Uses the PyPI ``gguf`` package (not the converter's vendored copy, which only the converter
subprocess sees). Files are read through a memory map; nothing here loads tensor data into RAM.
"""

from __future__ import annotations

import functools
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from . import constants as C
from .errors import SourceNotFoundError
from .files import atomic_path, check_free_space

__all__ = ["GgufInfo", "read_info", "write_with_chat_template"]


@dataclass(frozen=True)
class GgufInfo:
    path: Path
    architecture: str
    name: str | None
    license: str | None
    chat_template: str | None
    context_length: int | None
    block_count: int | None
    file_type: int | None
    n_params: int
    size_bytes: int
    tensors: dict[str, tuple[int, ...]] = field(repr=False)  # name -> shape in ggml order (ne0 first)

    @property
    def bits_per_weight(self) -> float:
        return 8.0 * self.size_bytes / self.n_params if self.n_params else 0.0


def _field(reader, key: str):
    found = reader.get_field(key)
    return found.contents() if found is not None else None


def read_info(path: str | os.PathLike) -> GgufInfo:
    """The metadata of a GGUF file; raises SourceNotFoundError when it is not one."""
    path = Path(path)
    try:
        stat = path.stat()
    except OSError as exc:
        raise SourceNotFoundError(f"{path} does not exist. Check the path, or run the stage that makes it.") from exc
    return _read_info(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=64)
def _read_info(path: Path, _mtime_ns: int, _size: int) -> GgufInfo:
    # Parsing a GGUF's token arrays takes seconds in Python; a file unchanged since is not re-read.
    import gguf

    try:
        reader = gguf.GGUFReader(path, "r")
    except (OSError, ValueError) as exc:
        raise SourceNotFoundError(f"{path} is not a readable GGUF file ({exc}). Check the path, or "
                                  "convert the model again with 'edge-quantize convert'.") from exc
    arch = _field(reader, C.KEY_ARCHITECTURE) or "unknown"
    tensors = {t.name: tuple(int(d) for d in t.shape) for t in reader.tensors}
    return GgufInfo(
        path=path, architecture=arch, name=_field(reader, C.KEY_NAME), license=_field(reader, C.KEY_LICENSE),
        chat_template=_field(reader, C.KEY_CHAT_TEMPLATE),
        context_length=_field(reader, C.context_length_key(arch)),
        block_count=_field(reader, C.block_count_key(arch)),
        file_type=_field(reader, C.KEY_FILE_TYPE),
        n_params=sum(int(t.n_elements) for t in reader.tensors),
        size_bytes=path.stat().st_size, tensors=tensors)


def write_with_chat_template(src: str | os.PathLike, dst: str | os.PathLike, template: str) -> Path:
    """Copy GGUF ``src`` to ``dst`` (which may be ``src``) with ``tokenizer.chat_template`` set."""
    import gguf
    from gguf.scripts.gguf_new_metadata import MetadataDetails, copy_with_new_metadata

    src, dst = Path(src), Path(dst)
    check_free_space(dst.parent, src.stat().st_size, "the GGUF with its chat template")
    reader = gguf.GGUFReader(src, "r")
    arch = _field(reader, C.KEY_ARCHITECTURE)
    new = {C.KEY_CHAT_TEMPLATE: MetadataDetails(gguf.GGUFValueType.STRING, template)}
    logging.getLogger("gguf-new-metadata").setLevel(logging.WARNING)
    with atomic_path(dst) as tmp:
        writer = gguf.GGUFWriter(tmp, arch=arch, endianess=reader.endianess)
        copy_with_new_metadata(reader, writer, new, remove_metadata=[])
        del reader  # release the memory map before src may be replaced
    return dst
