"""The crisis panel: hotlines, the person's own safety plan and trusted contact, two clear choices.

It opens on the takeover (a high or imminent assessment) and whenever the person asks for help,
whatever the model is doing or whether a model is loaded at all, and sits above the conversation where it cannot be missed. An institution's counselor on duty
(kiosk) is shown before the hotlines.
"""

from __future__ import annotations

import html
from typing import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from ..safety.hotlines import CHOOSE_REGION, HotlineDirectory

__all__ = ["CrisisPanel", "PLAN_SECTIONS"]

PLAN_SECTIONS = (
    ("warning_signs", "My warning signs", "我的预警信号"),
    ("coping", "Things I can do on my own", "我自己能做的事"),
    ("distractions", "People and places that help me feel better", "能让我分心的人和地方"),
    ("helpers", "People I can ask for help", "我可以求助的人"),
    ("professionals", "Professionals and services", "专业人员和机构"),
    ("safe_environment", "Making my surroundings safer", "让环境更安全"),
    ("reasons_for_living", "What I live for", "我活下去的理由"),
)


_TEXT = {
    "title": ("You don't have to go through this alone", "你不必独自面对"),
    "lead": ("Please reach a person now. You can call or text:", "请现在就联系一个真实的人，可以拨打或发短信："),
    "unverified": ("number not yet verified", "号码尚未核实"),
    "counselor": ("Counselor on duty", "值班心理老师"),
    "counselor_off": ("School counselor", "学校心理老师"),
    "plan": ("Your safety plan", "你的安全计划"),
    "no_plan": ("You have no safety plan yet. You can make one under “Safety plan” when you're ready.",
                "你还没有安全计划。准备好时，可以在“安全计划”里写下来。"),
    "contact": ("Your trusted contact", "你信任的联系人"),
    "keep": ("Keep talking", "继续聊聊"),
    "safe": ("I'm safe right now", "我现在是安全的"),
}


def _t(key: str, lang: str) -> str:
    en, zh = _TEXT[key]
    return zh if lang == "zh" else en


class CrisisPanel(QFrame):
    keep_talking = Signal()
    marked_safe = Signal()

    def __init__(self, directory: HotlineDirectory, region: str | None, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("crisisPanel")
        self.directory, self.region = directory, region
        self.counselor: dict | None = None  # set by the kiosk: name, room, phone, hours
        self.counselor_on_duty: Callable[[], bool | None] = lambda: None  # within their hours now?
        self.show_plan = True  # the kiosk's anonymous visitors have no safety plan here
        self.show_choose_region = True  # a kiosk visitor cannot change the region
        self.setStyleSheet("#crisisPanel { border: 3px solid #c62828; border-radius: 8px; "
                           "background: #fff4f4; } QLabel { color: #222; }")
        self.body = QLabel(textFormat=Qt.RichText, wordWrap=True)
        self.body.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.keep_button, self.safe_button = QPushButton(), QPushButton()
        self.keep_button.clicked.connect(self._on_keep)
        self.safe_button.clicked.connect(self._on_safe)
        buttons = QHBoxLayout()
        buttons.addWidget(self.keep_button)
        buttons.addWidget(self.safe_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.body)
        layout.addLayout(buttons)
        self.hide()

    def show_for(self, lang: str, safety_plan: dict | None) -> None:
        """Fill the panel in ``lang`` and show it."""
        self.body.setText(self.render_html(lang, safety_plan))
        self.keep_button.setText(_t("keep", lang))
        self.safe_button.setText(_t("safe", lang))
        self.show()
        self.raise_()
        self.safe_button.setFocus()

    def render_html(self, lang: str, safety_plan: dict | None) -> str:
        parts = [f"<h2 style='color:#b71c1c'>{_t('title', lang)}</h2>"]
        if self.counselor:
            parts.append(self._counselor_html(lang))
        parts.append(self._hotlines_html(lang))
        if self.show_plan:
            parts.append(self._plan_html(lang, safety_plan or {}))
        return "".join(parts)

    def hotline_numbers(self, lang: str = "en") -> list[str]:
        return [h.number for region in self.directory.for_person(self.region, lang) for h in region.lines]

    def _counselor_html(self, lang: str) -> str:
        c = {k: html.escape(str(v)) for k, v in self.counselor.items()}
        details = " · ".join(filter(None, [c.get("room"), c.get("phone"), c.get("hours")]))
        heading = _t("counselor" if self.counselor_on_duty() else "counselor_off", lang)
        return (f"<p style='font-size:15pt'><b>{heading}: {c.get('name', '')}</b>"
                f"<br>{details}</p>")

    def _hotlines_html(self, lang: str) -> str:
        """The person's region's lines; with no region known, those for the language they write
        in (for Chinese: mainland China, Hong Kong, Taiwan) and the international fallback."""
        parts = [f"<p>{_t('lead', lang)}</p>"]
        regions = self.directory.for_person(self.region, lang)
        for region in regions:
            rows = "".join(self._hotline_row(h, lang) for h in region.lines)
            parts.append(f"<p><small>[{html.escape(region.region_name)}]</small></p><ul>{rows}</ul>")
        if len(regions) > 1 and self.show_choose_region:
            parts.append(f"<p><small>{html.escape(CHOOSE_REGION['zh' if lang == 'zh' else 'en'])}</small></p>")
        return "".join(parts)

    def _hotline_row(self, line, lang: str) -> str:
        flag = "" if line.verified else f" <small style='color:#8a6d00'>[{_t('unverified', lang)}]</small>"
        return (f"<li><b style='font-size:14pt'>{html.escape(line.number)}</b> — {html.escape(line.name)} "
                f"<i>({html.escape(line.hours)})</i>{flag}</li>")

    def _plan_html(self, lang: str, plan: dict) -> str:
        filled = [(en, zh, plan.get(key, "")) for key, en, zh in PLAN_SECTIONS if plan.get(key)]
        contact = plan.get("trusted_contact") or {}
        parts = [f"<h3>{_t('plan', lang)}</h3>"]
        if not filled and not contact:
            return parts[0] + f"<p>{_t('no_plan', lang)}</p>"
        for en, zh, text in filled:
            parts.append(f"<p><b>{zh if lang == 'zh' else en}</b><br>{_escape_lines(text)}</p>")
        if contact.get("name") or contact.get("phone"):
            relationship = f"({contact['relationship']})" if contact.get("relationship") else ""
            who = " ".join(filter(None, [contact.get("name"), relationship, contact.get("phone")]))
            parts.append(f"<p><b>{_t('contact', lang)}:</b> {html.escape(who)}</p>")
        return "".join(parts)

    def _on_keep(self) -> None:
        self.keep_talking.emit()

    def _on_safe(self) -> None:
        self.hide()
        self.marked_safe.emit()


def _escape_lines(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")
