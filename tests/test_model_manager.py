"""Importing, verifying, choosing and deleting models (real GGUF files)."""

from __future__ import annotations


import pytest

from edge_counsel.engine import manifest as mf
from edge_counsel.errors import ModelChecksumError, ModelCorruptError
from edge_counsel.engine.model_files import delete_model, import_gguf, verify_model
from edge_counsel.settings import Settings, load_settings


@pytest.fixture(scope="module")
def small_gguf(tmp_path_factory):
    """SmolLM2 135M from its PyPI package: a real, small chat GGUF."""
    return mf.assemble(mf.get_manifest("smollm2-135m-instruct-q4_1"), target_dir=tmp_path_factory.mktemp("small"))


def test_import_verifies_and_registers(small_gguf, data_home):
    manifest = import_gguf(small_gguf, expected_sha256=mf.sha256_file(small_gguf))
    assert manifest.sha256 == mf.get_manifest("smollm2-135m-instruct-q4_1").sha256
    assert mf.is_present(manifest) and verify_model(manifest)
    assert manifest.id in mf.load_manifests()
    path, found = mf.resolve_model(manifest.id)
    assert found.id == manifest.id and path.parent == data_home / "models"


def test_checksum_mismatch_changes_nothing(small_gguf, data_home):
    with pytest.raises(ModelChecksumError, match="nothing was imported"):
        import_gguf(small_gguf, expected_sha256="0" * 64)
    assert not list((data_home / "models").glob("*.gguf")) and not list((data_home / "models").glob("*.json"))


def test_damaged_file_is_refused(small_gguf, tmp_path, data_home):
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(small_gguf.read_bytes()[: 20_000_000])
    with pytest.raises(ModelCorruptError):
        import_gguf(cut)
    assert not list((data_home / "models").glob("*"))


def test_verify_notices_damage_and_delete_removes(small_gguf, data_home):
    manifest = import_gguf(small_gguf)
    path = mf.model_path(manifest)
    with open(path, "r+b") as fh:
        fh.seek(5_000_000)
        fh.write(b"\xff" * 64)
    assert not verify_model(manifest)
    delete_model(manifest.id)
    assert not path.exists() and manifest.id not in mf.load_manifests()


def test_models_page_imports_and_activates(qtbot, small_gguf, data_home):
    from edge_counsel.ui.settings_dialog import ModelsPage

    page = ModelsPage(Settings())
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.status, timeout=60_000) as done:
        page.import_file(small_gguf)
    assert done.args == ["imported"]
    ids = [page.list.item(i).data(0x0100) for i in range(page.list.count())]
    page.list.setCurrentRow(ids.index("smollm2-135m-instruct-q4_1"))
    with qtbot.waitSignal(page.activate_requested) as chosen:
        page.use_selected()
    assert chosen.args == ["smollm2-135m-instruct-q4_1"]
    assert load_settings().model == "smollm2-135m-instruct-q4_1"


def test_models_page_reports_a_bad_file(qtbot, tmp_path, data_home):
    from edge_counsel.ui.settings_dialog import ModelsPage

    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF" + b"\x01" * 4096)
    page = ModelsPage(Settings())
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.status, timeout=30_000) as done:
        page.import_file(bad)
    assert done.args == ["failed"] and "damaged" in page.message.text()
