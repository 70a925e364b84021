"""The school counseling-room kiosk, without any window: its configuration, the admin PIN,
anonymous daily counts and the counselor alert.

Invariants:
- Nothing here ever receives, stores or passes on what a visitor writes. The state file holds
  only the PIN lockout counters and per-day integers (visits, escalations, counselor requests,
  failed alerts); the alert command gets a level, a reason, the kiosk's name and the time.
- The PIN is kept only as an Argon2id hash (``argon2.PasswordHasher``) in the kiosk config.
- Lockout survives restarts: failures and the lockout deadline are written to the state file
  before ``verify_pin`` returns, so quitting or crashing never resets them.
- The alert command is an argv list run without a shell, with a timeout; it never blocks the
  caller when started with ``start_alert``.
- Config and state are written atomically (temp file, fsync, rename) with mode 0600.
- No Qt here: the kiosk window (``ui/kiosk_window.py``) drives these objects.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from .. import paths
from ..atomic import atomic_write
from ..errors import KioskConfigError, KioskLockedError, KioskPinError
from ..settings import INTERFACE_LANGUAGES

__all__ = [
    "KioskConfig",
    "KioskState",
    "PinGuard",
    "AlertResult",
    "AlertPolicy",
    "load_config",
    "save_config",
    "default_config_path",
    "state_path",
    "check_new_pin",
    "run_alert",
    "start_alert",
    "welcome_text",
    "locked_message",
    "config_from_dict",
    "MIN_PIN_DIGITS",
    "MAX_FAILURES",
    "BASE_LOCKOUT_S",
    "COUNTERS",
]

MIN_PIN_DIGITS = 6
MAX_FAILURES = 5  # wrong PINs in a row before a lockout
BASE_LOCKOUT_S = 300  # the first lockout; each later one doubles
MAX_LOCKOUT_S = 24 * 3600
KEEP_DAYS = 366  # daily counts older than this are dropped
COUNTERS = ("visits", "escalations", "counselor_requests", "alerts_failed")
COUNSELOR_KEYS = ("name", "room", "phone", "hours")
_CONFIG_FILE = "kiosk.json"
_STATE_FILE = "kiosk-state.json"


# --- configuration ------------------------------------------------------------------------------

@dataclass
class KioskConfig:
    """What an admin sets; everything optional except that a kiosk needs a PIN before use."""

    kiosk_name: str = "kiosk"
    counselor: dict = field(default_factory=dict)  # name, room, phone, hours
    region: str | None = None  # hotline region; None: from the locale
    hotline_override: str | None = None  # the school's hotline file
    idle_timeout_s: int = 180
    model: str | None = None  # manifest id or GGUF path; None: the embedded default
    n_ctx: int = 4096
    max_tokens: int = 384  # longest reply, in tokens
    alert_command: list[str] | None = None  # argv; the first item an absolute path
    alert_timeout_s: float = 10.0
    pin_hash: str | None = None
    interface_language: str = "auto"  # the kiosk's own screens; a visit follows the visitor's language

    def validate(self, where: str = "The kiosk configuration") -> "KioskConfig":
        """Raise KioskConfigError naming the field and the fix; return self when valid."""
        _check_str(where, "kiosk_name", self.kiosk_name, empty_ok=False)
        _check_counselor(where, self.counselor)
        for key in ("region", "hotline_override", "model", "pin_hash"):
            _check_str(where, key, getattr(self, key), none_ok=True)
        _check_number(where, "idle_timeout_s", self.idle_timeout_s, 1, 86_400, integer=True)
        _check_number(where, "n_ctx", self.n_ctx, 512, 131_072, integer=True)
        _check_number(where, "max_tokens", self.max_tokens, 16, 4096, integer=True)
        _check_number(where, "alert_timeout_s", self.alert_timeout_s, 1, 300)
        _check_alert_command(where, self.alert_command)
        if self.interface_language not in INTERFACE_LANGUAGES:
            raise KioskConfigError(f'{where}: "interface_language" must be one of '
                                   f'{", ".join(INTERFACE_LANGUAGES)}.')
        return self

    @property
    def alerts_enabled(self) -> bool:
        return bool(self.alert_command)


def default_config_path() -> Path:
    """The config used when ``--config`` is not given: in the data directory."""
    return paths.data_dir() / _CONFIG_FILE


def state_path() -> Path:
    """The non-content state file: PIN lockout and anonymous daily counts."""
    return paths.data_dir() / _STATE_FILE


def load_config(path: Path) -> KioskConfig:
    """The config at ``path``; a missing file is a fresh kiosk (defaults, no PIN yet)."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return KioskConfig()
    except (OSError, ValueError) as exc:
        raise KioskConfigError(f"Cannot read the kiosk configuration {path}: {exc}. Fix the file "
                               "(JSON in UTF-8) or remove it to set the kiosk up again.") from exc
    return config_from_dict(raw, f"The kiosk configuration {path}")


