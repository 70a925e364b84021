"""Puts the journal, mood, exercises and safety plan pages and the suggestion bar into the window.

``install_pages(window)`` is called once, after the MainWindow is built; it registers
``set_services(pages, services)`` in ``window.services_listeners``, so the pages follow lock (None)
and unlock (a ``services.bundle.Services`` over the unlocked store). The pages reach the store only
through those services. While locked each page sits behind an "Unlock to use" notice, disabled,
and the suggestion bar stays hidden.

Wiring, all on the UI thread: a mood check-in, a saved journal entry that did not escalate, and a
finished chat turn that was not a crisis reply each look for a suggestion; "Try it" opens the
exercise; a journal entry that escalates opens the chat's crisis panel and shows the chat.
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt
from PySide6.QtWidgets import QLabel, QStackedWidget, QWidget

from ..lang import detect_language
from ..services.journal import is_crisis
from .exercises_view import ExercisesPage
from .journal_view import JournalPage
from .mood_view import MoodPage
from .safety_plan_view import SafetyPlanPage
from .suggestion_bar import SuggestionBar

__all__ = ["install_pages", "set_services", "PAGE_TITLES"]

PAGE_TITLES = {  # translated when the tab is added
    "journal": QT_TRANSLATE_NOOP("Pages", "Journal"),
    "mood": QT_TRANSLATE_NOOP("Pages", "Mood"),
    "exercises": QT_TRANSLATE_NOOP("Pages", "Exercises"),
    "safety_plan": QT_TRANSLATE_NOOP("Pages", "Safety plan"),
}


class LockablePage(QStackedWidget):
    """A page behind an "Unlock to use" notice while locked (no services)."""

    def __init__(self, page: QWidget, parent=None) -> None:
        super().__init__(parent)
        self.page = page
        self.notice = QLabel(self.tr("Unlock to use: your journal, mood and plan are kept encrypted."),
                             alignment=Qt.AlignCenter, wordWrap=True)
        self.addWidget(self.notice)
        self.addWidget(page)

    def set_services(self, services) -> None:
        self.page.set_services(services)
        self.page.setEnabled(services is not None)
        self.setCurrentWidget(self.page if services is not None else self.notice)


def _show_tab(window, page: QWidget) -> None:
    """Bring the tab holding ``page`` to the front."""
    widget = page
    while widget is not None and window.tabs.indexOf(widget) < 0:
        widget = widget.parentWidget()
    if widget is not None:
        window.tabs.setCurrentWidget(widget)


def _last_chat(window) -> tuple[str | None, str]:
    texts = window.chat.user_texts
    return (texts[-1] if texts else None), window.chat.lang


def _make_pages(window) -> dict[str, QWidget]:
    lang = lambda: window.chat.lang  # noqa: E731 - read at use: the chat's language changes
    pages: dict[str, QWidget] = {
        "journal": JournalPage(model_task=window.model_task),
        "mood": MoodPage(lang_provider=lang),
        "exercises": ExercisesPage(lang_provider=lang),
        "safety_plan": SafetyPlanPage(),
    }
    pages["suggestions"] = SuggestionBar()
    return pages


def _journal_crisis(window, journal: JournalPage, assessment) -> None:
    window.chat.lang = detect_language(journal.editor.toPlainText(), default=window.chat.lang)
    window.chat.open_crisis_panel(assessment)
    _show_tab(window, window.chat)


def _try_exercise(window, exercises: ExercisesPage, suggestion) -> None:
    _show_tab(window, exercises)
    exercises.start(suggestion.exercise_id, suggestion.preset)


def _wire(window, pages: dict[str, QWidget]) -> None:
    bar, journal, exercises = pages["suggestions"], pages["journal"], pages["exercises"]
    bar.chat_context = lambda: _last_chat(window)
    bar.try_requested.connect(lambda s: _try_exercise(window, exercises, s))
    bar.turned_off.connect(lambda: exercises.suggestions_box.setChecked(False))
    journal.crisis_hook = lambda assessment: _journal_crisis(window, journal, assessment)
    journal.entry_saved.connect(lambda entry, assessment: _after_journal(bar, entry, assessment))
    pages["mood"].checked_in.connect(lambda _checkin: bar.refresh(None, window.chat.lang))
    pages["safety_plan"].saved.connect(lambda _plan: _refresh_open_crisis_panel(window))
    window.worker.done.connect(bar.on_chat_reply)  # a bound QObject slot: queued to the UI thread


def _after_journal(bar: SuggestionBar, entry, assessment) -> None:
    if is_crisis(assessment):
        bar.clear()
    else:
        bar.refresh(None, detect_language(entry.text))


def _refresh_open_crisis_panel(window) -> None:
    if window.crisis_panel.isVisible():
        window.crisis_panel.show_for(window.chat.lang, window.safety_plan())


def install_pages(window) -> dict[str, QWidget]:
    """Create the pages for ``window.services`` (None: locked), add their tabs, insert the
    suggestion bar below the crisis panel in the chat, and wire them. Returns the pages by name,
    and the bar as "suggestions"."""
    pages = _make_pages(window)
    for key, title in PAGE_TITLES.items():
        window.add_page(LockablePage(pages[key]), QCoreApplication.translate("Pages", title))
    window.chat.layout().insertWidget(1, pages["suggestions"])
    _wire(window, pages)
    set_services(pages, window.services)
    listeners = getattr(window, "services_listeners", None)
    if listeners is not None:  # the window calls these on lock (None) and unlock
        listeners.append(lambda services: set_services(pages, services))
    return pages


def set_services(pages: dict[str, QWidget], services) -> None:
    """Give every page the unlocked store's ``services``, or None to lock them again."""
    for key in PAGE_TITLES:
        container = pages[key].parentWidget()
        if isinstance(container, LockablePage):
            container.set_services(services)
        else:
            pages[key].set_services(services)
    pages["suggestions"].set_services(services)
