"""Shared fixtures. Every test runs against a fresh data directory and no OS keychain."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# keyring has no backend on CI machines: use the null one explicitly so nothing is ever stored.
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(autouse=True)
def data_home(tmp_path, monkeypatch):
    """Point the data directory at a temporary folder for every test."""
    from edge_counsel import paths

    home = tmp_path / "home"
    monkeypatch.setenv("EDGE_COUNSEL_HOME", str(home))
    paths.set_data_dir(None)
    yield home
    paths.set_data_dir(None)


@pytest.fixture
def home(data_home):
    """The data directory, created (``data_home`` only names it)."""
    from edge_counsel import paths

    return paths.data_dir()


@pytest.fixture
def fast_kdf(monkeypatch):
    """Argon2id at test cost (a module asks for it with ``pytestmark``)."""
    monkeypatch.setenv("EDGE_COUNSEL_KDF_FAST", "1")


@pytest.fixture
def interface_language(qapp):
    """English widgets, whatever this machine's locale; ``interface_language("zh")`` translates the
    widgets built after it. English again after the test."""
    from edge_counsel.ui.translation import install_translation

    install_translation(qapp, "en")
    yield lambda lang: install_translation(qapp, lang)
    install_translation(qapp, "en")


@pytest.fixture(scope="session")
def model_path(tmp_path_factory) -> Path:
    """The embedded default model, assembled from its PyPI chunks and sha256-verified once."""
    from edge_counsel.engine import manifest as mf

    manifest = mf.get_manifest(mf.DEFAULT_MODEL_ID)
    return mf.assemble(manifest, target_dir=tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="session")
def engine(model_path):
    """One loaded engine for the whole session (loading is the slow part)."""
    from edge_counsel.engine.llama import LlamaEngine

    eng = LlamaEngine(model_path, n_ctx=2048)
    eng.load()
    yield eng
    eng.close()


class ScriptedEngine:
    """A fake engine that streams fixed chunks: only for UI and service unit tests."""

    def __init__(self, chunks, n_ctx=4096):
        self.chunks = list(chunks)
        self.n_ctx = n_ctx
        self.calls = []

    def load(self, progress=None):
        pass

    def stream_chat(self, messages, params, cancel=None):
        self.calls.append(list(messages))
        for chunk in self.chunks:
            if cancel is not None and cancel.cancelled:
                return
            yield chunk

    def count_tokens(self, messages):
        return sum(len(m["content"]) for m in messages) // 3

    def close(self):
        pass


@pytest.fixture
def scripted_engine():
    return ScriptedEngine


@pytest.fixture
def store(tmp_path, fast_kdf):
    """A real, freshly created SQLCipher store (Argon2 at test cost)."""
    from edge_counsel.services.unlock import unlock

    opened = unlock(tmp_path / "store", "pass phrase", create=True)
    yield opened
    opened.close()


class MemoryKeyring(KeyringBackend):
    """A real keyring backend that keeps passwords in a dict: a keychain that works, for one test."""

    priority = 1

    def __init__(self):
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.items.get((service, username))

    def set_password(self, service, username, password):
        self.items[(service, username)] = password

    def delete_password(self, service, username):
        if self.items.pop((service, username), None) is None:
            raise PasswordDeleteError("not found")


@pytest.fixture
def memory_keyring():
    """Swap the null keyring for a working in-memory one during the test."""
    import keyring

    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


class SyncThreadPool:
    """Stands in for QThreadPool: ``start`` runs the task at once, so async code is deterministic.

    (picard's FakeThreadPool.) Results still travel through the same Qt signals. With ``hold``
    set, tasks wait until ``run_held()``, so a test can look at a dialog while its work "runs".
    """

    def __init__(self):
        self.started = 0
        self.hold = False
        self.held: list = []

    def start(self, runnable, priority: int = 0) -> None:
        self.started += 1
        if self.hold:
            self.held.append(runnable)
        else:
            runnable.run()

    def run_held(self) -> None:
        while self.held:
            self.held.pop(0).run()


@pytest.fixture
def sync_pool():
    return SyncThreadPool()


def assert_same_weights(built: dict, shipped: dict, cut: float = 0.1) -> None:
    """A trainer's output matches the shipped model's weights (name -> weight or list of weights):
    the same features and the same weights to 0.02, except a few (0.2%) whose weight sits at the export's
    cut-off. The solver's last digits differ between CPUs, so such a feature can be kept on one
    machine and dropped on another."""
    def largest(w) -> float:
        return max(map(abs, w)) if isinstance(w, list) else abs(w)

    one_side = [(built, set(built) - set(shipped)), (shipped, set(shipped) - set(built))]
    at_the_edge = {f: largest(model[f]) for model, features in one_side for f in features}
    assert len(at_the_edge) <= len(shipped) // 500 and all(w < cut + 0.005 for w in at_the_edge.values()), at_the_edge
    gaps = [abs(a - b) for f in set(built) & set(shipped)
            for a, b in zip(*(w if isinstance(w, list) else [w] for w in (built[f], shipped[f])))]
    assert max(gaps) < 0.02  # a change of the training data moves thousands of features, and weights by far more


def type_text(widget, text: str) -> None:
    """Commit text as an input method does: how Chinese arrives from a real keyboard.

    (qtbot.keyClicks with non-ASCII text aborts the interpreter.)
    """
    from PySide6.QtGui import QInputMethodEvent
    from PySide6.QtWidgets import QApplication

    widget.setFocus()
    event = QInputMethodEvent("", [])
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def _luminance(rgb: int) -> float:
    """WCAG relative luminance of a 0xRRGGBB colour."""
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    return (0.2126 * channel(rgb >> 16 & 255) + 0.7152 * channel(rgb >> 8 & 255)
            + 0.0722 * channel(rgb & 255))


def contrast_ratio(a: int, b: int) -> float:
    """The WCAG contrast ratio of two 0xRRGGBB colours (1 to 21)."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def drawn_contrast(widget) -> float:
    """The contrast of ``widget``'s text as the window draws it: its background is the commonest
    colour in its middle (borders and rounded corners left out), its text the colour there that
    differs most from that. The widget must be visible and hold some text."""
    from array import array
    from collections import Counter

    from PySide6.QtCore import QMargins, QPoint, QRect
    from PySide6.QtGui import QImage
    from PySide6.QtWidgets import QApplication

    QApplication.processEvents()
    window = widget.window()
    w, h = widget.width(), widget.height()
    inset = QMargins(w // 12, h // 5, w // 12, h // 5)
    middle = QRect(widget.mapTo(window, QPoint(inset.left(), inset.top())), widget.size().shrunkBy(inset))
    image = window.grab(middle).toImage().convertToFormat(QImage.Format_RGB32)
    pixels = array("I", image.constBits().tobytes())
    counts = Counter(p & 0xFFFFFF for p in pixels)
    background = counts.most_common(1)[0][0]
    return max(contrast_ratio(background, p) for p in counts)


@pytest.fixture(params=["light", "dark"])
def theme(request, qapp):
    """The app in the light palette, then in the dark one (the test runs once for each)."""
    from edge_counsel.ui.appearance import dark_palette

    previous = qapp.palette()
    qapp.setPalette(dark_palette() if request.param == "dark" else qapp.style().standardPalette())
    yield request.param
    qapp.setPalette(previous)
