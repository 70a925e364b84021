"""ui/background.run_in_background: work on a pool thread, results on the UI thread."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Signal

from edge_counsel.errors import WrongPassphraseError
from edge_counsel.ui.background import run_in_background


class _Probe(QObject):
    finished = Signal()

    def __init__(self):
        super().__init__()
        self.results, self.failures, self.threads = [], [], []

    def done(self, value):
        self.threads.append(threading.current_thread())
        self.results.append(value)
        self.finished.emit()

    def failed(self, message):
        self.threads.append(threading.current_thread())
        self.failures.append(message)
        self.finished.emit()


def test_work_runs_on_a_pool_thread_and_the_result_comes_back_on_the_ui_thread(qtbot):
    probe, worked_on = _Probe(), []

    def work():
        worked_on.append(threading.current_thread())
        return 42

    with qtbot.waitSignal(probe.finished, timeout=5_000):
        run_in_background(work, probe.done, probe.failed)
    assert probe.results == [42] and probe.failures == []
    assert worked_on[0] is not threading.main_thread()
    assert probe.threads == [threading.main_thread()]


def test_errors_reach_on_failed_as_messages(qtbot):
    probe = _Probe()

    def wrong():
        raise WrongPassphraseError("That passphrase does not unlock your store.")

    with qtbot.waitSignal(probe.finished, timeout=5_000):
        run_in_background(wrong, probe.done, probe.failed)
    with qtbot.waitSignal(probe.finished, timeout=5_000):
        run_in_background(lambda: 1 / 0, probe.done, probe.failed)
    assert probe.failures == ["That passphrase does not unlock your store.",
                              "ZeroDivisionError: division by zero"]


def test_a_synchronous_pool_delivers_before_returning(sync_pool):
    probe = _Probe()
    run_in_background(lambda: "now", probe.done, probe.failed, pool=sync_pool)
    assert probe.results == ["now"] and sync_pool.started == 1
    run_in_background(lambda: {}["missing"], probe.done, probe.failed, pool=sync_pool)
    assert probe.failures == ["KeyError: 'missing'"]
