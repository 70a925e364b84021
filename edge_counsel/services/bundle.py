"""One of each store-bound service, for a front end that shows them all (the window's pages).

``Services.for_store(store)`` binds every service to the same open Store; when the store is
locked the front end drops the bundle (None) and makes a new one on unlock, so no service
outlives its store. Nothing here touches Qt.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .exercises import ExerciseLog
from .history import History
from .journal import Journal
from .mood import MoodLog
from .safety_plan import SafetyPlan
from .suggestions import Suggestions

if TYPE_CHECKING:
    from ..safety.risk import RiskDetector
    from ..store.database import Store

__all__ = ["Services"]


@dataclass(frozen=True)
class Services:
    journal: Journal
    mood: MoodLog
    exercises: ExerciseLog
    suggestions: Suggestions
    safety_plan: SafetyPlan
    history: History

    @classmethod
    def for_store(cls, store: Store, detector: RiskDetector | None = None) -> "Services":
        """Every service over ``store``; ``detector`` is the journal's crisis detector (default:
        the process-wide one)."""
        return cls(journal=Journal(store, detector), mood=MoodLog(store), exercises=ExerciseLog(store),
                   suggestions=Suggestions(store), safety_plan=SafetyPlan(store), history=History(store))
