"""The inference worker: one thread owns the model; results come back by Qt signal only.

A llama.cpp context is not shareable, so a single ``InferenceWorker`` lives in its own QThread
and holds the engine. The UI asks for work through queued signals (answer this conversation's
latest turn, run a model task, forget the visit) and stops a reply by setting the worker's cancel
token directly (the worker's event loop is busy while it streams, so a queued "stop" would arrive
too late). The conversation itself belongs to the UI thread: the worker only reads it, and the
finished reply goes back to the UI thread to be committed.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, QThread, Signal, Slot

from ..engine.llama import CancelToken
from ..engine.loader import open_engine
from ..errors import EdgeCounselError
from ..services.conversation import Conversation, Delta, Done, Replace

__all__ = ["InferenceWorker", "WorkerThread"]


class InferenceWorker(QObject):
    progress = Signal(float)
    loaded = Signal(str)  # model name
    load_failed = Signal(str)  # a message for the user
    delta = Signal(str)
    replaced = Signal(str)
    done = Signal(object)  # conversation.Reply
    failed = Signal(str)
    forgotten = Signal()  # the engine's memory of the last visit is gone
    warming = Signal(bool)  # True while a conversation's prompt is being evaluated ahead of time
    task_done = Signal(int, object)  # task id, result
    task_failed = Signal(int, str)  # task id, message for the user

    def __init__(self) -> None:
        super().__init__()
        self.engine = None
        self.cancel = CancelToken()
        # Set from the UI thread, like ``cancel``: the one warm-up still wanted (0: none), and the
        # token of the warm-up running, so an answer or a newer warm-up can stop it.
        self.wanted_warm = 0
        self.warm_cancel = CancelToken()
        self._stopping = False

    def stop(self) -> None:
        """From any thread: cancel the work in hand and every job after it (the window closes).

        A cancel alone can be lost: each job takes a fresh token when it starts, so one that lands
        between two jobs (the model has loaded, the warm-up is about to start) cancels nothing, and
        closing the window then waits for the whole warm-up inside llama.cpp.
        """
        self._stopping = True
        self.cancel.cancel()
        self.warm_cancel.cancel()

    def _fresh_token(self) -> CancelToken:
        token = CancelToken()
        if self._stopping:  # read after the new token is made: stop() cancels one or the other
            token.cancel()
        return token

    @Slot(object, int)
    def load_model(self, ref, n_ctx: int) -> None:
        try:
            old, self.engine = self.engine, None
            if old is not None:
                old.close()
            engine, manifest = open_engine(ref, n_ctx=n_ctx, progress=self.progress.emit)
        except EdgeCounselError as exc:
            self.load_failed.emit(str(exc))
            return
        self.engine = engine
        name = manifest.name if manifest else engine.model_path.name
        note = getattr(engine, "offload_note", None)  # asked for a GPU this build does not have
        self.loaded.emit(f"{name}; {note}" if note else name)

    @Slot(object, int)
    def warm(self, conversation: Conversation, warm_id: int) -> None:
        """Evaluate the start of ``conversation``'s next prompt while the person reads and types,
        unless a newer warm-up or an answer was asked for since (then this one is skipped)."""
        token = self.warm_cancel = self._fresh_token()  # first the token, then the check: see ChatHost.warm
        if warm_id != self.wanted_warm or self.engine is None or self._stopping:
            return
        self.warming.emit(True)
        try:
            conversation.warm(cancel=token, engine=self.engine)
        except Exception as exc:  # noqa: BLE001 - a warm-up only saves time; the reply will say what failed
            print(f"edge-counsel: warming the model failed ({type(exc).__name__})", file=sys.stderr, flush=True)
        finally:
            self.warming.emit(False)

    @Slot(object)
    def answer(self, conversation: Conversation) -> None:
        cancel = self.cancel = self._fresh_token()
        try:
            for event in conversation.answer(cancel, engine=self.engine):
                if isinstance(event, Delta):
                    self.delta.emit(event.text)
                elif isinstance(event, Replace):
                    self.replaced.emit(event.text)
                elif isinstance(event, Done):
                    self.done.emit(event.reply)
        except EdgeCounselError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # noqa: BLE001 - the UI must hear about any failure, then go on
            self.failed.emit(self.tr("The model stopped with an internal error ({name}). Try again, or "
                                     "start a new conversation.").format(name=type(exc).__name__))

    @Slot(int, object)
    def run_task(self, task_id: int, fn) -> None:
        """Run ``fn(engine)`` on this thread (journal reflection and the like)."""
        if self.engine is None:
            self.task_failed.emit(task_id, self.tr("The model is not loaded, so this needs to wait."))
            return
        try:
            self.task_done.emit(task_id, fn(self.engine))
        except EdgeCounselError as exc:
            self.task_failed.emit(task_id, str(exc))
        except Exception as exc:  # noqa: BLE001 - report, never take the worker down
            self.task_failed.emit(task_id, self.tr("The model task failed ({name}). Try again.")
                                  .format(name=type(exc).__name__))

    @Slot()
    def forget(self) -> None:
        """Drop the engine's KV cache (the kiosk between visitors), after any reply in flight."""
        reset = getattr(self.engine, "reset", None)
        if reset is not None:
            reset()
        self.forgotten.emit()

    @Slot()
    def shutdown(self) -> None:
        """Free llama.cpp on this thread, the one that used it, once."""
        engine, self.engine = self.engine, None
        if engine is not None:
            engine.close()


class WorkerThread(QThread):
    """The thread an ``InferenceWorker`` lives in."""

    def __init__(self, worker: InferenceWorker, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("inference")
        worker.moveToThread(self)
        self.worker = worker

