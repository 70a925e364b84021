"""Crash traces: when the process dies of a fatal signal (a segfault inside llama.cpp or Qt, an
abort), Python's stacks of every thread are printed to stderr, so a crash report says where.

Invariant: the trace holds file names, line numbers and function names only. faulthandler never
prints a variable's value, so no user content can reach it.
"""

from __future__ import annotations

import faulthandler
import io
import sys

__all__ = ["enable_crash_traces"]


def enable_crash_traces() -> None:
    """Turn faulthandler on for stderr, once; a process with no usable stderr goes without."""
    if faulthandler.is_enabled() or sys.stderr is None:
        return
    try:
        faulthandler.enable(file=sys.stderr, all_threads=True)
    except (AttributeError, ValueError, RuntimeError, io.UnsupportedOperation):
        pass  # stderr is no real file (a windowed bundle, a captured stream): nothing to print to