def config_from_dict(raw: object, where: str = "The kiosk configuration") -> KioskConfig:
    if not isinstance(raw, dict):
        raise KioskConfigError(f"{where} must be a JSON object, e.g. {{\"kiosk_name\": \"Room 204\"}}.")
    known = [f.name for f in fields(KioskConfig)]
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise KioskConfigError(f"{where} has unknown settings {', '.join(unknown)}; the known ones "
                               f"are {', '.join(known)}. Check the spelling.")
    return KioskConfig(**raw).validate(where)


def save_config(config: KioskConfig, path: Path) -> None:
    try:
        _write_json(Path(path), asdict(config.validate()))
    except OSError as exc:
        raise KioskConfigError(f"Cannot save the kiosk configuration to {path}: {exc.strerror or exc}. "
                               "The kiosk's account must be able to write that file.") from exc


def _check_str(where: str, key: str, value, *, none_ok: bool = False, empty_ok: bool = True) -> None:
    if value is None and none_ok:
        return
    if not isinstance(value, str) or (not empty_ok and not value.strip()):
        kind = "text" + ("" if empty_ok else " (not empty)") + (" or null" if none_ok else "")
        raise KioskConfigError(f'{where}: "{key}" must be {kind}.')


def _check_counselor(where: str, counselor) -> None:
    if not isinstance(counselor, dict):
        raise KioskConfigError(f'{where}: "counselor" must be an object with '
                               f'{", ".join(COUNSELOR_KEYS)}.')
    unknown = sorted(set(counselor) - set(COUNSELOR_KEYS))
    if unknown:
        raise KioskConfigError(f'{where}: "counselor" has unknown keys {", ".join(unknown)}; '
                               f'use {", ".join(COUNSELOR_KEYS)}.')
    for key, value in counselor.items():
        _check_str(where, f"counselor.{key}", value)


def _check_number(where: str, key: str, value, low, high, *, integer: bool = False) -> None:
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or not low <= value <= high:
        kind = "a whole number" if integer else "a number"
        raise KioskConfigError(f'{where}: "{key}" must be {kind} from {low} to {high} (got {value!r}).')


def _check_alert_command(where: str, argv) -> None:
    if argv is None or argv == []:
        return
    if not isinstance(argv, list) or not all(isinstance(a, str) and a for a in argv):
        raise KioskConfigError(f'{where}: "alert_command" must be a list of non-empty strings, '
                               'e.g. ["/usr/local/bin/notify-counselor", "--room", "204"], or null.')
    if not os.path.isabs(argv[0]):
        raise KioskConfigError(f'{where}: the alert command {argv[0]!r} must be an absolute path '
                               '(it is run without a shell or PATH search), e.g. "/usr/local/bin/...".')


# --- state: PIN lockout and anonymous counts ----------------------------------------------------

class KioskState:
    """The small JSON state file: ``pin`` lockout counters and ``counts`` per day. No text."""

    def __init__(self, path: Path | None, data: dict | None = None,
                 today: Callable[[], dt.date] = dt.date.today) -> None:
        self.path = path
        self.pin: dict = {"failures": 0, "lockouts": 0, "locked_until": 0.0}
        self.counts: dict[str, dict[str, int]] = {}
        self._today = today
        self._lock = threading.Lock()
        if data:
            self._absorb(data)

    @classmethod
    def load(cls, path: Path, **kwargs) -> "KioskState":
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            data = None
        except (OSError, ValueError):
            # A damaged state file must not stop the kiosk; keep a lockout rather than lose one.
            data = {"pin": {"failures": 0, "lockouts": 1, "locked_until": time.time() + BASE_LOCKOUT_S}}
        return cls(Path(path), data if isinstance(data, dict) else None, **kwargs)

    def _absorb(self, data: dict) -> None:
        pin = data.get("pin") if isinstance(data.get("pin"), dict) else {}
        for key, default in self.pin.items():
            value = pin.get(key, default)
            self.pin[key] = value if isinstance(value, (int, float)) and not isinstance(value, bool) else default
        counts = data.get("counts") if isinstance(data.get("counts"), dict) else {}
        for day, row in counts.items():
            if _is_day(day) and isinstance(row, dict):
                self.counts[day] = {k: int(row[k]) for k in COUNTERS if isinstance(row.get(k), int)}

    def increment(self, counter: str) -> None:
        """Add one to today's ``counter`` (one of COUNTERS) and save."""
        if counter not in COUNTERS:
            raise KeyError(f"unknown counter {counter!r}; use one of {', '.join(COUNTERS)}")
        today = self._today()
        with self._lock:
            row = self.counts.setdefault(today.isoformat(), {})
            row[counter] = row.get(counter, 0) + 1
            self._prune(today)
        self.save()

    def daily(self, days: int = 14) -> list[tuple[str, dict[str, int]]]:
        """The last ``days`` days that have counts, newest first: (date, {counter: n})."""
        rows = sorted(self.counts.items(), reverse=True)[:days]
        return [(day, {k: row.get(k, 0) for k in COUNTERS}) for day, row in rows]

    def _prune(self, today: dt.date) -> None:
        oldest = (today - dt.timedelta(days=KEEP_DAYS)).isoformat()
        for day in [d for d in self.counts if d < oldest]:
            del self.counts[day]

    def to_dict(self) -> dict:
        return {"pin": dict(self.pin), "counts": {d: dict(r) for d, r in self.counts.items()}}

    def save(self) -> None:
        """Write the file; a failure is reported on stderr and never stops a visit."""
        if self.path is None:
            return
        try:
            with self._lock:
                _write_json(self.path, self.to_dict())
        except OSError as exc:
            print(f"edge-counsel: cannot save the kiosk state to {self.path}: {exc}", file=sys.stderr)


