"""The interface language: English source strings, Simplified Chinese from a compiled Qt catalogue.

Invariants: the language is chosen once, before the first window is built, and is what
``interface_language()`` reports from then on (Qt's default locale). Text that follows a
conversation or a kiosk visitor (the crisis panel, exercises, scripted replies) picks its own
language and ignores this. ``edge_counsel/i18n/edge_counsel_zh_CN.ts`` is the source of the
catalogue; ``tools/update_translations.sh`` rebuilds it and its ``.qm``.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from ..paths import PACKAGE_DIR

__all__ = ["install_translation", "interface_language", "resolve_language", "translate_to"]

CATALOGUE_DIR = PACKAGE_DIR / "i18n"
_CATALOGUE = "edge_counsel_zh_CN"
_LOCALES = {"en": QLocale(QLocale.English, QLocale.UnitedStates), "zh": QLocale(QLocale.Chinese, QLocale.China)}


def resolve_language(choice: str, system: QLocale | None = None) -> str:
    """"en" or "zh" for a setting of "auto", "en" or "zh"; "auto" follows the system's locale
    (every Chinese locale, Traditional ones included, gets the Chinese interface)."""
    if choice in _LOCALES:
        return choice
    return "zh" if (system or QLocale.system()).language() == QLocale.Chinese else "en"


def install_translation(app: QCoreApplication, choice: str) -> str:
    """Translate the interface of ``app`` into the language ``choice`` resolves to; returns it.
    Qt's own buttons (Save, Close, OK) come from Qt's catalogue for the same language."""
    lang = resolve_language(choice)
    for translator in app.findChildren(QTranslator):  # a second call (tests) replaces the first
        app.removeTranslator(translator)
        translator.deleteLater()
    if lang == "zh":
        for name, folder in ((_CATALOGUE, str(CATALOGUE_DIR)),
                             ("qtbase_zh_CN", QLibraryInfo.path(QLibraryInfo.TranslationsPath))):
            translator = QTranslator(app)
            if translator.load(name, folder):
                app.installTranslator(translator)
    QLocale.setDefault(_LOCALES[lang])
    return lang


def interface_language() -> str:
    """"zh" or "en": the language the interface was set to at start."""
    return "zh" if QLocale().language() == QLocale.Chinese else "en"


def translate_to(lang: str, context: str, text: str) -> str:
    """``text`` (marked with QT_TRANSLATE_NOOP under ``context``) in ``lang``, whatever the
    interface language is: for a note that must speak the language the person just chose."""
    if lang != "zh":
        return text
    translator = QTranslator()
    return (translator.load(_CATALOGUE, str(CATALOGUE_DIR)) and translator.translate(context, text)) or text
