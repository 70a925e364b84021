"""A crash prints where it happened (every thread's stack) to stderr, and nothing the user wrote."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

# The command's own entry point, with the models command swapped for a segfault that happens while
# a user's words are in a local variable.
CRASH = """
import faulthandler
import edge_counsel.cli.main as cli

def _crash_in_a_command(args):
    words = "my private words 12345"
    faulthandler._sigsegv()

cli._cmd_models = _crash_in_a_command
cli.main(["models"])
"""


def test_a_crash_prints_a_stack_trace_without_user_content(data_home):
    env = {**os.environ, "EDGE_COUNSEL_HOME": str(data_home)}
    env.pop("PYTHONFAULTHANDLER", None)  # the command must turn it on itself
    out = subprocess.run([sys.executable, "-c", CRASH], capture_output=True, text=True, timeout=60, env=env)
    assert out.returncode == -signal.SIGSEGV
    assert "Fatal Python error: Segmentation fault" in out.stderr
    assert "_crash_in_a_command" in out.stderr and "edge_counsel/cli/main.py" in out.stderr
    assert "private words" not in out.stderr


def test_without_a_usable_stderr_it_does_nothing(monkeypatch):
    import faulthandler

    from edge_counsel.crashes import enable_crash_traces

    was_enabled = faulthandler.is_enabled()
    faulthandler.disable()
    try:
        monkeypatch.setattr(sys, "stderr", None)
        enable_crash_traces()
        assert not faulthandler.is_enabled()
    finally:
        if was_enabled:  # pytest's own crash traces
            faulthandler.enable(file=sys.__stderr__)
