"""The hotline region: a box to choose it, and the dialog that asks for it on first start.

The region decides which crisis lines the crisis panel shows, so the app asks once, with the
system locale's region already selected, instead of guessing silently. Settings uses the same box,
and both select ``HotlineDirectory.region_in_use``: what the box shows is what the panel uses.
"""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QLabel, QVBoxLayout

from ..safety.hotlines import HotlineDirectory

__all__ = ["RegionBox", "RegionDialog", "NOT_CHOSEN"]

NOT_CHOSEN = ("Not chosen: by the language I write in / 未选择：按我书写的语言")
_ASK = ("Which region's crisis lines should Edge Counsel show you if you need help? You can change "
        "this later under Settings. / 需要帮助时，应显示哪个地区的危机热线？之后可以在“设置”中修改。")


class RegionBox(QComboBox):
    """Every region of the directory (English / Chinese name and code), and "not chosen"."""

    def __init__(self, directory: HotlineDirectory, chosen: str | None, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("regionBox")
        self.addItem(NOT_CHOSEN, None)
        for code in directory.regions():
            en, zh = (directory.for_region(code, lang).region_name for lang in ("en", "zh"))
            self.addItem(f"{en} / {zh} ({code})", code)
        self.setCurrentIndex(max(0, self.findData(directory.region_in_use(chosen))))

    def region(self) -> str | None:
        return self.currentData()


class RegionDialog(QDialog):
    """First start: choose the hotline region, preselected from the system locale."""

    def __init__(self, directory: HotlineDirectory, chosen: str | None = None, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Your region / 你所在的地区")
        self.setObjectName("regionDialog")
        self.box = RegionBox(directory, chosen)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(_ASK, wordWrap=True))
        layout.addWidget(self.box)
        layout.addWidget(buttons)
