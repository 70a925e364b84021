"""Progress for long steps: a small text bar on stderr, and subprocesses streamed through it.

A child's output is read line by line as it comes (``\\r`` counts as a line end, so tqdm bars
stream too). Lines that carry progress move the bar; every line goes to the stage's log file, and
to stderr as well with ``verbose``. The last lines are kept for the error message if it fails.
"""

from __future__ import annotations

import collections
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Sequence

__all__ = ["ProgressBar", "StreamResult", "run_streaming", "progress_line", "worker_command", "worker_env",
           "default_threads"]

# Progress as printed by llama.cpp's quantizer, by edge_quantize.worker, and by tqdm.
_PATTERNS = (
    (re.compile(r"^\[\s*(\d+)/\s*(\d+)\]\s*(\S*)"), None),
    (re.compile(r"^PROGRESS (\d+)/(\d+)\s*(.*)$"), None),
    (re.compile(r"(\d+)%\|"), 100),
)


class ProgressBar:
    """``label [#####.....] 12/40 note`` redrawn in place on a terminal, every 10% otherwise."""

    def __init__(self, label: str, total: int = 0, stream: IO[str] | None = None, width: int = 28):
        self.label, self.total, self.width = label, max(total, 0), width
        self.stream = stream or sys.stderr
        self.done, self.note = 0, ""
        self._tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._last_draw, self._last_decile = 0.0, -1

    def update(self, done: int, total: int | None = None, note: str = "") -> None:
        self.done, self.note = done, note or self.note
        self.total = total if total is not None else self.total
        self._draw()

    def advance(self, step: int = 1, note: str = "") -> None:
        self.update(self.done + step, note=note)

    def finish(self, note: str = "done") -> None:
        self.done = max(self.done, self.total)
        self.note = note
        self._draw(force=True)
        if self._tty:
            self.stream.write("\n")
            self.stream.flush()

    def message(self, line: str) -> None:
        """Print a whole line above the bar."""
        self.stream.write(("\r\x1b[2K" if self._tty else "") + line + "\n")
        self.stream.flush()

    def _text(self) -> str:
        frac = min(self.done / self.total, 1.0) if self.total else 0.0
        filled = int(frac * self.width)
        bar = "#" * filled + "." * (self.width - filled)
        count = f"{self.done}/{self.total}" if self.total else f"{self.done}"
        return f"{self.label} [{bar}] {count} {self.note[:50]}"

    def _draw(self, force: bool = False) -> None:
        now = time.monotonic()
        if self._tty:
            if force or now - self._last_draw > 0.1:
                self.stream.write("\r\x1b[2K" + self._text())
                self.stream.flush()
                self._last_draw = now
            return
        decile = int(10 * self.done / self.total) if self.total else 0
        if force or decile > self._last_decile:
            self.stream.write(self._text() + "\n")
            self.stream.flush()
            self._last_decile = decile


def progress_line(done: int, total: int, note: str = "") -> str:
    """The line a child process prints so that its parent's bar moves."""
    return f"PROGRESS {done}/{total} {note}".rstrip()


@dataclass
class StreamResult:
    returncode: int
    tail: list[str]


def _parse(line: str) -> tuple[int, int, str] | None:
    for pattern, fixed_total in _PATTERNS:
        match = pattern.search(line)
        if match:
            groups = match.groups()
            if fixed_total:
                return int(groups[0]), fixed_total, ""
            return int(groups[0]), int(groups[1]), groups[2] if len(groups) > 2 else ""
    return None


def _lines(stream: IO[bytes]):
    buffer, read = b"", getattr(stream, "read1", stream.read)
    while chunk := read(4096):
        buffer += chunk
        *lines, buffer = re.split(rb"\r\n|\r|\n", buffer)
        for raw in lines:
            yield raw.decode("utf-8", "replace")
    if buffer:
        yield buffer.decode("utf-8", "replace")


def run_streaming(cmd: Sequence[str], *, label: str, env: dict | None = None,
                  log_path: Path | None = None, verbose: bool = False, cwd: Path | None = None) -> StreamResult:
    """Run ``cmd``, stream its output through a progress bar, return its status and peak RSS."""
    bar = ProgressBar(label)
    tail: collections.deque[str] = collections.deque(maxlen=40)
    log = open(log_path, "a", encoding="utf-8") if log_path else None
    proc = subprocess.Popen(list(cmd), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=cwd)
    try:
        for line in _lines(proc.stdout):
            _handle_line(line, bar, tail, log, verbose)
    finally:
        proc.stdout.close()
        proc.wait()
        if log:
            log.close()
    bar.finish("done" if proc.returncode == 0 else f"failed ({proc.returncode})")
    return StreamResult(proc.returncode, list(tail))


def _handle_line(line: str, bar: ProgressBar, tail, log, verbose: bool) -> None:
    if log:
        log.write(line + "\n")
    if not line.strip():
        return
    parsed = _parse(line)
    if parsed:
        bar.update(parsed[0], parsed[1], parsed[2])
        return
    tail.append(line)
    if verbose:
        bar.message(line)
    else:
        bar.update(bar.done, note=line.strip())


def default_threads() -> int:
    """Half the logical CPUs: llama.cpp's threads spin while waiting, so oversubscribing a busy
    machine (or counting hyperthreads) makes it many times slower, not faster."""
    return max(1, (os.cpu_count() or 2) // 2)


def worker_command(job: str, *args: str) -> list[str]:
    """The command line that runs ``job`` in a fresh interpreter."""
    return [sys.executable, "-m", "edge_quantize.worker", job, *map(str, args)]


def worker_env() -> dict:
    """The child's environment: this package importable wherever the parent was started."""
    root = str(Path(__file__).resolve().parent.parent)
    path = os.environ.get("PYTHONPATH")
    return dict(os.environ, PYTHONPATH=root + (os.pathsep + path if path else ""), PYTHONUNBUFFERED="1")
