"""The Settings dialog: the GPU control (saved in settings, honest about a CPU-only build) and
the model list."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication, QTabWidget

from edge_counsel.engine.llama import gpu_offload_supported
from edge_counsel.safety.hotlines import HotlineDirectory
from edge_counsel.settings import Settings, load_settings
from edge_counsel.ui.settings_dialog import SettingsDialog


def _dialog(qtbot, settings):
    dialog = SettingsDialog(settings, HotlineDirectory.load())
    qtbot.addWidget(dialog)
    return dialog


def test_gpu_layers_are_saved_as_a_count_or_auto(qtbot, data_home):
    settings = Settings()
    dialog = _dialog(qtbot, settings)
    assert dialog.gpu_layers.value() == 0
    dialog.gpu_layers.setValue(20)
    dialog.save()
    assert load_settings().gpu_layers == 20
    dialog = _dialog(qtbot, load_settings())
    assert dialog.gpu_layers.value() == 20
    dialog.gpu_layers.setValue(-1)
    assert dialog.gpu_layers.text().startswith("auto")
    dialog.save()
    assert load_settings().gpu_layers == "auto"
    dialog = _dialog(qtbot, load_settings())
    assert dialog.gpu_layers.value() == -1


def test_a_cpu_build_says_plainly_that_it_runs_on_the_cpu(qtbot, data_home):
    dialog = _dialog(qtbot, Settings(gpu_layers="auto"))
    note = dialog.gpu_note.text()
    if gpu_offload_supported():
        assert "next time the model loads" in note
    else:
        assert "no GPU support" in note and "CPU" in note


def test_every_model_shows_its_whole_name_state_and_id(qtbot, data_home):
    dialog = _dialog(qtbot, Settings())
    dialog.show()
    dialog.findChild(QTabWidget).setCurrentWidget(dialog.models)
    QApplication.processEvents()
    models = dialog.models.list
    metrics, room = models.fontMetrics(), models.viewport().width()
    heights = set()
    for item in map(models.item, range(models.count())):
        lines = item.text().split("\n")
        assert len(lines) == 2 and all(metrics.horizontalAdvance(line) <= room for line in lines), item.text()
        heights.add(models.visualItemRect(item).height())
    assert models.count() and len(heights) == 1 and heights.pop() >= 2 * metrics.height()
