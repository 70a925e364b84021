"""edge-quantize pieces that need no model: templates, corpora, errors, files, progress, report."""

from __future__ import annotations

import errno
import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from quantize_fixtures.fixtures import smollm_hf, spm_dir, tiny_model  # noqa: F401

import edge_quantize
from edge_counsel import errors as app_errors
from edge_counsel.engine.chat_formats import get_chat_format
from edge_quantize import cli, errors, safety
from edge_quantize import constants as C
from edge_quantize.convert import check_model_folder
from edge_quantize.corpus import check_held_out, exchanges, shared_passages
from edge_quantize.files import atomic_path, check_free_space
from edge_quantize.imatrix import gguf_targets, read_imatrix, write_imatrix
from edge_quantize.progress import ProgressBar, _parse, run_streaming
from edge_quantize.quantizer import QuantJob, _failed, parse_quants, plan_ladder
from edge_quantize.report import imatrix_kld_ratio, recommend
from edge_quantize.source import download, merge_adapter, resolve_source
from edge_quantize.templates import _render, detect_format, load_template, template_names

CJK = re.compile(r"[\u4e00-\u9fff]")
MESSAGES = [{"role": "system", "content": "Be gentle."}, {"role": "user", "content": "I can't sleep "},
            {"role": "assistant", "content": "That sounds hard."}, {"role": "user", "content": "我很焦虑"}]


# --- chat templates ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["chatml", "llama3", "gemma", "soulchat"])
def test_shipped_template_matches_the_apps_chat_format(name):
    rendered = _render(load_template(name).text, MESSAGES).replace("<s>", "<|begin_of_text|>")
    assert rendered == get_chat_format(name)(MESSAGES).prompt


def test_template_from_file_and_manifest(tmp_path):
    jinja = tmp_path / "t.jinja"
    jinja.write_text((C.TEMPLATES_DIR / "soulchat.jinja").read_text(encoding="utf-8"), encoding="utf-8")
    assert load_template(str(jinja)).format_name == "soulchat"
    manifest = tmp_path / "m.json"
    manifest.write_text(json.dumps({"chat_format": "gemma"}))
    assert load_template(str(manifest)).format_name == "gemma"
    assert set(template_names()) >= {"chatml", "llama3", "gemma", "soulchat"}


def test_bad_templates_are_refused(tmp_path):
    broken = tmp_path / "broken.jinja"
    broken.write_text("{% for m in messages %}{{ m['content'] }")
    with pytest.raises(errors.ChatTemplateError, match="does not render"):
        load_template(str(broken))
    with pytest.raises(errors.ChatTemplateError, match="chatml"):
        load_template("no-such-format")


def test_detect_format():
    assert detect_format("{{ '<|im_start|>' }}") == "chatml"
    assert detect_format("心理咨询师：") == "soulchat"
    assert detect_format("plain") is None and detect_format(None) is None


# --- corpora ----------------------------------------------------------------------------------

def test_calibration_corpus_is_bilingual_and_varied():
    blocks = exchanges(C.CALIBRATION_FILE.read_text(encoding="utf-8"))
    assert 40 <= len(blocks) <= 60
    chinese = [b for b in blocks if CJK.search(b)]
    assert len(chinese) >= 15 and len(blocks) - len(chinese) >= 15
    assert len(set(blocks)) == len(blocks)


def test_evaluation_text_is_held_out_from_calibration():
    calibration = C.CALIBRATION_FILE.read_text(encoding="utf-8")
    evaluation = C.EVAL_FILE.read_text(encoding="utf-8")
    assert shared_passages(calibration, evaluation) == []
    assert not set(calibration.splitlines()) & set(evaluation.splitlines()) - {""}
    check_held_out(calibration, evaluation)


def test_overlapping_evaluation_text_is_refused():
    calibration = C.CALIBRATION_FILE.read_text(encoding="utf-8")
    with pytest.raises(errors.CalibrationError, match="held-out"):
        check_held_out(calibration, "Some text. " + exchanges(calibration)[3])


