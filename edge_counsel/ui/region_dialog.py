"""The hotline region: a box to choose it, and the dialog that asks for it on first start.

The region decides which crisis lines the crisis panel shows, so the app asks once, with the
system locale's region already selected, instead of guessing silently. Settings uses the same box,
and both select ``HotlineDirectory.region_in_use``: what the box shows is what the panel uses.
"""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QLabel, QVBoxLayout

from ..safety.hotlines import HotlineDirectory
from .translation import interface_language

__all__ = ["RegionBox", "RegionDialog"]


class RegionBox(QComboBox):
    """Every region of the directory (its name in the interface language, and code), and "not chosen"."""

    def __init__(self, directory: HotlineDirectory, chosen: str | None, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("regionBox")
        self.addItem(self.tr("Not chosen: by the language I write in"), None)
        lang = interface_language()
        for code in directory.regions():
            self.addItem(f"{directory.for_region(code, lang).region_name} ({code})", code)
        self.setCurrentIndex(max(0, self.findData(directory.region_in_use(chosen))))

    def region(self) -> str | None:
        return self.currentData()


class RegionDialog(QDialog):
    """First start: choose the hotline region, preselected from the system locale."""

    def __init__(self, directory: HotlineDirectory, chosen: str | None = None, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Your region"))
        self.setObjectName("regionDialog")
        self.box = RegionBox(directory, chosen)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("Which region's crisis lines should Edge Counsel show you if you need "
                                        "help? You can change this later under Settings."), wordWrap=True))
        layout.addWidget(self.box)
        layout.addWidget(buttons)
