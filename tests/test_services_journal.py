"""The journal service on a real encrypted store, with the real crisis detector."""

from __future__ import annotations

import pytest

from edge_counsel.errors import CrisisEntryError, JournalEntryNotFoundError
from edge_counsel.services.journal import Journal, first_line

ANSWER = '{"themes": ["work"], "tone": "tired", "observation": "You seem worn out by work and by how your boss treated you."}'


@pytest.fixture
def journal(store):
    return Journal(store)


def test_save_returns_the_entry_and_its_assessment(journal):
    saved = journal.save("A quiet walk by the river.")
    assert saved.entry.text == "A quiet walk by the river." and not saved.crisis
    again = journal.save("A quiet walk, then rain.", saved.entry.id)
    assert again.entry.id == saved.entry.id and journal.get(saved.entry.id).text == "A quiet walk, then rain."


@pytest.mark.parametrize("text", ["I want to end my life.", "我不想活了，觉得撑不下去。"])
def test_a_crisis_entry_is_saved_and_flagged(journal, text):
    saved = journal.save(text)
    assert saved.crisis and saved.assessment.at_least("moderate")
    assert [e.text for e in journal.entries()] == [text]


def test_list_search_get_delete(journal):
    first = journal.save("考试前很紧张").entry
    second = journal.save("A calm day").entry
    assert [e.id for e in journal.entries()] == [second.id, first.id]
    assert [e.id for e in journal.search("紧张")] == [first.id]
    journal.delete(first.id)
    with pytest.raises(JournalEntryNotFoundError):
        journal.get(first.id)


def test_reflection_is_refused_for_a_crisis_entry_before_the_model_sees_it(journal, store, scripted_engine):
    entry = journal.save("I want to kill myself tonight.").entry
    engine = scripted_engine([ANSWER])
    with pytest.raises(CrisisEntryError) as refused:
        journal.reflect(entry, engine)
    assert refused.value.assessment.at_least("moderate") and "no AI reflection" in str(refused.value)
    with pytest.raises(CrisisEntryError):
        journal.reflection_task(entry)
    assert engine.calls == [] and journal.get_reflection(entry.id) is None


def test_reflect_saves_the_reflection(journal, scripted_engine):
    entry = journal.save("Work was long and my boss was unfair.").entry
    reflection = journal.reflect(entry, scripted_engine([ANSWER]))
    assert reflection.themes and journal.get_reflection(entry.id) == reflection


def test_the_model_half_holds_recent_entries_but_not_the_store(journal, scripted_engine):
    journal.save("Tuesday: the exam went badly.")
    entry = journal.save("Thursday: still thinking about it.").entry
    task = journal.reflection_task(entry, include_recent=True)
    engine = scripted_engine([ANSWER])
    journal.store.close()  # the task must not need the store
    task(engine)
    prompt = engine.calls[0][-1]["content"]
    assert "the exam went badly" in prompt and "still thinking" in prompt


def test_first_line_is_a_title():
    assert first_line("\n  Dear diary,\nmore") == "Dear diary,"
    assert first_line("x" * 80, 10) == "x" * 9 + "…"
