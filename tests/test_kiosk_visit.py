"""The kiosk's visit cycle with no window: screens, idle countdown, once-per-visit counts, PIN."""

from __future__ import annotations

import pytest

from edge_counsel.errors import KioskLockedError
from edge_counsel.services import kiosk
from edge_counsel.services.kiosk_visit import WARN_SECONDS, VisitCycle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def cycle(tmp_path):
    config = kiosk.KioskConfig(idle_timeout_s=120)
    state = kiosk.KioskState.load(tmp_path / "state.json")
    c = VisitCycle(config, state, clock=Clock())
    c.pin.set_pin("246810", "246810")
    c.go_home()
    return c


def test_without_a_pin_the_kiosk_asks_for_set_up_first(tmp_path):
    state = kiosk.KioskState.load(tmp_path / "state.json")
    c = VisitCycle(kiosk.KioskConfig(), state, clock=Clock())
    assert c.screen == "setup" and c.open_staff() == "setup"


def test_a_visit_counts_once_and_ends_back_home(cycle):
    assert cycle.start_visit() and not cycle.start_visit()  # a second Start is no new visit
    assert cycle.screen == "visit" and cycle.in_visit
    assert cycle.count_once("escalations") and not cycle.count_once("escalations")
    assert cycle.end_visit() and not cycle.end_visit()
    assert cycle.screen == "welcome"
    cycle.start_visit()
    assert cycle.count_once("escalations")  # a new visitor counts again
    today = cycle.state.daily(1)[0][1]
    assert today["visits"] == 2 and today["escalations"] == 2


def test_idle_shows_a_countdown_then_ends_the_visit(cycle):
    cycle.start_visit()
    clock = cycle.clock
    clock.now += 120 - WARN_SECONDS - 1
    assert cycle.tick().action == "none"
    clock.now += 2
    tick = cycle.tick()
    assert tick.action == "countdown" and tick.seconds == WARN_SECONDS - 1
    cycle.activity()  # "I'm still here"
    assert cycle.tick().action == "none"
    clock.now += 121
    assert cycle.tick().action == "end_visit"


def test_a_reply_being_written_counts_as_activity(cycle):
    cycle.start_visit()
    cycle.clock.now += 500
    assert cycle.tick(busy=True).action == "none"


def test_staff_screens_are_behind_the_pin_and_time_out(cycle):
    cycle.start_visit()
    assert cycle.open_staff() is None  # never during a visit
    cycle.end_visit()
    assert cycle.open_staff() == "pin"
    assert not cycle.try_pin("000000") and cycle.screen == "pin"
    assert cycle.try_pin("246810") and cycle.screen == "admin"
    cycle.clock.now += 121
    assert cycle.tick().action == "home" and cycle.screen == "welcome"


def test_wrong_pins_lock_the_admin_out(cycle):
    cycle.open_staff()
    for _ in range(kiosk.MAX_FAILURES):
        assert not cycle.try_pin("111111")
    with pytest.raises(KioskLockedError):
        cycle.try_pin("246810")


def test_the_alert_goes_out_once_per_visit_and_reason(cycle):
    cycle.use_config(kiosk.config_from_dict({"alert_command": ["/bin/true"], "idle_timeout_s": 120}))
    cycle.start_visit()
    assert cycle.should_alert("high", "crisis_detected")
    assert not cycle.should_alert("high", "crisis_detected")
    cycle.end_visit()
    cycle.start_visit()
    assert cycle.should_alert("high", "crisis_detected")


def test_a_note_is_shown_once_a_visit(cycle):
    cycle.start_visit()
    assert cycle.note_once("counselor") and not cycle.note_once("counselor")
    cycle.end_visit()
    cycle.start_visit()
    assert cycle.note_once("counselor")


@pytest.mark.parametrize("hours, hour, on_duty", [("Mon-Fri 8-16", 10, True), ("Mon-Fri 8-16", 17, False),
                                                  ("ask at the office", 10, None), (None, 10, None)])
def test_the_counselor_is_on_duty_only_within_their_hours(tmp_path, hours, hour, on_duty):
    import datetime as dt

    counselor = {"name": "Ms Lin"} | ({"hours": hours} if hours else {})
    wednesday = dt.datetime(2025, 6, 4, hour)
    c = VisitCycle(kiosk.KioskConfig(counselor=counselor), kiosk.KioskState(None), clock=Clock(),
                   now=lambda: wednesday)
    assert c.counselor_on_duty() is on_duty
