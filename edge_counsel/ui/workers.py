"""The inference worker: one thread owns the model; results come back by Qt signal only.

A llama.cpp context is not shareable, so a single ``InferenceWorker`` lives in its own QThread
and holds the engine and the chat session. The UI asks for work through queued signals and stops a
reply by setting the session's cancel token directly (the worker's event loop is busy while it
streams, so a queued "stop" would arrive too late).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QRunnable, Qt, QThread, QThreadPool, Signal, Slot

from ..engine.llama import CancelToken, GenerationParams
from ..errors import EdgeCounselError
from ..engine.loader import open_engine
from ..safety.risk import RiskAssessment
from ..services.conversation import ChatSession, Delta, Done, Replace

__all__ = ["InferenceWorker", "WorkerThread"]


class InferenceWorker(QObject):
    progress = Signal(float)
    loaded = Signal(str)  # model name
    load_failed = Signal(str)  # a message for the user
    delta = Signal(str)
    replaced = Signal(str)
    done = Signal(object)  # session.Reply
    failed = Signal(str)
    task_done = Signal(int, object)  # task id, result
    task_failed = Signal(int, str)  # task id, message for the user

    def __init__(self, session: ChatSession) -> None:
        super().__init__()
        self.session = session
        self.cancel = CancelToken()

    @Slot(object, int)
    def load_model(self, ref, n_ctx: int) -> None:
        try:
            old, self.session.engine = self.session.engine, None
            if old is not None:
                old.close()
            engine, manifest = open_engine(ref, n_ctx=n_ctx, progress=self.progress.emit)
        except EdgeCounselError as exc:
            self.load_failed.emit(str(exc))
            return
        self.session.engine = engine
        self.loaded.emit(manifest.name if manifest else engine.model_path.name)
        # While the user reads and types, take the persona prefix off the first reply's wait.
        self.cancel = CancelToken()
        self.session.warm(cancel=self.cancel)

    @Slot(str, object)
    def send(self, text: str, assessment: RiskAssessment) -> None:
        self._run(lambda cancel: self.session.send_assessed(text, assessment, cancel))

    @Slot()
    def regenerate(self) -> None:
        self._run(self.session.regenerate)

    @Slot(object)
    def set_params(self, params: GenerationParams) -> None:
        self.session.params = params

    def _run(self, start) -> None:
        self.cancel = CancelToken()
        try:
            for event in start(self.cancel):
                if isinstance(event, Delta):
                    self.delta.emit(event.text)
                elif isinstance(event, Replace):
                    self.replaced.emit(event.text)
                elif isinstance(event, Done):
                    self.done.emit(event.reply)
        except EdgeCounselError as exc:
            self.failed.emit(str(exc))
        except Exception as exc:  # noqa: BLE001 - the UI must hear about any failure, then go on
            self.failed.emit(f"The model stopped with an internal error ({type(exc).__name__}). "
                             "Try again, or start a new conversation.")

    @Slot(int, object)
    def run_task(self, task_id: int, fn) -> None:
        """Run ``fn(engine)`` on this thread (journal reflection and the like)."""
        if self.session.engine is None:
            self.task_failed.emit(task_id, "The model is not loaded, so this needs to wait. / 模型尚未加载。")
            return
        try:
            self.task_done.emit(task_id, fn(self.session.engine))
        except EdgeCounselError as exc:
            self.task_failed.emit(task_id, str(exc))
        except Exception as exc:  # noqa: BLE001 - report, never take the worker down
            self.task_failed.emit(task_id, f"The model task failed ({type(exc).__name__}). Try again.")

    @Slot()
    def shutdown(self) -> None:
        if self.session.engine is not None:
            self.session.engine.close()
            self.session.engine = None


class WorkerThread(QThread):
    """The thread an ``InferenceWorker`` lives in."""

    def __init__(self, worker: InferenceWorker, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("inference")
        worker.moveToThread(self)
        self.worker = worker

