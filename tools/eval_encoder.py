"""Does the static encoder help the crisis classifier? 5-fold stratified CV of LogisticRegression.

Cases: tests/data/crisis_cases.jsonl + crisis_train_extra.jsonl (label "escalate", text turns[-1]); the held-out
and blind sets are never read. Feature sets: (a) character n-gram TF-IDF (char_wb 2-4 on the non-Han text, char 1-3
within Han runs), (b) the static-encoder mean vector, (c) both concatenated. Reports ROC AUC and recall at 3% FPR
(threshold set on the out-of-fold scores of that language's negatives), per language, and encode latency.

  python tools/eval_encoder.py                       # evaluates training/encoder_out via tools/static_encoder.py
  python tools/eval_encoder.py --layers 0,6,12,24    # also compares raw layers cached by build_encoder.py --work
Needs scikit-learn (evaluation only).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import unicodedata
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
FILES = [REPO / "tests" / "data" / "crisis_cases.jsonl", REPO / "tests" / "data" / "crisis_train_extra.jsonl"]
HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
LANGS = ["all", "en", "zh", "mixed"]


def load():
    cases = [json.loads(l) for f in FILES for l in f.read_text(encoding="utf-8").splitlines() if l.strip()]
    texts = [c["turns"][-1] for c in cases]
    return texts, np.array([bool(c["escalate"]) for c in cases]), np.array([c["lang"] for c in cases])


def norm(t: str) -> str:
    return unicodedata.normalize("NFKC", t).lower()


def latin_part(t: str) -> str:
    return HAN_RUN.sub(" ", norm(t))


def han_ngrams(t: str) -> list[str]:
    out = []
    for run in HAN_RUN.findall(norm(t)):
        for n in (1, 2, 3):
            out.extend(run[i: i + n] for i in range(len(run) - n + 1))
    return out


class CharTfidf:
    def fit(self, texts):
        self.lat = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, min_df=1)
        self.han = TfidfVectorizer(analyzer=han_ngrams, sublinear_tf=True, min_df=1)
        self.lat.fit([latin_part(t) for t in texts])
        self.han.fit(texts)
        return self

    def transform(self, texts):
        return sp.hstack([self.lat.transform([latin_part(t) for t in texts]), self.han.transform(texts)]).tocsr()


def oof_scores(kind: str, texts, y, lang, emb: np.ndarray | None, C: float, emb_weight: float = 1.0):
    strat = np.array([f"{l}{int(v)}" for l, v in zip(lang, y)])
    p = np.zeros(len(y))
    for tr, te in StratifiedKFold(5, shuffle=True, random_state=0).split(texts, strat):
        parts_tr, parts_te = [], []
        if kind in ("tfidf", "both"):
            v = CharTfidf().fit([texts[i] for i in tr])
            parts_tr.append(v.transform([texts[i] for i in tr]))
            parts_te.append(v.transform([texts[i] for i in te]))
        if kind in ("emb", "both"):
            parts_tr.append(sp.csr_matrix(emb[tr] * emb_weight))
            parts_te.append(sp.csr_matrix(emb[te] * emb_weight))
        clf = LogisticRegression(C=C, max_iter=5000)
        clf.fit(sp.hstack(parts_tr).tocsr(), y[tr])
        p[te] = clf.predict_proba(sp.hstack(parts_te).tocsr())[:, 1]
    return p


def metrics(p, y, lang):
    out = {}
    for l in LANGS:
        m = np.ones(len(y), bool) if l == "all" else lang == l
        pos, neg = p[m & y], p[m & ~y]
        t = np.quantile(neg, 0.97, method="higher")  # at most 3% of negatives strictly above t
        out[l] = (roc_auc_score(y[m], p[m]), float((pos > t).mean()))
    return out


def table(rows: dict) -> str:
    lines = ["| features | " + " | ".join(f"{l} AUC | {l} R@3%" for l in LANGS) + " |",
             "|---" * (1 + 2 * len(LANGS)) + "|"]
    for name, r in rows.items():
        lines.append(f"| {name} | " + " | ".join(f"{r[l][0]:.3f} | {r[l][1]:.3f}" for l in LANGS) + " |")
    return "\n".join(lines)


def raw_layer_embeddings(texts, work: Path, layer: int, dims: int):
    """Mean vectors from raw cached states of one layer (same post-processing as build_encoder.py)."""
    from tokenizers import Tokenizer
    import build_encoder as be
    ids = np.load(work / "vocab_ids.npy")
    if layer == 0:
        from safetensors.numpy import load_file
        states = load_file(str(work / "hf" / "model.safetensors"))["embed_tokens.weight"][ids]
    else:
        states = np.load(work / f"states_L{layer}_{len(ids)}.npy")
    emb = be.postprocess(states, ids, dims).astype(np.float16)
    tok = Tokenizer.from_file(str(work / "hf" / "tokenizer.json"))
    rows = np.full(tok.get_vocab_size(), -1, np.int64)
    rows[ids] = np.arange(len(ids))
    from static_encoder import StaticEncoder
    return StaticEncoder(emb, rows, tok).encode_batch(texts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", type=Path, default=REPO / "training" / "encoder_out")
    ap.add_argument("--work", type=Path, default=Path("/tmp/enc/work"))
    ap.add_argument("--layers", default="")
    ap.add_argument("--dims", type=int, default=192)
    ap.add_argument("--C", default="1,10,100")
    args = ap.parse_args()
    texts, y, lang = load()
    Cs = [float(c) for c in args.C.split(",")]
    print(f"{len(y)} cases; positives {int(y.sum())}; " +
          ", ".join(f"{l}: {int((lang == l).sum())}" for l in LANGS[1:]))

    def best(kind, emb=None, w=1.0):
        res = {C: metrics(oof_scores(kind, texts, y, lang, emb, C, w), y, lang) for C in Cs}
        C = max(res, key=lambda c: res[c]["all"][0])
        return C, res[C]

    rows = {}
    for L in [int(x) for x in args.layers.split(",") if x]:
        e = raw_layer_embeddings(texts, args.work, L, args.dims)
        C, r = best("emb", e)
        rows[f"(b) layer {L} d{args.dims} C={C:g}"] = r
        print(table({f"layer {L}": r}).splitlines()[-1], flush=True)

    from static_encoder import StaticEncoder
    enc = StaticEncoder.load(args.dir)
    for t in texts[:50]:
        enc.encode(t)
    lat = []
    embs = []
    for t in texts:
        t0 = time.perf_counter()
        embs.append(enc.encode(t))
        lat.append(time.perf_counter() - t0)
    emb = np.stack(embs)
    lat = np.array(lat) * 1e3
    print(f"encode latency over {len(lat)} messages: p50 {np.percentile(lat, 50):.3f} ms, "
          f"p99 {np.percentile(lat, 99):.3f} ms, max {lat.max():.3f} ms")
    ids_known = [np.mean(enc.token_rows[enc.tokenizer.encode(norm(t), add_special_tokens=False).ids] >= 0)
                 for t in texts]
    print(f"token coverage (shipped rows): mean {np.mean(ids_known):.4f}")

    C, r = best("tfidf"); rows[f"(a) char TF-IDF C={C:g}"] = r
    C, r = best("emb", emb); rows[f"(b) static emb C={C:g}"] = r
    for w in (0.5, 1.0, 2.0):
        C, r = best("both", emb, w); rows[f"(c) TF-IDF + {w:g}*emb C={C:g}"] = r
    print(table(rows))


if __name__ == "__main__":
    main()