def _is_day(text: object) -> bool:
    try:
        dt.date.fromisoformat(str(text))
    except ValueError:
        return False
    return True


# --- the admin PIN ------------------------------------------------------------------------------

def check_new_pin(pin: str, repeat: str) -> str:
    """The PIN when it is acceptable; KioskPinError saying what to change otherwise."""
    if not pin.isdigit() or not pin.isascii():
        raise KioskPinError("The PIN must be digits only (0-9).", "digits")
    if len(pin) < MIN_PIN_DIGITS:
        raise KioskPinError(f"The PIN needs at least {MIN_PIN_DIGITS} digits.", "short")
    if len(set(pin)) == 1:
        raise KioskPinError("Choose a PIN that is not one digit repeated.", "repeated")
    if pin != repeat:
        raise KioskPinError("The two PINs differ; type the same PIN twice.", "differ")
    return pin


class PinGuard:
    """Verify the admin PIN against the config's Argon2id hash, with a persistent lockout."""

    def __init__(self, config: KioskConfig, state: KioskState, *, clock: Callable[[], float] = time.time,
                 hasher: PasswordHasher | None = None) -> None:
        self.config, self.state = config, state
        self.clock = clock
        self.hasher = hasher or PasswordHasher()

    @property
    def is_set(self) -> bool:
        return bool(self.config.pin_hash)

    def set_pin(self, pin: str, repeat: str) -> None:
        """Hash a new PIN into the config (the caller saves the config)."""
        self.config.pin_hash = self.hasher.hash(check_new_pin(pin, repeat))

    def seconds_locked(self) -> int:
        """Seconds until another attempt is allowed; 0 when not locked out."""
        return max(0, int(self.state.pin["locked_until"] - self.clock() + 0.999))

    def verify(self, pin: str) -> bool:
        """True for the right PIN. Raises KioskLockedError while locked out (nothing is checked)."""
        left = self.seconds_locked()
        if left:
            raise KioskLockedError(locked_message(left))
        if self.is_set and self._matches(pin):
            self.state.pin.update(failures=0, lockouts=0, locked_until=0.0)
            self.state.save()
            return True
        self._fail()
        return False

    def _matches(self, pin: str) -> bool:
        try:
            ok = self.hasher.verify(self.config.pin_hash, pin)
        except (VerificationError, InvalidHashError):
            return False
        if ok and self.hasher.check_needs_rehash(self.config.pin_hash):
            self.config.pin_hash = self.hasher.hash(pin)  # saved with the next config save
        return ok

    def _fail(self) -> None:
        pin = self.state.pin
        pin["failures"] += 1
        if pin["failures"] >= MAX_FAILURES:
            duration = min(MAX_LOCKOUT_S, BASE_LOCKOUT_S * 2 ** pin["lockouts"])
            pin.update(failures=0, lockouts=pin["lockouts"] + 1, locked_until=self.clock() + duration)
        self.state.save()

    def attempts_left(self) -> int:
        return MAX_FAILURES - self.state.pin["failures"]


def locked_message(seconds: int) -> str:
    minutes, secs = divmod(seconds, 60)
    return (f"Too many wrong PINs. Try again in {minutes}:{secs:02d}. / "
            f"PIN 错误次数过多，请在 {minutes}:{secs:02d} 后再试。")


# --- the counselor alert ------------------------------------------------------------------------

@dataclass(frozen=True)
class AlertResult:
    ok: bool
    detail: str  # "exit 0", "timed out after 10 s", "not found: /usr/local/bin/x", ...


