"""The kiosk's screens and the life of one visit, with no window: a small state machine.

Screens: "setup" (no admin PIN yet), "welcome", "visit", "pin" (the staff prompt) and "admin".
A visit starts from the welcome screen (Start, or "Talk to a counselor"), lives while the visitor
is active, and ends with "I'm done" or after ``idle_timeout_s`` without activity; the last
``WARN_SECONDS`` show a countdown. The PIN and admin screens time out the same way, back home.

Invariants:
- The admin screens are unreachable during a visit, and only through the PIN.
- Each counter of a visit (escalations, counselor requests) counts once per visit; visits count
  when they start. Only integers reach ``KioskState``: nothing a visitor writes passes through here.
- While a reply is being written the visitor counts as active (``tick(busy=True)``).
- A note (where the counselor is) is shown once per visit, and says the counselor is in only
  within their listed hours (``counselor_on_duty``).
- No Qt: ``ui/kiosk_window.py`` shows what this decides, and tests drive it with a fake clock.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass
from typing import Callable

from .kiosk import AlertPolicy, KioskConfig, KioskState, PinGuard
from .office_hours import on_duty

__all__ = ["VisitCycle", "Tick", "WARN_SECONDS", "SCREENS"]

WARN_SECONDS = 30  # the idle countdown shows for this long before a visit is wiped
SCREENS = ("setup", "welcome", "visit", "pin", "admin")


@dataclass(frozen=True)
class Tick:
    """What the window should do after a clock tick."""
    action: str  # "none" | "countdown" | "end_visit" | "home"
    seconds: int = 0  # for "countdown": whole seconds left


class VisitCycle:
    def __init__(self, config: KioskConfig, state: KioskState, *, pin: PinGuard | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 now: Callable[[], dt.datetime] = dt.datetime.now) -> None:
        self.config, self.state, self.clock, self.now = config, state, clock, now
        self.pin = pin or PinGuard(config, state)
        self.alerts = AlertPolicy()
        self.screen = self.home_screen()
        self.in_visit = False
        self._counted: set[str] = set()
        self._noted: set[str] = set()
        self._last_activity = clock()

    def home_screen(self) -> str:
        return "welcome" if self.pin.is_set else "setup"

    def go_home(self) -> str:
        self.screen = self.home_screen()
        return self.screen

    # -- a visit -------------------------------------------------------------------------------

    def start_visit(self) -> bool:
        """Begin a visit (False if one is already on)."""
        if self.in_visit:
            return False
        self.in_visit = True
        self._counted.clear()
        self._noted.clear()
        self.alerts.new_visit()
        self.state.increment("visits")
        self.screen = "visit"
        self.activity()
        return True

    def end_visit(self) -> bool:
        """Back to the home screen; True if a visit was on (the window then wipes it)."""
        was, self.in_visit = self.in_visit, False
        self.go_home()
        return was

    def count_once(self, counter: str) -> bool:
        """Count ``counter`` for this visit unless it already counted; True if it counted now."""
        if counter in self._counted:
            return False
        self._counted.add(counter)
        self.state.increment(counter)
        return True

    def note_once(self, note: str) -> bool:
        """True the first time ``note`` is asked for in this visit: a note is shown once a visit."""
        if note in self._noted:
            return False
        self._noted.add(note)
        return True

    def counselor_on_duty(self) -> bool | None:
        """Whether the counselor's listed hours cover now; None when none are listed or they
        cannot be read (then nothing is said about whether the counselor is in)."""
        return on_duty(self.config.counselor.get("hours"), self.now())

    def should_alert(self, level: str, reason: str) -> bool:
        """Whether the counselor alert goes out for this (at most once per reason and visit)."""
        return self.config.alerts_enabled and self.alerts.should_alert(reason, level)

    # -- idle ----------------------------------------------------------------------------------

    def activity(self) -> None:
        self._last_activity = self.clock()

    def seconds_left(self) -> float:
        return self.config.idle_timeout_s - (self.clock() - self._last_activity)

    def tick(self, busy: bool = False) -> Tick:
        """The countdown, the idle end of a visit, and the staff screens' time-out."""
        if self.screen not in ("visit", "pin", "admin"):
            return Tick("none")
        if busy:
            self.activity()
        left = self.seconds_left()
        if left <= 0 and self.screen == "visit":
            return Tick("end_visit")
        if left <= 0:
            self.go_home()
            return Tick("home")
        if self.screen == "visit" and left <= WARN_SECONDS:
            return Tick("countdown", math.ceil(left))
        return Tick("none")

    # -- staff ---------------------------------------------------------------------------------

    def open_staff(self) -> str | None:
        """The staff button: the PIN prompt (or set-up while there is no PIN); None in a visit."""
        if self.in_visit:
            return None
        self.screen = "pin" if self.pin.is_set else "setup"
        self.activity()
        return self.screen

    def try_pin(self, text: str) -> bool:
        """Check a PIN (raises KioskLockedError while locked out); the admin screen if right."""
        if not self.pin.verify(text):
            return False
        self.open_admin()
        return True

    def open_admin(self) -> None:
        self.screen = "admin"
        self.activity()

    def use_config(self, config: KioskConfig) -> None:
        self.config = self.pin.config = config