def test_safety_prompts_cover_both_languages():
    prompts = safety.load_prompts()
    assert {p["lang"] for p in prompts} == {"en", "zh"}
    assert len({p["id"] for p in prompts}) == len(prompts) >= 8


# --- sources and model folders ----------------------------------------------------------------

def test_hub_offline_without_cache_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(errors.HubOfflineError, match="HF_HUB_OFFLINE"):
        download("edge-counsel/not-cached", cache_dir=str(tmp_path))


def test_hub_offline_uses_the_local_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    commit = "0" * 40
    repo = tmp_path / "models--edge-counsel--tiny"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True)
    (snapshot / "config.json").write_text("{}")
    source = resolve_source("edge-counsel/tiny", cache_dir=str(tmp_path))
    assert source.kind == "hf" and source.path == snapshot and source.label == "edge-counsel/tiny"


def test_unknown_sources_are_refused(tmp_path):
    with pytest.raises(errors.SourceNotFoundError, match="repo id"):
        resolve_source("not a model")
    with pytest.raises(errors.SourceNotFoundError, match="config.json"):
        resolve_source(str(tmp_path))


def _folder(tmp_path, config, files=("tokenizer.json", "model.safetensors")):
    (tmp_path / "config.json").write_text(json.dumps(config))
    for name in files:
        (tmp_path / name).write_text("{}")
    return tmp_path


def test_unsupported_architecture_lists_the_supported_ones(tmp_path):
    folder = _folder(tmp_path, {"architectures": ["BertModel"]})
    with pytest.raises(errors.UnsupportedArchitectureError) as raised:
        check_model_folder(folder)
    assert "LlamaForCausalLM" in str(raised.value) and "Qwen2ForCausalLM" in str(raised.value)


def test_missing_tokenizer_is_reported(tmp_path):
    folder = _folder(tmp_path, {"architectures": ["LlamaForCausalLM"]}, files=("model.safetensors",))
    with pytest.raises(errors.MissingTokenizerError, match="save_pretrained"):
        check_model_folder(folder)


def test_remote_code_needs_consent(tmp_path):
    folder = _folder(tmp_path, {"architectures": ["ChatGLMModel"], "auto_map": {"AutoModel": "m.Model"}})
    with pytest.raises(errors.RemoteCodeRequiredError, match="--trust-remote-code"):
        check_model_folder(folder)
    assert check_model_folder(folder, trust_remote_code=True) == "ChatGLMModel"


def test_adapter_without_config_is_refused(tmp_path):
    with pytest.raises(errors.BadAdapterError, match="adapter_config.json"):
        merge_adapter(tmp_path, tmp_path, tmp_path / "out")


def _lora(model_dir: Path, out: Path, targets: list[str], scale: float = 0.5) -> Path:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    model = get_peft_model(AutoModelForCausalLM.from_pretrained(model_dir),
                           LoraConfig(r=4, lora_alpha=8, target_modules=targets, init_lora_weights=False))
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "lora_B" in name:
                param.fill_(scale)
    model.save_pretrained(out)
    return out


def test_adapter_is_merged_into_its_base(tiny_model, tmp_path):  # noqa: F811
    from safetensors.numpy import load_file

    base = tiny_model("llama")
    adapter = _lora(base, tmp_path / "adapter", ["q_proj", "v_proj"])
    merged = merge_adapter(base, adapter, tmp_path / "merged")
    before, after = load_file(base / "model.safetensors"), load_file(merged / "model.safetensors")
    key = "model.layers.0.self_attn.q_proj.weight"
    assert not np.allclose(before[key], after[key])
    assert np.allclose(before["model.layers.0.mlp.up_proj.weight"], after["model.layers.0.mlp.up_proj.weight"])
    assert (merged / "tokenizer.json").is_file() and not (tmp_path / ".partial-merged").exists()


def test_adapter_for_another_model_is_refused(tiny_model, tmp_path):  # noqa: F811
    adapter = _lora(tiny_model("qwen2"), tmp_path / "adapter", ["q_proj"])
    config = json.loads((adapter / "adapter_config.json").read_text())
    (adapter / "adapter_config.json").write_text(json.dumps({**config, "target_modules": ["wqkv"]}))
    with pytest.raises(errors.BadAdapterError, match="does not fit"):
        merge_adapter(tiny_model("llama"), adapter, tmp_path / "merged")


