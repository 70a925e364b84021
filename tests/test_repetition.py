"""The repeat filter: a reply does not say again what the counselor already said."""

from __future__ import annotations

import pytest

from edge_counsel.services.repetition import RepeatFilter

EARLIER = ["That sounds really hard. What usually helps you when you feel this way?",
           "又一次没通过，听起来真的很失落。这件事里让你最难受的是什么？"]


def stream(text: str, earlier=EARLIER, size: int = 3) -> tuple[str, list[str]]:
    """(what is shown, the pieces in which it was shown) for ``text`` streamed in small chunks."""
    repeats, shown = RepeatFilter(earlier), []
    for start in range(0, len(text), size):
        if piece := repeats.feed(text[start:start + size]):
            shown.append(piece)
    if tail := repeats.finish():
        shown.append(tail)
    return "".join(shown), shown


@pytest.mark.parametrize("reply, expected", [
    ("Losing your place must be frustrating. What usually helps you when you feel this way?",
     "Losing your place must be frustrating. "),
    ("Losing your place must be frustrating. What usually helps you, when you feel this way!",
     "Losing your place must be frustrating. "),
    ("和朋友闹僵了，你一定很难过。这件事里让你最难受的是什么？", "和朋友闹僵了，你一定很难过。"),
])
def test_a_sentence_said_before_is_never_shown(reply, expected):
    assert stream(reply)[0] == expected


def test_new_text_streams_as_it_comes():
    text, pieces = stream("Your voice shaking in front of Dr. Patel sounds scary. Which moment stays with you most?")
    assert text.startswith("Your voice shaking") and text.endswith("most?")
    assert len(pieces) > 5  # shown chunk by chunk, not held to the end


def test_a_sentence_that_starts_like_an_old_one_but_differs_is_shown():
    reply = "What usually helps you is worth knowing, but first: how did Maya react when you told her?"
    assert stream(reply)[0] == reply


def test_a_sentence_repeated_within_the_same_reply_is_dropped():
    reply = "I hear how tired you are. I hear how tired you are. Tell me more about Tuesday."
    assert stream(reply, earlier=[])[0] == "I hear how tired you are. Tell me more about Tuesday."


def test_short_sentences_may_repeat():
    assert stream("Yes. I see. Yes.", earlier=["Yes. I see."])[0] == "Yes. I see. Yes."


def test_a_reply_of_nothing_but_repeats_is_kept_rather_than_silent():
    reply = "What usually helps you when you feel this way?"
    assert stream(reply)[0] == reply

