"""Short blocking work (hashing or copying a file, deriving a key) on a pool thread.

Invariants:
- ``on_done`` and ``on_failed`` run on the UI thread, delivered by Qt signal; the work itself
  never touches a widget.
- Every failure reaches ``on_failed`` as a message for the user: nothing is lost in a pool thread.
- Not for the model: that belongs to the one inference worker (workers.py).

Tests pass a synchronous ``pool`` (conftest's SyncThreadPool): the task then runs at once and its
callback before ``run_in_background`` returns, so the outcome is deterministic.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from ..errors import EdgeCounselError

__all__ = ["run_in_background"]


class _Relay(QObject):
    """Lives on the UI thread: a signal from the pool thread reaches its slots there (queued)."""

    done = Signal(object)
    failed = Signal(str)

    def __init__(self, on_done: Callable[[Any], None], on_failed: Callable[[str], None]) -> None:
        super().__init__()
        self._on_done, self._on_failed = on_done, on_failed
        # Auto connection: queued from a pool thread, direct from a synchronous test pool.
        self.done.connect(self._deliver_done)
        self.failed.connect(self._deliver_failed)

    @Slot(object)
    def _deliver_done(self, value) -> None:
        _running.discard(self)
        self._on_done(value)

    @Slot(str)
    def _deliver_failed(self, message: str) -> None:
        _running.discard(self)
        self._on_failed(message)


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self.fn, self.relay = fn, relay

    def run(self) -> None:
        try:
            result = self.fn()
        except EdgeCounselError as exc:
            self.relay.failed.emit(str(exc))
        except Exception as exc:  # noqa: BLE001 - report, never lose the error in a pool thread
            self.relay.failed.emit(f"{type(exc).__name__}: {exc}")
        else:
            self.relay.done.emit(result)


_running: set[_Relay] = set()  # keeps each relay alive until its callback has run


def run_in_background(fn: Callable[[], Any], on_done: Callable[[Any], None],
                      on_failed: Callable[[str], None], *, pool=None) -> None:
    """Run ``fn()`` on ``pool`` (default: the global QThreadPool); then, on the UI thread,
    ``on_done(result)`` or ``on_failed(message)``.

    Call it from the UI thread: that is where the callbacks are delivered.
    """
    relay = _Relay(on_done, on_failed)
    _running.add(relay)
    (pool if pool is not None else QThreadPool.globalInstance()).start(_Task(fn, relay))
