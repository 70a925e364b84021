"""Settings: hotline region, auto-lock, an institution's hotline file, text size and colours, GPU
offload, the interface language (used from the next start), and the model manager.

The model manager imports a GGUF (from edge-quantize or anywhere), verifies its sha256, chooses
the active model and deletes one. Imports and checks run on a pool thread; a damaged or
unsupported file gets a clear message and changes nothing.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt, Signal
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout,
                               QLabel, QLineEdit, QListWidget, QListWidgetItem, QMessageBox, QPushButton,
                               QSpinBox, QStyle, QTabWidget, QVBoxLayout, QWidget)

from ..engine import manifest as mf
from ..engine.chat_formats import chat_format_names
from ..engine.llama import GPU_AUTO, gpu_offload_supported
from ..safety.hotlines import HotlineDirectory
from ..engine.model_files import delete_model, import_gguf, verify_model
from ..settings import INTERFACE_LANGUAGES, Settings, save_settings
from .appearance import TEXT_SIZES, THEMES
from .background import run_in_background
from .region_dialog import RegionBox
from .translation import resolve_language, translate_to

__all__ = ["SettingsDialog", "ModelsPage"]

_RESTART_NOTE = QT_TRANSLATE_NOOP("SettingsDialog", "The language changes when you restart Edge Counsel.")


class ModelsPage(QWidget):
    """The known models, which is active, and import / verify / delete."""

    activate_requested = Signal(str)  # model id
    status = Signal(str)

    def __init__(self, settings: Settings, parent=None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.list = QListWidget(uniformItemSizes=True)  # two lines each: the name, then state and id
        self.format_box = QComboBox()
        self.format_box.addItem(self.tr("from the file"), None)
        for name in chat_format_names():
            self.format_box.addItem(name, name)
        self.message = QLabel(wordWrap=True, objectName="modelMessage")
        row = QHBoxLayout()
        for label, slot in ((self.tr("Use"), self.use_selected), (self.tr("Import GGUF…"), self.ask_import),
                            (self.tr("Verify"), self.verify_selected), (self.tr("Delete"), self.delete_selected)):
            row.addWidget(QPushButton(label, clicked=slot))
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addLayout(row)
        form = QFormLayout()
        form.addRow(self.tr("Prompt format if the file has none"), self.format_box)
        layout.addLayout(form)
        layout.addWidget(self.message)
        self.refresh()

    def refresh(self) -> None:
        self.list.clear()
        active = self.settings.model or mf.DEFAULT_MODEL_ID
        for m in sorted(mf.load_manifests().values(), key=lambda m: m.id):
            state = self.tr("present") if mf.is_present(m) else self.tr("missing")
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
            self.message.setText(self.tr("'{id}' is not on this computer: import its GGUF first.").format(id=model_id))
            return
        self.settings.model = None if model_id == mf.DEFAULT_MODEL_ID else model_id
        save_settings(self.settings)
        self.refresh()
        self.activate_requested.emit(model_id)

    def ask_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Import a GGUF model"), str(Path.home()), "GGUF (*.gguf)")
        if path:
            self.import_file(Path(path))

    def import_file(self, path: Path, expected_sha256: str | None = None) -> None:
        self.message.setText(self.tr("Checking {name}…").format(name=path.name))
        chat_format = self.format_box.currentData()
        run_in_background(lambda: import_gguf(path, expected_sha256=expected_sha256, chat_format=chat_format),
                          self._imported, self._failed)

    def _imported(self, manifest) -> None:
        self.refresh()
        self.message.setText(self.tr("Imported {name} (sha256 {sha}…).").format(name=manifest.name,
                                                                               sha=manifest.sha256[:12]))
        self.status.emit("imported")

    def _failed(self, message: str) -> None:
        self.message.setText(message)
        self.status.emit("failed")

    def verify_selected(self) -> None:
        model_id = self.selected_id()
        if model_id is None:
            return
        manifest = mf.get_manifest(model_id)
        self.message.setText(self.tr("Verifying…"))
        run_in_background(lambda: verify_model(manifest), lambda ok: self._verified(manifest, ok), self._failed)

    def _verified(self, manifest, ok: bool) -> None:
        self.message.setText(f"{manifest.name}: " + (self.tr("intact") if ok else
                             self.tr("missing or damaged: import it again")))
        self.status.emit("verified" if ok else "damaged")

    def delete_selected(self, confirm: bool = True) -> None:
        model_id = self.selected_id()
        if model_id is None or model_id == (self.settings.model or mf.DEFAULT_MODEL_ID):
            self.message.setText(self.tr("Choose another model first: the active one cannot be deleted."))
            return
        question = self.tr("Delete {id}?").format(id=model_id)
        if confirm and QMessageBox.question(self, self.tr("Delete"), question) != QMessageBox.Yes:
            return
        delete_model(model_id)
        self.refresh()


class SettingsDialog(QDialog):
    def __init__(self, settings: Settings, directory: HotlineDirectory, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Settings"))
        self.settings = settings
        self.region = RegionBox(directory, settings.region)
        self.auto_lock = QSpinBox(minimum=0, maximum=240, suffix=self.tr(" min"),
                                  value=int(settings.auto_lock_minutes))
        self.auto_lock.setSpecialValueText(self.tr("never"))
        self.override = QLineEdit(settings.hotline_override or "",
                                  placeholderText=self.tr("an institution's hotline file"))
        self.text_size = QSpinBox(minimum=TEXT_SIZES[1] - 1, maximum=TEXT_SIZES[2], suffix=" pt")
        self.text_size.setSpecialValueText(self.tr("system"))  # shown for the minimum, which means 0
        self.text_size.setValue(int(settings.text_size) or self.text_size.minimum())
        self.theme = QComboBox()
        for theme, label in zip(THEMES, (self.tr("Follow the system"), self.tr("Light"), self.tr("Dark"))):
            self.theme.addItem(label, theme)
        self.theme.setCurrentIndex(max(0, self.theme.findData(settings.theme)))
        self.gpu_layers, self.gpu_note = self._gpu_controls(settings)
        self.language, self.language_note = self._language_controls(settings)
        self.models = ModelsPage(settings)
        tabs = QTabWidget()
        tabs.addTab(self._general(), self.tr("General"))
        tabs.addTab(self.models, self.tr("Models"))
        buttons = QDialogButtonBox(QDialogButtonBox.Save | QDialogButtonBox.Close)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(tabs)
        layout.addWidget(buttons)

    def _general(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        form.addRow(self.tr("Hotline region"), self.region)
        form.addRow(self.tr("Lock after idle"), self.auto_lock)
        form.addRow(self.tr("Hotline file"), self.override)
        form.addRow(self.tr("Text size"), self.text_size)
        form.addRow(self.tr("Colours"), self.theme)
        form.addRow(self.tr("GPU layers"), self.gpu_layers)
        form.addRow("", self.gpu_note)
        form.addRow(self.tr("Language"), self.language)
        form.addRow("", self.language_note)
        return page

    def _language_controls(self, settings: Settings) -> tuple[QComboBox, QLabel]:
        """The interface language, each named in itself; the note under it speaks the language
        chosen, since that may be the only one the person reads."""
        box = QComboBox()
        for choice, label in zip(INTERFACE_LANGUAGES, (self.tr("Follow the system"), "English", "中文")):
            box.addItem(label, choice)
        box.setCurrentIndex(max(0, box.findData(settings.interface_language)))
        note = QLabel(wordWrap=True, objectName="languageNote")

        def show_note() -> None:
            note.setText(translate_to(resolve_language(box.currentData()), "SettingsDialog", _RESTART_NOTE))

        box.currentIndexChanged.connect(show_note)
        show_note()
        return box, note

    def _gpu_controls(self, settings: Settings) -> tuple[QSpinBox, QLabel]:
        """How many layers llama.cpp offloads to a GPU (-1 shows as "auto": all), and whether it can."""
        value = settings.gpu_layers
        box = QSpinBox(minimum=-1, maximum=999, suffix=self.tr(" layers"),
                       value=-1 if value == GPU_AUTO else int(value) if str(value).isdigit() else 0)
        box.setSpecialValueText(self.tr("auto: all"))
        box.setToolTip(self.tr("0 runs on the CPU only. Applies the next time the model loads."))
        if gpu_offload_supported():
            text = self.tr("Applies the next time the model loads.")
        else:
            text = self.tr("This build of llama.cpp has no GPU support: the model runs on the CPU whatever "
                           "is set here.")
        return box, QLabel(text, wordWrap=True, objectName="gpuNote")

    def save(self) -> None:
        self.settings.region = self.region.region()
        self.settings.auto_lock_minutes = self.auto_lock.value()
        self.settings.hotline_override = self.override.text().strip() or None
        size = self.text_size.value()
        self.settings.text_size = 0 if size == self.text_size.minimum() else size
        self.settings.theme = self.theme.currentData()
        self.settings.gpu_layers = GPU_AUTO if self.gpu_layers.value() < 0 else self.gpu_layers.value()
        self.settings.interface_language = self.language.currentData()
        save_settings(self.settings)
        self.accept()

