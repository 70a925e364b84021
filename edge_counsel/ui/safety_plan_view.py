"""The safety plan page: the Stanley-Brown steps and a trusted contact, in the person's own words.

The sections are ``services.safety_plan.SECTIONS``, labelled as the crisis panel labels them
(``crisis_panel.PLAN_SECTIONS``), so what is written here is what the crisis panel shows.
Invariant: the plan is read and saved through ``SafetyPlan`` on the UI thread only; nothing is
saved until Save is pressed.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ..errors import EdgeCounselError
from ..services.safety_plan import CONTACT_FIELDS, SECTIONS, SafetyPlan
from .crisis_panel import PLAN_SECTIONS
from .translation import interface_language

__all__ = ["SafetyPlanPage", "section_labels"]

_EXTRA_LABELS = {"reasons_for_living": ("My reasons for living", "我活下去的理由")}
_CONTACT_LABELS = {"name": ("Name", "名字"), "phone": ("Phone", "电话"), "relationship": ("Relationship", "关系")}
_SECTION_HINTS = {
    "warning_signs": ("Thoughts, feelings or situations that tell me a crisis may be starting",
                      "提示我危机可能正在开始的想法、感受或情境"),
    "coping": ("Things I can do on my own to take my mind off things", "我自己可以做、让自己转移注意力的事"),
    "distractions": ("People and places that take my mind off things", "能让我分散注意力的人和地方"),
    "helpers": ("People I can ask for help, and how to reach them", "我可以求助的人，以及怎么联系他们"),
    "professionals": ("Counselors, doctors, crisis lines", "心理老师、医生、危机热线"),
    "safe_environment": ("Ways to make my surroundings safer", "让我身边环境更安全的做法"),
    "reasons_for_living": ("What matters to me and keeps me going", "对我重要、让我坚持下去的东西"),
}


def section_labels() -> dict[str, tuple[str, str]]:
    """Section key -> (English, Chinese) label, for every section of the plan."""
    labels = {key: (en, zh) for key, en, zh in PLAN_SECTIONS}
    labels.update(_EXTRA_LABELS)
    return {key: labels.get(key, (key, key)) for key in SECTIONS}


def _in_interface_language(pair: tuple[str, str]) -> str:
    """One of an (English, Chinese) pair: the plan's labels are shared with the crisis panel,
    which speaks the conversation's language instead."""
    return pair[1] if interface_language() == "zh" else pair[0]


class SafetyPlanPage(QWidget):
    """Edit and save the safety plan."""

    saved = Signal(dict)

    def __init__(self, services=None, parent=None) -> None:
        super().__init__(parent)
        self.safety_plan: SafetyPlan | None = None
        self.sections: dict[str, QPlainTextEdit] = {}
        self.contact: dict[str, QLineEdit] = {}
        self._build()
        self.set_services(services)

    def _build(self) -> None:
        self.guidance = QLabel("<b>" + self.tr("Your safety plan") + "</b><br>" + self.tr(
            "Write it in your own words, and keep each part short: a few words or lines is enough. It is "
            "shown to you when things feel hardest."), wordWrap=True)
        form = QWidget()
        form_layout = QVBoxLayout(form)
        for number, (key, pair) in enumerate(section_labels().items(), start=1):
            form_layout.addWidget(self._section_box(number, key, _in_interface_language(pair)))
        form_layout.addWidget(self._contact_box())
        scroll = QScrollArea(widgetResizable=True)
        scroll.setWidget(form)
        self.save_button = QPushButton(self.tr("Save"), clicked=self.save)
        self.status = QLabel()
        layout = QVBoxLayout(self)
        layout.addWidget(self.guidance)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.save_button)
        layout.addWidget(self.status)

    def _section_box(self, number: int, key: str, title: str) -> QGroupBox:
        box = QGroupBox(f"{number}. {title}")
        editor = QPlainTextEdit(placeholderText=_in_interface_language(_SECTION_HINTS.get(key, ("", ""))))
        editor.setFixedHeight(64)
        editor.setAccessibleName(title)
        self.sections[key] = editor
        QVBoxLayout(box).addWidget(editor)
        return box

    def _contact_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("A person I trust"))
        form = QFormLayout(box)
        for field in CONTACT_FIELDS:
            self.contact[field] = QLineEdit()
            form.addRow(_in_interface_language(_CONTACT_LABELS.get(field, (field, field))), self.contact[field])
        return box

    # -- the plan ------------------------------------------------------------------------------

    def set_services(self, services) -> None:
        """Use ``services.safety_plan`` (None while locked: the form empties)."""
        self.safety_plan = services.safety_plan if services is not None else None
        self.status.clear()
        self.load()

    def load(self) -> None:
        """Fill the form from the saved plan (empty when there is none, or while locked)."""
        plan = self._stored_plan()
        for key, editor in self.sections.items():
            editor.setPlainText(plan.get(key, ""))
        contact = plan.get("trusted_contact") or {}
        for field, edit in self.contact.items():
            edit.setText(contact.get(field, ""))

    def _stored_plan(self) -> dict:
        if self.safety_plan is None:
            return {}
        try:
            return self.safety_plan.get()
        except EdgeCounselError as error:
            self.status.setText(str(error))
            return {}

    def plan(self) -> dict:
        """The plan as written in the form, in ``SafetyPlan``'s shape."""
        plan = {key: editor.toPlainText().strip() for key, editor in self.sections.items()}
        contact = {field: edit.text().strip() for field, edit in self.contact.items()}
        plan["trusted_contact"] = {k: v for k, v in contact.items() if v}
        return plan

    def save(self) -> bool:
        if self.safety_plan is None:
            return False
        plan = self.plan()
        try:
            self.safety_plan.save(plan)
        except EdgeCounselError as error:
            self.status.setText(str(error))
            return False
        self.status.setText(self.tr("Saved. It will show in the crisis panel."))
        self.saved.emit(plan)
        return True
