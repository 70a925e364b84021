"""The kiosk's domain: config, PIN and lockout, anonymous counts, the alert command. No Qt."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat

import pytest
from argon2 import PasswordHasher

from edge_counsel.services import kiosk
from edge_counsel.errors import KioskConfigError, KioskLockedError, KioskPinError

FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # argon2id, cheap for tests


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def guard(tmp_path, clock, pin="246810"):
    config = kiosk.KioskConfig()
    state = kiosk.KioskState.load(tmp_path / "state.json")
    g = kiosk.PinGuard(config, state, clock=clock, hasher=FAST)
    g.set_pin(pin, pin)
    return g


def fail(g, times: int) -> None:
    for _ in range(times):
        assert g.verify("000001") is False


# -- config ---------------------------------------------------------------------------------------

def test_missing_config_is_a_fresh_kiosk_without_pin(tmp_path):
    config = kiosk.load_config(tmp_path / "kiosk.json")
    assert config.pin_hash is None and config.idle_timeout_s == 180 and not config.alerts_enabled


def test_config_round_trip_is_private(tmp_path):
    path = tmp_path / "etc" / "kiosk.json"
    config = kiosk.KioskConfig(kiosk_name="Room 204", counselor={"name": "Ms Li", "room": "204"},
                               region="CN", idle_timeout_s=120, alert_command=["/bin/true"])
    kiosk.save_config(config, path)
    assert kiosk.load_config(path) == config
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


@pytest.mark.parametrize("raw, words", [
    ({"idle_timout_s": 60}, "unknown settings idle_timout_s"),
    ({"idle_timeout_s": "3 minutes"}, '"idle_timeout_s" must be a whole number'),
    ({"idle_timeout_s": 0}, "from 1 to 86400"),
    ({"counselor": {"name": "Ms Li", "email": "x"}}, "unknown keys email"),
    ({"counselor": "Ms Li"}, '"counselor" must be an object'),
    ({"alert_command": "notify-counselor"}, "list of non-empty strings"),
    ({"alert_command": ["notify-counselor"]}, "must be an absolute path"),
    ({"kiosk_name": ""}, '"kiosk_name" must be text (not empty)'),
    ({"interface_language": "fr"}, '"interface_language" must be one of auto, en, zh'),
    ([1, 2], "must be a JSON object"),
])
def test_bad_config_is_refused_with_the_fix(tmp_path, raw, words):
    path = tmp_path / "kiosk.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(KioskConfigError) as err:
        kiosk.load_config(path)
    assert words in str(err.value) and str(path) in str(err.value)


def test_unreadable_config_names_the_file(tmp_path):
    path = tmp_path / "kiosk.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(KioskConfigError, match="kiosk.json"):
        kiosk.load_config(path)


# -- PIN ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("pin, repeat, words", [
    ("12345", "12345", "at least 6 digits"),
    ("12a456", "12a456", "digits only"),
    ("１２３４５６", "１２３４５６", "digits only"),  # full-width digits are not 0-9
    ("777777", "777777", "not one digit repeated"),
    ("246810", "246811", "differ"),
])
def test_new_pin_rules(pin, repeat, words):
    with pytest.raises(KioskPinError, match=words):
        kiosk.check_new_pin(pin, repeat)


def test_pin_is_stored_as_argon2id_hash(tmp_path):
    g = guard(tmp_path, Clock())
    assert g.config.pin_hash.startswith("$argon2id$") and "246810" not in g.config.pin_hash
    assert g.verify("246810") is True


def test_lockout_after_five_failures_and_it_doubles(tmp_path):
    clock = Clock()
    g = guard(tmp_path, clock)
    fail(g, kiosk.MAX_FAILURES - 1)
    assert g.seconds_locked() == 0 and g.attempts_left() == 1
    fail(g, 1)
    assert g.seconds_locked() == kiosk.BASE_LOCKOUT_S
    with pytest.raises(KioskLockedError, match="5:00"):
        g.verify("246810")  # even the right PIN is not checked while locked
    clock.now += kiosk.BASE_LOCKOUT_S
    fail(g, kiosk.MAX_FAILURES)
    assert g.seconds_locked() == 2 * kiosk.BASE_LOCKOUT_S
    clock.now += 2 * kiosk.BASE_LOCKOUT_S
    assert g.verify("246810") is True
    assert g.state.pin == {"failures": 0, "lockouts": 0, "locked_until": 0.0}


def test_lockout_survives_a_restart(tmp_path):
    clock = Clock()
    g = guard(tmp_path, clock)
    fail(g, kiosk.MAX_FAILURES)
    clock.now += 60
    again = kiosk.PinGuard(g.config, kiosk.KioskState.load(tmp_path / "state.json"), clock=clock, hasher=FAST)
    assert again.seconds_locked() == kiosk.BASE_LOCKOUT_S - 60
    with pytest.raises(KioskLockedError):
        again.verify("246810")


def test_failures_short_of_a_lockout_also_survive_a_restart(tmp_path):
    clock = Clock()
    g = guard(tmp_path, clock)
    fail(g, 3)
    again = kiosk.PinGuard(g.config, kiosk.KioskState.load(tmp_path / "state.json"), clock=clock, hasher=FAST)
    fail(again, 2)
    assert again.seconds_locked() == kiosk.BASE_LOCKOUT_S


def test_damaged_state_file_keeps_a_lockout(tmp_path):
    (tmp_path / "state.json").write_text("garbage", encoding="utf-8")
    state = kiosk.KioskState.load(tmp_path / "state.json")
    assert state.pin["locked_until"] > 0


# -- counts ---------------------------------------------------------------------------------------

def test_daily_counts_are_integers_only(tmp_path):
    days = iter([dt.date(2025, 3, 1)] * 3 + [dt.date(2025, 3, 2)] * 3)
    state = kiosk.KioskState(tmp_path / "state.json", today=lambda: next(days))
    for counter in ("visits", "visits", "escalations", "visits", "counselor_requests", "alerts_failed"):
        state.increment(counter)
    raw = json.loads((tmp_path / "state.json").read_text(encoding="utf-8"))
    assert raw["counts"] == {"2025-03-01": {"visits": 2, "escalations": 1},
                             "2025-03-02": {"visits": 1, "counselor_requests": 1, "alerts_failed": 1}}
    assert state.daily()[0] == ("2025-03-02", {"visits": 1, "escalations": 0, "counselor_requests": 1,
                                               "alerts_failed": 1})
    with pytest.raises(KeyError):
        state.increment("what they said")


def test_old_counts_are_dropped(tmp_path):
    today = dt.date(2025, 3, 1)
    state = kiosk.KioskState(tmp_path / "s.json", {"counts": {"2023-01-01": {"visits": 4}}}, today=lambda: today)
    state.increment("visits")
    assert list(state.counts) == ["2025-03-01"]


# -- the alert ------------------------------------------------------------------------------------

def _env_script(tmp_path):
    out = tmp_path / "alert.env"
    script = tmp_path / "alert.sh"
    script.write_text('#!/bin/sh\nenv > "$1"\n', encoding="utf-8")
    script.chmod(0o755)
    return script, out


def test_alert_command_gets_level_and_kiosk_only(tmp_path):
    script, out = _env_script(tmp_path)
    config = kiosk.KioskConfig(kiosk_name="Room 204", alert_command=[str(script), str(out)])
    result = kiosk.start_alert(config, "high", "crisis_detected")
    result.join(10)
    env = out.read_text(encoding="utf-8")
    assert "EDGE_COUNSEL_ALERT_LEVEL=high" in env
    assert "EDGE_COUNSEL_ALERT_KIOSK=Room 204" in env
    assert "EDGE_COUNSEL_ALERT_REASON=crisis_detected" in env


def test_alert_timeout_and_missing_command(tmp_path):
    slow = tmp_path / "slow.sh"
    slow.write_text("#!/bin/sh\nsleep 5\n", encoding="utf-8")
    slow.chmod(0o755)
    result = kiosk.run_alert(kiosk.KioskConfig(alert_command=[str(slow)], alert_timeout_s=1), "high", "x")
    assert not result.ok and "timed out" in result.detail
    result = kiosk.run_alert(kiosk.KioskConfig(alert_command=[str(tmp_path / "nope")]), "high", "x")
    assert not result.ok and "could not run" in result.detail
    assert kiosk.run_alert(kiosk.KioskConfig(alert_command=["/bin/false"]), "high", "x").detail == "exit 1"


def test_alert_policy_once_per_visit_unless_more_severe():
    policy = kiosk.AlertPolicy()
    assert policy.should_alert("crisis_detected", "moderate")
    assert not policy.should_alert("crisis_detected", "moderate")
    assert policy.should_alert("crisis_detected", "imminent")
    assert policy.should_alert("visitor_request", "request")
    assert not policy.should_alert("visitor_request", "request")
    policy.new_visit()
    assert policy.should_alert("visitor_request", "request")


def test_welcome_text_is_honest_about_alerts():
    off = kiosk.KioskConfig(idle_timeout_s=180)
    on = kiosk.KioskConfig(alert_command=["/bin/true"])
    assert "Nobody is alerted automatically" in kiosk.welcome_text("en", off)
    assert "alerted automatically" in kiosk.welcome_text("en", on) and "never what you wrote" in kiosk.welcome_text("en", on)
    assert "3 minutes" in kiosk.welcome_text("en", off)
    assert "不是真人" in kiosk.welcome_text("zh", off) and "不会自动通知" in kiosk.welcome_text("zh", off)
    assert "自动通知值班心理老师" in kiosk.welcome_text("zh", on)


def test_unwritable_files_give_clear_errors_not_crashes(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")  # a file where a folder should be: fails even for root
    with pytest.raises(KioskConfigError, match="must be able to write"):
        kiosk.save_config(kiosk.KioskConfig(), blocker / "kiosk.json")
    kiosk.KioskState(blocker / "state.json").increment("visits")
    assert "cannot save the kiosk state" in capsys.readouterr().err
