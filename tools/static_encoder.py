"""Offline static sentence encoder (zh + en): numpy + tokenizers only, no torch.

Loads the files written by tools/build_encoder.py (default: training/encoder_out/):
  static_encoder.safetensors  "embeddings" float16 [rows, dims], "token_rows" int32 [vocab] (-1: no row)
  tokenizer.json.gz           Qwen2.5 byte-level BPE tokenizer
A message is NFKC-normalised and lower-cased, tokenised, and the rows of its known tokens are averaged and
scaled to unit length. A message with no known token encodes to the zero vector.

The safetensors file is parsed here with numpy (8-byte little-endian header length, JSON header, raw tensor bytes),
so the `safetensors` package is not needed; nothing is unpickled.

    enc = StaticEncoder.load()            # or StaticEncoder.load("path/to/dir")
    v = enc.encode("我不想活了")           # float32 [dims], |v| == 1
    m = enc.encode_batch(["...", "..."])  # float32 [n, dims]
"""

from __future__ import annotations

import gzip
import json
import struct
import unicodedata
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

DEFAULT_DIR = Path(__file__).resolve().parents[1] / "training" / "encoder_out"
_DTYPES = {"F16": np.float16, "F32": np.float32, "I32": np.int32, "I64": np.int64, "I8": np.int8, "U8": np.uint8}


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Read a safetensors file into numpy arrays (no pickle, no safetensors package)."""
    data = Path(path).read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8: 8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        dtype = np.dtype(_DTYPES[info["dtype"]]).newbyteorder("<")
        arr = np.frombuffer(data, dtype=dtype, count=(end - start) // dtype.itemsize, offset=8 + n + start)
        out[name] = arr.reshape(info["shape"])
    return out


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


class StaticEncoder:
    def __init__(self, embeddings: np.ndarray, token_rows: np.ndarray, tokenizer: Tokenizer):
        self.embeddings = embeddings  # float16 [rows, dims]
        self.token_rows = token_rows  # int32 [vocab]
        self.tokenizer = tokenizer
        self.dims = int(embeddings.shape[1])

    @classmethod
    def load(cls, directory: str | Path = DEFAULT_DIR) -> "StaticEncoder":
        directory = Path(directory)
        tensors = read_safetensors(directory / "static_encoder.safetensors")
        tokenizer = Tokenizer.from_str(gzip.decompress((directory / "tokenizer.json.gz").read_bytes()).decode("utf-8"))
        return cls(tensors["embeddings"], tensors["token_rows"], tokenizer)

    def _pool(self, ids: list[int]) -> np.ndarray:
        rows = self.token_rows[np.asarray(ids, dtype=np.int64)] if ids else np.empty(0, np.int32)
        rows = rows[rows >= 0]
        if rows.size == 0:
            return np.zeros(self.dims, np.float32)
        v = self.embeddings[rows].astype(np.float32).mean(axis=0)
        norm = float(np.sqrt(v @ v))
        return v / norm if norm > 0 else v

    def encode(self, text: str) -> np.ndarray:
        """Unit-length float32 vector for one message."""
        return self._pool(self.tokenizer.encode(normalize(text), add_special_tokens=False).ids)

    def encode_batch(self, texts: list[str]) -> np.ndarray:
        encs = self.tokenizer.encode_batch([normalize(t) for t in texts], add_special_tokens=False)
        return np.stack([self._pool(e.ids) for e in encs]) if texts else np.zeros((0, self.dims), np.float32)


_default: StaticEncoder | None = None


def encode(text: str) -> np.ndarray:
    """Module-level convenience: encode with the encoder in DEFAULT_DIR (loaded on first use)."""
    global _default
    if _default is None:
        _default = StaticEncoder.load()
    return _default.encode(text)
