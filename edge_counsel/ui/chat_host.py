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
    request_load = Signal(object, int)  # model ref, n_ctx
    request_warm = Signal(object, int)  # conversation, warm-up id
    request_answer = Signal(object)  # conversation
    request_task = Signal(int, object)
    request_forget = Signal()
    progress = Signal(float)
    loaded = Signal(str)
    load_failed = Signal(str)
    warming = Signal(bool)  # the model is evaluating a conversation's start ahead of time

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
        self._next_warm = 0
        self._warm_after_load: Conversation | None = None
        self._wire()
        self.thread.start()

    def _wire(self) -> None:
        w = self.worker
        self.request_load.connect(w.load_model)
        self.request_warm.connect(w.warm)
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
        w.warming.connect(self._on_warming)

    # -- the panel -----------------------------------------------------------------------------

    def attach(self, panel) -> None:
        """Serve ``panel`` (a ChatPanel) from now on; output for any earlier panel is dropped."""
        self.panel = panel
        panel.model_ready = self.model_ready
        panel.answer_requested.connect(self.answer)
        panel.stop_requested.connect(self.cancel)

    def answer(self, conversation: Conversation) -> None:
        # A warm-up still running would only delay the reply: the reply reuses what it evaluated.
        self._cancel_warm()
        self._pending.append((conversation, conversation.epoch))
        self.request_answer.emit(conversation)

    def cancel(self) -> None:
        """Stop the reply being written, and any warm-up."""
        self.worker.cancel.cancel()
        self._cancel_warm()

    # -- warming up ----------------------------------------------------------------------------

    def warm(self, conversation: Conversation) -> None:
        """Evaluate ``conversation``'s prompt so far in the background (after a new conversation,
        a resumed one, an unlock), so its next reply starts at once. Without blocking anything:
        an answer, a later warm-up, Stop, a lock or the teardown cancel it within a batch."""
        if not self.model_ready:
            self._warm_after_load = conversation  # the latest asked for, once a model is there
            return
        self._next_warm += 1
        # Wanted first, then the running warm-up cancelled: the worker makes a warm-up's token
        # before it checks that it is still wanted, so no obsolete warm-up runs uncancelled.
        self.worker.wanted_warm = self._next_warm
        self.worker.warm_cancel.cancel()
        self.request_warm.emit(conversation, self._next_warm)

    def _cancel_warm(self) -> None:
        self.worker.wanted_warm = 0
        self.worker.warm_cancel.cancel()

    def _on_warming(self, busy: bool) -> None:
        if self.panel is not None:
            self.panel.set_warming(busy)
        self.warming.emit(busy)

    def forget(self) -> None:
        """Stop any reply and drop the engine's memory of the conversation (a kiosk visit ended)."""
        self.cancel()
        self._warm_after_load = None  # never the forgotten conversation
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
        """Load the model; then warm ``warm`` up (the persona, while the person reads and types)."""
        self._set_ready(False)
        self._warm_after_load = warm or self._warm_after_load
        self.request_load.emit(ref, n_ctx)

    def _on_loaded(self, name: str) -> None:
        self._set_ready(True)
        self.loaded.emit(name)
        warm, self._warm_after_load = self._warm_after_load, None
        if warm is not None:
            self.warm(warm)

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