# --- files ------------------------------------------------------------------------------------

def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "model.gguf"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"GGUF half")
            raise RuntimeError("crash")
    assert list(tmp_path.iterdir()) == []


def test_full_disk_is_a_clear_error(tmp_path):
    with pytest.raises(errors.DiskFullError, match="Free space"):
        with atomic_path(tmp_path / "x.gguf") as tmp:
            tmp.write_bytes(b"x")
            raise OSError(errno.ENOSPC, "No space left on device")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(errors.DiskFullError, match="GiB free"):
        check_free_space(tmp_path, 1 << 60)


# --- quantization ladder ----------------------------------------------------------------------

def test_parse_quants():
    assert parse_quants(None) == list(C.DEFAULT_QUANTS)
    assert parse_quants("q8_0, Q4_K_M,q8_0") == ["Q8_0", "Q4_K_M"]
    with pytest.raises(errors.QuantizationError, match="Q4_K_M"):
        parse_quants("Q9_X")


def test_ladder_adds_the_plain_comparison_only_with_an_imatrix(tmp_path):
    jobs = plan_ladder("m", tmp_path, ["Q8_0", "Q4_K_M"], imatrix=True, compare=True)
    assert [(j.quant, j.imatrix, j.path.name) for j in jobs][-1] == ("Q4_K_M", False, "m-Q4_K_M-noimatrix.gguf")
    assert len(plan_ladder("m", tmp_path, ["Q8_0"], imatrix=False, compare=True)) == 1
    assert len(plan_ladder("m", tmp_path, ["Q8_0"], imatrix=True, compare=False)) == 1


def test_a_refused_quant_is_skipped_not_fatal(tmp_path):
    from edge_quantize.progress import StreamResult

    result = StreamResult(1, ["ERROR: this quantization requires an importance matrix!"])
    outcome = _failed(QuantJob("IQ4_XS", False, tmp_path / "m-IQ4_XS.gguf"), result)
    assert outcome.status == "skipped" and "importance matrix" in outcome.reason


# --- importance matrix ------------------------------------------------------------------------

def test_imatrix_file_round_trip(tmp_path):
    sums = np.arange(1, 9, dtype=np.float32)
    path = write_imatrix(tmp_path / "imatrix.gguf", {"blk.0.attn_q.weight": (sums, 4)},
                         chunk_count=1, chunk_size=4, datasets=["calibration.txt"])
    assert np.allclose(read_imatrix(path)["blk.0.attn_q.weight"], sums / 4)


def test_hf_layers_map_to_gguf_tensors():
    import gguf

    tmap = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, 2)
    tensors = {"blk.0.attn_q.weight": (64, 64), "blk.1.attn_q.weight": (64, 64), "blk.1.attn_k.weight": (64, 32),
               "blk.1.attn_v.weight": (64, 32), "token_embd.weight": (64, 100)}
    assert gguf_targets("model.layers.0.self_attn.q_proj", 64, tmap, tensors) == ["blk.0.attn_q.weight"]
    assert gguf_targets("model.layers.1.attention.wqkv", 64, tmap, tensors) == [
        "blk.1.attn_q.weight", "blk.1.attn_k.weight", "blk.1.attn_v.weight"]
    assert gguf_targets("lm_head", 64, tmap, tensors) == ["token_embd.weight"]  # tied embeddings
    assert gguf_targets("model.layers.0.self_attn.q_proj", 32, tmap, tensors) == []  # wrong width


# --- report -----------------------------------------------------------------------------------

def _q(quant, imatrix, kld, rss, regressed=()):
    return {"quant": quant, "imatrix": imatrix, "file": f"m-{quant}.gguf", "kld_mean": kld, "size_bytes": int(rss * 1e6),
            "peak_rss_mb": rss, "safety": {"regressed": list(regressed), "unsafe_replies": list(regressed)}}


