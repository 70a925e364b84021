"""The desktop packaging: cheap checks always; the real PyInstaller build only on request.

Set EDGE_COUNSEL_TEST_PACKAGING=1 to run packaging/build.sh (several minutes, ~1 GB of disk).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from conftest import REPO

PACKAGING = REPO / "packaging"
DESKTOP = REPO / "edge_counsel" / "data" / "desktop"


def test_packaging_files_exist():
    for name in ("edge-counsel.spec", "build.sh", "entry.py", "stage.py", "kiosk/README.md",
                 "kiosk/kiosk-session", "kiosk/edge-counsel-kiosk.service", "kiosk/kiosk.example.json"):
        assert (PACKAGING / name).is_file(), name
    assert os.access(PACKAGING / "build.sh", os.X_OK)
    assert os.access(PACKAGING / "kiosk" / "kiosk-session", os.X_OK)


def test_build_script_is_valid_bash_and_smoke_tests():
    subprocess.run(["bash", "-n", str(PACKAGING / "build.sh")], check=True)
    script = (PACKAGING / "build.sh").read_text(encoding="utf-8")
    for step in ("--version", "EDGE_COUNSEL_QUIT_WHEN_READY=1", "--passphrase-file", "chat --max-tokens 16"):
        assert step in script


def test_spec_is_python_and_bundles_model_fonts_and_llama_libs():
    spec = (PACKAGING / "edge-counsel.spec").read_text(encoding="utf-8")
    compile(spec, "edge-counsel.spec", "exec")
    for piece in ('"models"', '"fonts"', 'collect_dynamic_libs("llama_cpp")', 'collect_data_files("edge_counsel"'):
        assert piece in spec


def test_example_kiosk_config_loads(tmp_path):
    from edge_counsel.services import kiosk

    config = kiosk.load_config(PACKAGING / "kiosk" / "kiosk.example.json")
    assert config.pin_hash is None and config.counselor["name"] and config.alerts_enabled


def test_desktop_entry_validates():
    tool = shutil.which("desktop-file-validate")
    if tool is None:
        pytest.skip("desktop-file-validate is not installed (apt-get install desktop-file-utils)")
    for entry in (DESKTOP / "edge-counsel.desktop", PACKAGING / "kiosk" / "edge-counsel-kiosk.desktop"):
        done = subprocess.run([tool, str(entry)], capture_output=True, text=True)
        assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


def test_staged_manifest_names_the_file_beside_it(tmp_path, monkeypatch, model_path):
    """stage.py writes a chunk-less manifest that resolve_model finds in a bundle's models/."""
    monkeypatch.syspath_prepend(str(PACKAGING))
    import stage

    from edge_counsel.engine import manifest as mf

    monkeypatch.setattr(mf, "resolve_model", lambda ref: (model_path, mf.get_manifest(mf.DEFAULT_MODEL_ID)))
    target = stage.stage_model(tmp_path)
    data = json.loads((tmp_path / "models" / f"{mf.DEFAULT_MODEL_ID}.json").read_text(encoding="utf-8"))
    assert "chunks" not in data and data["file"] == target.name and target.stat().st_size == model_path.stat().st_size
    manifest = mf.Manifest.from_file(tmp_path / "models" / f"{mf.DEFAULT_MODEL_ID}.json")
    assert mf.model_path(manifest) == target


def test_bundled_fonts_register(qapp, tmp_path):
    from edge_counsel.ui.fonts import register_bundled_fonts

    assert register_bundled_fonts(tmp_path / "nothing-here") == []
    wqy = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
    if not os.path.exists(wqy):
        pytest.skip("WenQuanYi Micro Hei is not installed")
    shutil.copy(wqy, tmp_path)
    assert "WenQuanYi Micro Hei" in register_bundled_fonts(tmp_path)


@pytest.mark.skipif(os.environ.get("EDGE_COUNSEL_TEST_PACKAGING") != "1",
                    reason="the real build takes minutes: set EDGE_COUNSEL_TEST_PACKAGING=1")
def test_real_build_and_smoke_tests():
    done = subprocess.run(["bash", str(PACKAGING / "build.sh")], capture_output=True, text=True, timeout=3600)
    sys.stderr.write(done.stderr[-4000:])
    assert done.returncode == 0
    assert "smoke tests passed" in done.stderr
