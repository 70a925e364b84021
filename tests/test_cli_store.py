"""The encrypted store from the command line, as real subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

PY = [sys.executable, "-m", "edge_counsel"]


@pytest.fixture
def cli(tmp_path, data_home):
    secret = tmp_path / "pass.txt"
    secret.write_text("my cli passphrase\n")
    env = {**os.environ, "EDGE_COUNSEL_KDF_FAST": "1"}

    def run(*args, stdin="", ok=True):
        out = subprocess.run(PY + list(args) + ["--data-dir", str(data_home), "--passphrase-file", str(secret)],
                             input=stdin, capture_output=True, text=True, timeout=300, env=env)
        if ok:
            assert out.returncode == 0, out.stderr
        return out
    return run


def test_chat_is_saved_and_history_shows_it(cli, model_path, tmp_path):
    cli("chat", "--model", str(model_path), "--max-tokens", "16", "--temperature", "0",
        stdin="I can't sleep before exams.\n考试前我总是失眠。\n")
    listing = cli("history", "list").stdout.strip().splitlines()
    assert len(listing) == 1
    conv_id = listing[0].split()[0]
    shown = cli("history", "show", conv_id).stdout
    assert "I can't sleep before exams." in shown and "考试前我总是失眠。" in shown
    assert shown.count("assistant") >= 2 or shown.lower().count("counsel") >= 2 or len(shown.splitlines()) >= 4
    out = cli("history", "export", conv_id, "--out", str(tmp_path / "c.json"))
    assert "not encrypted" in out.stderr.lower()
    data = json.loads((tmp_path / "c.json").read_text(encoding="utf-8"))
    assert "考试前我总是失眠。" in json.dumps(data, ensure_ascii=False)


def test_history_without_a_store_says_so(cli):
    out = cli("history", "list", ok=False)
    assert out.returncode == 1 and "no store" in out.stderr and "Traceback" not in out.stderr


def test_history_unknown_id_is_clear(cli):
    cli("mood", "add", "3")  # creates the store
    out = cli("history", "show", "99", ok=False)
    assert out.returncode == 1 and "99" in out.stderr and "Traceback" not in out.stderr


def test_journal_add_list_and_reflect(cli, model_path):
    added = cli("journal", "add", stdin="Today I finally talked to my sister after weeks of silence. I felt relieved.")
    entry_id = added.stdout.strip().split()[-1]
    assert entry_id.isdigit()
    listing = cli("journal", "list").stdout
    assert listing.lstrip().startswith(entry_id) and "finally talked" in listing
    reflected = cli("journal", "reflect", entry_id, "--json", "--model", str(model_path))
    data = json.loads(reflected.stdout)
    assert data["themes"] and isinstance(data["themes"], list) and data["tone"]


def test_risky_journal_entry_prints_help(cli):
    out = cli("journal", "add", stdin="I wrote a goodbye note tonight. I don't want to be here anymore.")
    assert "988" in out.stderr or "12356" in out.stderr or "emergency" in out.stderr.lower()


def test_mood_add_and_list(cli):
    cli("mood", "add", "2", "--tags", "anxious,tired", "--note", "exam week")
    cli("mood", "add", "4", "--tags", "calm")
    rows = json.loads(cli("mood", "list", "--json").stdout)
    assert [r["score"] for r in rows] == [2, 4]
    assert rows[0]["tags"] == ["anxious", "tired"] and rows[0]["note"] == "exam week"
    bad = cli("mood", "add", "9", ok=False)
    assert bad.returncode != 0 and "1" in bad.stderr and "5" in bad.stderr
    unknown = cli("mood", "add", "3", "--tags", "grumpy", ok=False)
    assert unknown.returncode != 0 and "anxious" in unknown.stderr


def test_wrong_passphrase_exit_status(tmp_path, data_home, cli):
    cli("mood", "add", "3")
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not it")
    out = subprocess.run(PY + ["mood", "list", "--data-dir", str(data_home), "--passphrase-file", str(wrong)],
                         capture_output=True, text=True, timeout=60, env={**os.environ, "EDGE_COUNSEL_KDF_FAST": "1"})
    assert out.returncode == 1 and "passphrase" in out.stderr.lower()


def test_erase_all_needs_a_confirmation_then_erases_everything(cli):
    cli("journal", "add", stdin="A quiet evening walk helped.\n")
    cli("mood", "add", "4", "--note", "better")
    refused = cli("erase", "--all", ok=False)  # no terminal to ask on, no --yes
    assert refused.returncode == 1 and "--yes" in refused.stderr
    assert cli("journal", "list").stdout.strip()
    cli("erase", "--all", "--yes")
    assert cli("journal", "list").stdout.strip() == "" and json.loads(cli("mood", "list", "--json").stdout) == []
    assert cli("erase", ok=False).returncode == 2  # nothing named to erase


def test_erase_keychain_forgets_the_remembered_key(cli, data_home, memory_keyring):
    from edge_counsel.services.unlock import forget_remembered_key, unlock

    cli("mood", "add", "3")
    unlock(data_home, "my cli passphrase", remember=True).close()
    assert memory_keyring.items
    assert forget_remembered_key(data_home) and not memory_keyring.items
    assert not forget_remembered_key(data_home / "nowhere")
    assert "no longer kept" in cli("erase", "--keychain").stderr
