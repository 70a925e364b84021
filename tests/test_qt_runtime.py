"""The Qt binding the app ships with must not corrupt the interpreter."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    value = Signal(float)


def test_signal_emit_keeps_bool_refcounts(qapp):
    # PySide6 6.12.0 returned True from emit() without a reference: every emit stole one, and
    # after a few thousand streamed tokens the interpreter aborted in bool_dealloc.
    emitter, seen = _Emitter(), []
    emitter.value.connect(seen.append)
    before = sys.getrefcount(True)
    for _ in range(5000):
        emitter.value.emit(0.5)
    assert len(seen) == 5000
    assert sys.getrefcount(True) >= before - 50
