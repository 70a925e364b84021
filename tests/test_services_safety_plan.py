"""The safety plan service on a real encrypted store."""

from __future__ import annotations

import pytest

from edge_counsel.services.safety_plan import CONTACT_FIELDS, SECTIONS, SafetyPlan


def test_an_unwritten_plan_has_every_section_empty(store):
    plan = SafetyPlan(store).get()
    assert all(plan[key] == "" for key in SECTIONS) and not plan["trusted_contact"]


def test_the_plan_round_trips_and_save_replaces_it(store):
    plan = SafetyPlan(store)
    written = {"warning_signs": "睡不着，不想见人", "reasons_for_living": "My little sister",
               "trusted_contact": {"name": "Aunt Lin", "phone": "555-0100", "relationship": "aunt"}}
    plan.save(written)
    assert {k: v for k, v in plan.get().items() if v} == written
    plan.save({"coping": "Walk the dog"})
    again = plan.get()
    assert again["coping"] == "Walk the dog" and again["warning_signs"] == ""


def test_unknown_keys_are_refused(store):
    with pytest.raises(ValueError):
        SafetyPlan(store).save({"diagnosis": "none of your business"})


def test_sections_are_the_stanley_brown_steps_and_reasons():
    assert SECTIONS[0] == "warning_signs" and SECTIONS[-1] == "reasons_for_living"
    assert SafetyPlan.sections == SECTIONS and CONTACT_FIELDS == ("name", "phone", "relationship")
