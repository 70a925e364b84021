"""The safety plan page, offscreen, on a real encrypted store; what it saves is what the crisis panel shows."""

from __future__ import annotations

from conftest import type_text
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox

from edge_counsel.services.bundle import Services
from edge_counsel.services.safety_plan import SECTIONS
from edge_counsel.settings import Settings
from edge_counsel.ui.main_window import MainWindow
from edge_counsel.ui.pages import install_pages, set_services
from edge_counsel.ui.safety_plan_view import SafetyPlanPage, section_labels


def test_every_section_has_a_label_in_both_languages(qtbot, store, interface_language):
    page = SafetyPlanPage(Services.for_store(store))
    qtbot.addWidget(page)
    assert list(page.sections) == list(SECTIONS)
    assert all(en and zh and en != zh for en, zh in section_labels().values())
    assert "own words" in page.guidance.text() and "简短" not in page.guidance.text()
    assert page.findChildren(QGroupBox)[0].title() == "1. My warning signs"
    interface_language("zh")
    page = SafetyPlanPage(Services.for_store(store))
    qtbot.addWidget(page)
    assert "简短" in page.guidance.text() and "own words" not in page.guidance.text()
    assert page.findChildren(QGroupBox)[0].title() == "1. 我的预警信号"


def test_saved_plan_shows_in_the_crisis_panel(qtbot, store):
    win = MainWindow(Settings(region="US", auto_lock_minutes=0), store=store)
    qtbot.addWidget(win)
    win.show()
    plan_page = install_pages(win)["safety_plan"]
    type_text(plan_page.sections["warning_signs"], "睡不着，不想见人")
    type_text(plan_page.sections["coping"], "Walk the dog\nListen to music")
    type_text(plan_page.sections["reasons_for_living"], "My little sister")
    type_text(plan_page.contact["name"], "Aunt Lin")
    type_text(plan_page.contact["phone"], "555-0100")
    type_text(plan_page.contact["relationship"], "aunt")
    qtbot.mouseClick(plan_page.save_button, Qt.LeftButton)
    assert "Saved" in plan_page.status.text()

    saved = store.get_safety_plan()
    assert saved["warning_signs"] == "睡不着，不想见人" and saved["reasons_for_living"] == "My little sister"
    assert saved["trusted_contact"] == {"name": "Aunt Lin", "phone": "555-0100", "relationship": "aunt"}

    win.chat.open_crisis_panel(None)
    shown = win.crisis_panel.body.text()
    assert "睡不着，不想见人" in shown and "Walk the dog<br>Listen to music" in shown
    assert "Aunt Lin (aunt) 555-0100" in shown and "988" in shown
    win.close()


def test_reload_after_unlock_and_clear_on_lock(qtbot, store):
    store.save_safety_plan({"helpers": "My coach", "trusted_contact": {"name": "Sam"}})
    win = MainWindow(Settings(region="US", auto_lock_minutes=0))
    qtbot.addWidget(win)
    pages = install_pages(win)
    plan_page = pages["safety_plan"]
    assert not plan_page.isEnabled() and plan_page.sections["helpers"].toPlainText() == ""
    set_services(pages, Services.for_store(store))
    assert plan_page.isEnabled() and plan_page.sections["helpers"].toPlainText() == "My coach"
    assert plan_page.contact["name"].text() == "Sam"
    set_services(pages, None)
    assert not plan_page.isEnabled() and plan_page.sections["helpers"].toPlainText() == ""
    win.close()