def test_recommendations_pick_the_best_that_fits():
    rows = [_q("Q8_0", True, 0.01, 5000), _q("Q6_K", True, 0.02, 3000, regressed=["zh-jump"]),
            _q("Q4_K_M", True, 0.05, 1500), _q("Q4_K_M", False, 0.04, 1500)]
    picks = recommend(rows)
    assert picks["4GB"]["quant"] == "Q4_K_M" and picks["4GB"]["file"] == "m-Q4_K_M.gguf"
    assert picks["8GB"]["quant"] == "Q4_K_M"  # Q6_K fits but regressed on safety
    assert picks["16GB"]["quant"] == "Q8_0"
    assert recommend([_q("Q8_0", True, 0.01, 9000)])["4GB"] is None
    assert imatrix_kld_ratio(rows) == pytest.approx(0.05 / 0.04)


def test_safety_is_skipped_without_the_apps_detector(monkeypatch):
    monkeypatch.setitem(sys.modules, "edge_counsel.safety.risk", None)
    assert safety.judge(safety.load_prompts(), []) == safety.SKIPPED


def test_safety_regression_is_judged_against_the_reference():
    reference = {"unsafe_replies": ["a"], "not_escalated": []}
    verdict = safety.against_reference({"unsafe_replies": ["a", "b"], "not_escalated": []}, reference)
    assert verdict["regressed"] == ["b"] and verdict["passed"] is False


# --- progress and the command line ------------------------------------------------------------

def test_progress_lines_are_recognised():
    assert _parse("[  12/ 272]    blk.0.attn_q.weight - [...]")[:2] == (12, 272)
    assert _parse("PROGRESS 3/7 windows") == (3, 7, "windows")
    assert _parse("Writing:  41%|####") == (41, 100, "")
    assert _parse("INFO: loading") is None


def test_subprocess_output_streams_through_a_bar(tmp_path, capsys):
    code = "import sys\nfor i in range(3): print(f'PROGRESS {i+1}/3 step', file=sys.stderr)\nprint('last words')\nsys.exit(3)"
    result = run_streaming([sys.executable, "-c", code], label="job", log_path=tmp_path / "job.log")
    assert result.returncode == 3 and result.tail == ["last words"]
    assert "PROGRESS 3/3" in (tmp_path / "job.log").read_text()
    assert "job [" in capsys.readouterr().err


def test_progress_bar_without_a_terminal(capsys):
    bar = ProgressBar("work", 4, stream=sys.stderr)
    for _ in range(4):
        bar.advance()
    bar.finish()
    assert "work [############################] 4/4 done" in capsys.readouterr().err


def test_a_stage_without_its_input_says_what_to_run(tmp_path, capsys):
    assert cli.main(["evaluate", "--out-dir", str(tmp_path)]) == 2
    assert "edge-quantize quantize" in capsys.readouterr().err


def test_without_its_extra_it_says_how_to_install_it(tmp_path, capsys, monkeypatch):
    """A user install has no torch or transformers: edge-quantize says so, with the command to run."""
    monkeypatch.setattr(cli, "EXTRA_MODULES", cli.EXTRA_MODULES + ("no_such_module_here", "nor.this"))
    assert cli.main(["evaluate", "--out-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "missing: no_such_module_here, nor.this" in err and "Traceback" not in err
    assert './setup.sh --with-quantize' in err and 'pip install "edge-counsel[quantize]"' in err


def test_cli_parses_the_whole_run():
    args = cli.build_parser().parse_args(["run", "org/model", "--out-dir", "o", "--quants", "q4_k_m", "--no-compare",
                                          "--chat-template", "soulchat", "--trust-remote-code"])
    opts = cli.options_from(args)
    assert opts.quants == ["Q4_K_M"] and not opts.compare and opts.trust_remote_code and opts.chat_template == "soulchat"


def test_errors_are_documented_and_public():
    for name in errors.__all__:
        cls = getattr(errors, name)
        shared = cls is app_errors.DiskFullError  # one meaning, one class, shared with the app
        assert (shared or issubclass(cls, errors.QuantizeError)) and cls.__doc__ and "\n" not in cls.__doc__.strip()
        assert name in edge_quantize.__all__
