"""History list/show/export: the lines the CLI prints and the files it writes (services.history)."""

from __future__ import annotations

import json
import stat
import time

import pytest

from edge_counsel import paths
from edge_counsel.errors import ConversationNotFoundError, ExportFormatError
from edge_counsel.services.history import EXPORT_WARNING, History
from edge_counsel.store.database import Store, open_store

KEY = bytes.fromhex("11" * 32)


@pytest.fixture
def store():
    with Store(open_store(paths.data_dir() / "counsel.db", KEY)) as opened:
        yield opened


@pytest.fixture
def talk(store):
    conv = store.create_conversation("Exam nerves", approach="cbt", lang="en")
    store.add_message(conv.id, "user", "I keep freezing in exams.\nEvery time.")
    reply = "What goes through your mind just before?"
    store.add_message(conv.id, "assistant", reply, flagged={"risk": "none"})
    return conv


def test_list_lines(store, talk):
    time.sleep(0.002)
    other = store.create_conversation("")
    store.add_message(other.id, "user", "你好")
    lines = History(store).lines()
    assert len(lines) == 2
    assert lines[0].split()[0] == str(other.id) and "1 message " in lines[0]
    assert lines[0].endswith("(untitled)")
    assert lines[1].split()[0] == str(talk.id) and "2 messages" in lines[1]
    assert lines[1].endswith("Exam nerves")
    assert lines[1].split()[1].count("-") == 2  # YYYY-MM-DD


def test_list_lines_empty(store):
    assert History(store).lines() == []


def test_show_lines(store, talk):
    assert History(store).transcript_lines(talk.id) == [
        "user: I keep freezing in exams.\nEvery time.",
        "assistant: What goes through your mind just before?",
    ]
    with pytest.raises(ConversationNotFoundError, match="42"):
        History(store).transcript_lines(42)


@pytest.mark.parametrize("name, fmt", [("talk.md", None), ("talk.txt", "markdown"), ("talk.MD", None)])
def test_export_markdown(store, talk, tmp_path, name, fmt):
    out = History(store).export(talk.id, tmp_path / name, fmt)
    text = out.read_text()
    assert text.startswith("# Exam nerves\n")
    assert "**You**" in text and "I keep freezing in exams.\nEvery time." in text
    assert "**Edge Counsel**" in text and "What goes through your mind" in text
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


@pytest.mark.parametrize("name, fmt", [("talk.json", None), ("talk.md", "json")])
def test_export_json(store, talk, tmp_path, name, fmt):
    record = json.loads(History(store).export(talk.id, tmp_path / name, fmt).read_text())
    assert record["title"] == "Exam nerves" and record["approach"] == "cbt"
    flags = [(m["role"], m["flagged"]) for m in record["messages"]]
    assert flags == [("user", None), ("assistant", {"risk": "none"})]


def test_export_refuses_before_writing(store, talk, tmp_path):
    with pytest.raises(ConversationNotFoundError):
        History(store).export(999, tmp_path / "x.md")
    with pytest.raises(ExportFormatError, match="json"):
        History(store).export(talk.id, tmp_path / "x.pdf")
    with pytest.raises(ExportFormatError):
        History(store).export(talk.id, tmp_path / "noext")
    assert list(tmp_path.glob("x*")) == [] and not (tmp_path / "noext").exists()


def test_export_warning_says_it_is_unencrypted():
    assert "NOT encrypted" in EXPORT_WARNING
