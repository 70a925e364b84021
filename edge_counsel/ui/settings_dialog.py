"""Settings: hotline region, auto-lock, an institution's hotline file, text size and colours, GPU
offload, and the model manager.

The model manager imports a GGUF (from edge-quantize or anywhere), verifies its sha256, chooses
the active model and deletes one. Imports and checks run on a pool thread; a damaged or
unsupported file gets a clear message and changes nothing.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout,
                               QLabel, QLineEdit, QListWidget, QListWidgetItem, QMessageBox, QPushButton,
                               QSpinBox, QStyle, QTabWidget, QVBoxLayout, QWidget)

from ..engine import manifest as mf
from ..engine.chat_formats import chat_format_names
from ..engine.llama import GPU_AUTO, gpu_offload_supported
from ..safety.hotlines import HotlineDirectory
from ..engine.model_files import delete_model, import_gguf, verify_model
from ..settings import Settings, save_settings
from .appearance import TEXT_SIZES, THEMES
from .background import run_in_background
from .region_dialog import RegionBox

__all__ = ["SettingsDialog", "ModelsPage"]


class ModelsPage(QWidget):
    """The known models, which is active, and import / verify / delete."""

    activate_requested = Signal(str)  # model id
    status = Signal(str)

    def __init__(self, settings: Settings, parent=None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.list = QListWidget(uniformItemSizes=True)  # two lines each: the name, then state and id
        self.format_box = QComboBox()
        self.format_box.addItem("from the file / 文件自带", None)
        for name in chat_format_names():
            self.format_box.addItem(name, name)
        self.message = QLabel(wordWrap=True, objectName="modelMessage")
        row = QHBoxLayout()
        for label, slot in (("Use / 使用", self.use_selected), ("Import GGUF… / 导入…", self.ask_import),
                            ("Verify / 校验", self.verify_selected), ("Delete / 删除", self.delete_selected)):
            row.addWidget(QPushButton(label, clicked=slot))
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addLayout(row)
        form = QFormLayout()
        form.addRow("Prompt format if the file has none / 对话格式", self.format_box)
        layout.addLayout(form)
        layout.addWidget(self.message)
        self.refresh()

    def refresh(self) -> None:
        self.list.clear()
        active = self.settings.model or mf.DEFAULT_MODEL_ID
        for m in sorted(mf.load_manifests().values(), key=lambda m: m.id):
            state = "present / 已安装" if mf.is_present(m) else "missing / 未安装"
            mark = "● " if m.id == active else "   "
            item = QListWidgetItem(f"{mark}{m.name}\n    {state} · {m.id}")
            item.setData(Qt.UserRole, m.id)
            self.list.addItem(item)
        self._fit_width()

    def _fit_width(self) -> None:
        """As wide as the longest line, so no model's name or id is cut off."""
        metrics, items = self.list.fontMetrics(), map(self.list.item, range(self.list.count()))
        widest = max((metrics.horizontalAdvance(line) for item in items for line in item.text().split("\n")),
                     default=0)
        scroll = self.list.style().pixelMetric(QStyle.PM_ScrollBarExtent)
        self.list.setMinimumWidth(widest + scroll + 2 * (self.list.frameWidth() + metrics.averageCharWidth()))

    def selected_id(self) -> str | None:
        item = self.list.currentItem()
        return item.data(Qt.UserRole) if item else None

    def use_selected(self) -> None:
        model_id = self.selected_id()
        if model_id is None:
            return
        if not mf.is_present(mf.get_manifest(model_id)):
            self.message.setText(f"'{model_id}' is not on this computer: import its GGUF first.")
            return
        self.settings.model = None if model_id == mf.DEFAULT_MODEL_ID else model_id
        save_settings(self.settings)
        self.refresh()
        self.activate_requested.emit(model_id)

    def ask_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a GGUF model", str(Path.home()), "GGUF (*.gguf)")
        if path:
            self.import_file(Path(path))

    def import_file(self, path: Path, expected_sha256: str | None = None) -> None:
        self.message.setText(f"Checking {path.name}… / 正在校验…")
        chat_format = self.format_box.currentData()
        run_in_background(lambda: import_gguf(path, expected_sha256=expected_sha256, chat_format=chat_format),
                          self._imported, self._failed)

    def _imported(self, manifest) -> None:
        self.refresh()
        self.message.setText(f"Imported {manifest.name} (sha256 {manifest.sha256[:12]}…). / 导入成功。")
        self.status.emit("imported")

    def _failed(self, message: str) -> None:
        self.message.setText(message)
        self.status.emit("failed")

    def verify_selected(self) -> None:
        model_id = self.selected_id()
        if model_id is None:
            return
        manifest = mf.get_manifest(model_id)
        self.message.setText("Verifying… / 正在校验…")
        run_in_background(lambda: verify_model(manifest), lambda ok: self._verified(manifest, ok), self._failed)

    def _verified(self, manifest, ok: bool) -> None:
        self.message.setText(f"{manifest.name}: " + ("intact / 完好" if ok else
                             "missing or damaged: import it again / 缺失或损坏"))
        self.status.emit("verified" if ok else "damaged")

    def delete_selected(self, confirm: bool = True) -> None:
        model_id = self.selected_id()
        if model_id is None or model_id == (self.settings.model or mf.DEFAULT_MODEL_ID):
            self.message.setText("Choose another model first: the active one cannot be deleted.")
            return
        if confirm and QMessageBox.question(self, "Delete", f"Delete {model_id}?") != QMessageBox.Yes:
            return
        delete_model(model_id)
        self.refresh()