def run_alert(config: KioskConfig, level: str, reason: str) -> AlertResult:
    """Run the admin's alert command with only non-identifying facts in its environment."""
    argv = config.alert_command
    if not argv:
        return AlertResult(False, "no alert command configured")
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDGE_COUNSEL_ALERT_")}
    env.update(EDGE_COUNSEL_ALERT_LEVEL=level, EDGE_COUNSEL_ALERT_REASON=reason,
               EDGE_COUNSEL_ALERT_KIOSK=config.kiosk_name,
               EDGE_COUNSEL_ALERT_TIME=dt.datetime.now().astimezone().isoformat(timespec="seconds"))
    try:
        done = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=config.alert_timeout_s, shell=False,
                              check=False, close_fds=True)
    except subprocess.TimeoutExpired:
        return AlertResult(False, f"timed out after {config.alert_timeout_s:g} s")
    except OSError as exc:
        return AlertResult(False, f"could not run {argv[0]}: {exc.strerror or exc}")
    return AlertResult(done.returncode == 0, f"exit {done.returncode}")


def start_alert(config: KioskConfig, level: str, reason: str,
                on_result: Callable[[AlertResult], None] | None = None) -> threading.Thread:
    """``run_alert`` on a daemon thread; ``on_result`` is called on that thread."""
    def work() -> None:
        result = run_alert(config, level, reason)
        if on_result is not None:
            on_result(result)
    thread = threading.Thread(target=work, name="kiosk-alert", daemon=True)
    thread.start()
    return thread


_LEVEL_RANK = {"none": 0, "low": 1, "moderate": 2, "high": 3, "imminent": 4}


class AlertPolicy:
    """One alert per visit per reason, and again only if a crisis turns more severe."""

    def __init__(self) -> None:
        self._sent: dict[str, int] = {}

    def should_alert(self, reason: str, level: str) -> bool:
        rank = _LEVEL_RANK.get(level, 0)
        if reason in self._sent and rank <= self._sent[reason]:
            return False
        self._sent[reason] = rank
        return True

    def new_visit(self) -> None:
        self._sent.clear()


# --- what the visitor is told -------------------------------------------------------------------

_WELCOME = {
    "en": ("This is Edge Counsel, an AI: a computer program, not a person and not a counselor. "
           "It can listen, help you sort out your thoughts and try a calming exercise. It is not "
           "therapy, it cannot diagnose anything, and it is not for emergencies.",
           "What you write stays on this computer, only for this visit. Nothing is sent over the "
           "internet and nothing is saved: when you press “I'm done”, or after {minutes} without "
           "using the screen, everything you wrote is erased and the next person starts fresh.",
           "If what you write sounds like you might be in danger, the screen shows how to reach "
           "the counselor on duty and crisis lines, and the counselor on duty is alerted "
           "automatically. The alert says only that someone at this kiosk may need help, never "
           "what you wrote.",
           "If what you write sounds like you might be in danger, the screen shows how to reach "
           "the counselor on duty and crisis lines. Nobody is alerted automatically: please go "
           "to them or call.",
           "You can talk to a real person at any time: press “Talk to a counselor”."),
    "zh": ("这是 Edge Counsel，一个人工智能（电脑程序），不是真人，也不是心理老师。它可以倾听、"
           "帮你理清思路、陪你做放松练习；它不是心理治疗，不能做任何诊断，也不能用于紧急情况。",
           "你写下的内容只在这次使用期间留在这台电脑上，不会通过网络发送，也不会被保存：当你按下"
           "“我说完了”，或 {minutes_zh}没有操作屏幕时，你写的一切都会被清除，下一位同学看不到任何内容。",
           "如果你写的内容显示你可能有危险，屏幕会显示值班心理老师和心理援助热线的联系方式，"
           "同时会自动通知值班心理老师。通知只说明这台终端旁可能有人需要帮助，绝不包含你写的内容。",
           "如果你写的内容显示你可能有危险，屏幕会显示值班心理老师和心理援助热线的联系方式。"
           "不会自动通知任何人：请直接去找老师或拨打电话。",
           "你随时可以和真人聊：请按“找心理老师”。"),
}


def welcome_text(lang: str, config: KioskConfig) -> str:
    """The disclosure shown before each visit, honest about whether alerts are configured."""
    ai, privacy, alert_on, alert_off, person = _WELCOME["zh" if lang == "zh" else "en"]
    minutes = max(1, round(config.idle_timeout_s / 60))
    privacy = privacy.format(minutes=f"{minutes} minute{'s' if minutes != 1 else ''}",
                             minutes_zh=f"{minutes} 分钟")
    alert = alert_on if config.alerts_enabled else alert_off
    return "\n\n".join([ai, privacy, alert, person])


# --- atomic writes ------------------------------------------------------------------------------

def _write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8"))
