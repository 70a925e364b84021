"""The suggestions service on a real encrypted store: the switch and the dismissals persist."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from edge_counsel.services.suggestions import DISMISS_DAYS, Suggestions
from edge_counsel.settings import Settings, load_settings, retired_setting, save_settings
from edge_counsel.services.unlock import unlock

PANIC = "I'm panicking, my heart is racing before the exam"


def reopened(store):
    store.close()
    return unlock(store.path.parent, "pass phrase")


def test_a_panicky_chat_suggests_grounding(store):
    found = Suggestions(store).find(PANIC, "en")
    assert found.exercise_id == "grounding" and found.rule_id == "panic_words" and "panicking" in found.reason


def test_not_now_persists_across_a_restart(store):
    Suggestions(store).dismiss("panic_words")
    store = reopened(store)
    try:
        suggestions = Suggestions(store)
        assert suggestions.dismissed() == {"panic_words"}
        found = suggestions.find(PANIC, "en")
        assert found is None or found.rule_id != "panic_words"
    finally:
        store.close()


def test_a_dismissal_lapses_after_dismiss_days(store):
    suggestions = Suggestions(store)
    then = datetime.now().astimezone() - timedelta(days=DISMISS_DAYS + 1)
    suggestions.dismiss("panic_words", now=then)
    assert suggestions.dismissed() == set()
    assert suggestions.find(PANIC, "en").rule_id == "panic_words"


def test_an_old_list_of_dismissed_ids_stays_dismissed(store):
    store.set_private_setting("dismissed_suggestions", ["panic_words"])
    suggestions = Suggestions(store)
    assert suggestions.dismissed() == {"panic_words"}
    suggestions.dismiss("anxious_days")
    assert suggestions.dismissed() == {"panic_words", "anxious_days"}


def test_turned_off_means_nothing_is_suggested_and_it_persists(store):
    Suggestions(store).set_enabled(False)
    store = reopened(store)
    try:
        suggestions = Suggestions(store)
        assert not suggestions.enabled and suggestions.find(PANIC, "en") is None
        suggestions.set_enabled(True)
        assert suggestions.find(PANIC, "en") is not None
    finally:
        store.close()


def test_a_closed_store_suggests_nothing(store):
    suggestions = Suggestions(store)
    store.close()
    assert suggestions.find(PANIC, "en") is None


@pytest.mark.parametrize("old, enabled", [(False, False), (True, True), (None, True)])
def test_the_retired_settings_switch_is_carried_into_the_store_once(store, data_home, old, enabled):
    data_home.mkdir(parents=True, exist_ok=True)
    legacy = {"approach": "cbt"} if old is None else {"approach": "cbt", "suggestions_enabled": old}
    (data_home / "settings.json").write_text(json.dumps(legacy), encoding="utf-8")
    assert not hasattr(load_settings(), "suggestions_enabled")
    Suggestions(store).adopt_retired_switch(retired_setting("suggestions_enabled"))
    assert Suggestions(store).enabled is enabled
    save_settings(load_settings())
    assert retired_setting("suggestions_enabled") is None and load_settings().approach == "cbt"


def test_a_current_setting_is_not_retired():
    with pytest.raises(ValueError):
        retired_setting("approach")
    assert "suggestions_enabled" not in Settings.__dataclass_fields__