class SettingsDialog(QDialog):
    def __init__(self, settings: Settings, directory: HotlineDirectory, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings / 设置")
        self.settings = settings
        self.region = RegionBox(directory, settings.region)
        self.auto_lock = QSpinBox(minimum=0, maximum=240, suffix=" min", value=int(settings.auto_lock_minutes))
        self.auto_lock.setSpecialValueText("never / 从不")
        self.override = QLineEdit(settings.hotline_override or "", placeholderText="an institution's hotline file")
        self.text_size = QSpinBox(minimum=TEXT_SIZES[1] - 1, maximum=TEXT_SIZES[2], suffix=" pt")
        self.text_size.setSpecialValueText("system / 跟随系统")  # shown for the minimum, which means 0
        self.text_size.setValue(int(settings.text_size) or self.text_size.minimum())
        self.theme = QComboBox()
        for theme, label in zip(THEMES, ("Follow the system / 跟随系统", "Light / 浅色", "Dark / 深色")):
            self.theme.addItem(label, theme)
        self.theme.setCurrentIndex(max(0, self.theme.findData(settings.theme)))
        self.gpu_layers, self.gpu_note = _gpu_controls(settings)
        self.models = ModelsPage(settings)
        tabs = QTabWidget()
        tabs.addTab(self._general(), "General / 常规")
        tabs.addTab(self.models, "Models / 模型")
        buttons = QDialogButtonBox(QDialogButtonBox.Save | QDialogButtonBox.Close)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(tabs)
        layout.addWidget(buttons)

    def _general(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        form.addRow("Hotline region / 热线地区", self.region)
        form.addRow("Lock after idle / 空闲自动锁定", self.auto_lock)
        form.addRow("Hotline file / 热线文件", self.override)
        form.addRow("Text size / 字号", self.text_size)
        form.addRow("Colours / 配色", self.theme)
        form.addRow("GPU layers / GPU 层数", self.gpu_layers)
        form.addRow("", self.gpu_note)
        return page

    def save(self) -> None:
        self.settings.region = self.region.region()
        self.settings.auto_lock_minutes = self.auto_lock.value()
        self.settings.hotline_override = self.override.text().strip() or None
        size = self.text_size.value()
        self.settings.text_size = 0 if size == self.text_size.minimum() else size
        self.settings.theme = self.theme.currentData()
        self.settings.gpu_layers = GPU_AUTO if self.gpu_layers.value() < 0 else self.gpu_layers.value()
        save_settings(self.settings)
        self.accept()


def _gpu_controls(settings: Settings) -> tuple[QSpinBox, QLabel]:
    """How many layers llama.cpp offloads to a GPU (-1 shows as "auto": all), and whether it can."""
    value = settings.gpu_layers
    box = QSpinBox(minimum=-1, maximum=999, suffix=" layers / 层",
                   value=-1 if value == GPU_AUTO else int(value) if str(value).isdigit() else 0)
    box.setSpecialValueText("auto: all / 自动：全部")
    box.setToolTip("0 runs on the CPU only. Applies the next time the model loads. / 0 表示只用 CPU。")
    if gpu_offload_supported():
        text = "Applies the next time the model loads. / 下次加载模型时生效。"
    else:
        text = ("This build of llama.cpp has no GPU support: the model runs on the CPU whatever is set "
                "here. / 此版本不支持 GPU，模型在 CPU 上运行。")
    return box, QLabel(text, wordWrap=True, objectName="gpuNote")
