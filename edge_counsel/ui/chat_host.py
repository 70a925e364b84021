"""The chat host: the inference worker and its thread, shared by the main window and the kiosk.

One host per window. It starts the worker, loads the model, asks for answers, runs model tasks,
routes the worker's output to the chat panel that asked, and tears down in the one safe order.

Invariants:
- Output reaches a panel only if it answers that panel's conversation as it is now: the host
  remembers, in request order, which conversation (and which of its epochs) each answer is for,
  so a reply that finishes after "New conversation" or after a kiosk visit ended is dropped.
- Teardown: cancel any reply, free llama.cpp on the worker's own thread, then stop the thread and
  wait for it. Never ``terminate()``: a thread killed inside llama.cpp crashes the process.
"""

from __future__ import annotations

from collections import deque

from PySide6.QtCore import QMetaObject, QObject, Qt, Signal

from ..services.conversation import Conversation
from .workers import InferenceWorker, WorkerThread

__all__ = ["ChatHost"]


class ChatHost(QObject):
    request_load = Signal(object, int, object)  # model ref, n_ctx, conversation to warm (or None)
    request_answer = Signal(object)  # conversation
    request_task = Signal(int, object)
    request_forget = Signal()
    progress = Signal(float)
    loaded = Signal(str)
    load_failed = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.worker = InferenceWorker()
        self.thread = WorkerThread(self.worker, parent)
        self.panel = None
        self.model_ready = False
        self.forgets = 0  # visits the engine has forgotten (the kiosk)
        self._pending: deque[tuple[Conversation, int]] = deque()
        self._tasks: dict[int, tuple] = {}
        self._next_task = 0
        self._wire()
        self.thread.start()

    def _wire(self) -> None:
        w = self.worker
        self.request_load.connect(w.load_model)
        self.request_answer.connect(w.answer)
        self.request_task.connect(w.run_task)
        self.request_forget.connect(w.forget)
        w.progress.connect(self.progress, Qt.QueuedConnection)
        w.loaded.connect(self._on_loaded)
        w.load_failed.connect(self._on_load_failed)
        # Bound methods of this UI-thread object, not lambdas: a lambda would run on the worker.
        w.delta.connect(self._on_delta)
        w.replaced.connect(self._on_replaced)
        w.done.connect(self._on_done)
        w.failed.connect(self._on_failed)
        w.task_done.connect(self._on_task_done)
        w.task_failed.connect(self._on_task_failed)
        w.forgotten.connect(self._on_forgotten)

    # -- the panel -----------------------------------------------------------------------------

    def attach(self, panel) -> None:
        """Serve ``panel`` (a ChatPanel) from now on; output for any earlier panel is dropped."""
        self.panel = panel
        panel.model_ready = self.model_ready
        panel.answer_requested.connect(self.answer)
        panel.stop_requested.connect(self.cancel)

    def answer(self, conversation: Conversation) -> None:
        self._pending.append((conversation, conversation.epoch))
        self.request_answer.emit(conversation)

    def cancel(self) -> None:
        self.worker.cancel.cancel()

    def forget(self) -> None:
        """Stop any reply and drop the engine's memory of the conversation (a kiosk visit ended)."""
        self.cancel()
        self.request_forget.emit()

    def _on_forgotten(self) -> None:
        self.forgets += 1

    def _current(self, pop: bool = False):
        """The panel to show the worker's output in, if that output is for its conversation now."""
        if not self._pending:
            return None
        conversation, epoch = self._pending.popleft() if pop else self._pending[0]
        panel = self.panel
        if panel is None or panel.conversation is not conversation or conversation.epoch != epoch:
            return None
        return panel

    def _on_delta(self, text: str) -> None:
        if panel := self._current():
            panel.on_delta(text)

    def _on_replaced(self, text: str) -> None:
        if panel := self._current():
            panel.on_replaced(text)

    def _on_done(self, reply) -> None:
        if panel := self._current(pop=True):
            panel.on_done(reply)

    def _on_failed(self, message: str) -> None:
        if panel := self._current(pop=True):
            panel.on_failed(message)

    # -- the model -----------------------------------------------------------------------------

    def load_model(self, ref, n_ctx: int, warm: Conversation | None = None) -> None:
        self._set_ready(False)
        self.request_load.emit(ref, n_ctx, warm)

    def _on_loaded(self, name: str) -> None:
        self._set_ready(True)
        self.loaded.emit(name)

    def _on_load_failed(self, message: str) -> None:
        self.load_failed.emit(message)

    def _set_ready(self, ready: bool) -> None:
        self.model_ready = ready
        if self.panel is not None:
            self.panel.model_ready = ready

    def model_task(self, fn, on_done, on_failed) -> None:
        """Run ``fn(engine)`` in the inference worker; the callbacks run on the UI thread."""
        self._next_task += 1
        self._tasks[self._next_task] = (on_done, on_failed)
        self.request_task.emit(self._next_task, fn)

    def _on_task_done(self, task_id: int, result) -> None:
        on_done, _ = self._tasks.pop(task_id, (None, None))
        if on_done:
            on_done(result)

    def _on_task_failed(self, task_id: int, message: str) -> None:
        _, on_failed = self._tasks.pop(task_id, (None, None))
        if on_failed:
            on_failed(message)

    # -- teardown ------------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Cancel, free llama.cpp on the worker's thread, stop the thread and wait for it."""
        if not self.thread.isRunning():
            return
        self.worker.stop()  # unlike cancel(), also stops a warm-up or reply that has not begun
        # Queued behind any reply or warm-up in flight; the cancel token ends those within a batch.
        QMetaObject.invokeMethod(self.worker, "shutdown", Qt.BlockingQueuedConnection)
        self.thread.quit()
        self.thread.wait()
