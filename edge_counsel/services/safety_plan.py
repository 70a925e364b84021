"""The safety plan: the Stanley-Brown steps and a trusted contact, in the person's own words.

``SafetyPlan`` is bound to one open Store and used on the caller's thread. Invariants: ``get``
always returns every section in ``SECTIONS`` plus ``trusted_contact`` (empty when never written),
so the crisis panel can show it without checks; ``save`` replaces the whole plan and refuses
unknown keys (ValueError), so nothing but the plan's own fields is ever kept there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..store.database import SAFETY_PLAN_SECTIONS, TRUSTED_CONTACT_FIELDS

if TYPE_CHECKING:
    from ..store.database import Store

__all__ = ["SafetyPlan", "SECTIONS", "CONTACT_FIELDS"]

SECTIONS: tuple[str, ...] = SAFETY_PLAN_SECTIONS  # in the order the plan is written and shown
CONTACT_FIELDS: tuple[str, ...] = TRUSTED_CONTACT_FIELDS


class SafetyPlan:
    """Read and replace the one safety plan."""

    sections = SECTIONS

    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self) -> dict:
        """Every section (text) plus ``trusted_contact`` (a dict of CONTACT_FIELDS)."""
        return self.store.get_safety_plan()

    def save(self, plan: dict) -> None:
        """Replace the plan; sections left out become empty."""
        self.store.save_safety_plan(plan)
