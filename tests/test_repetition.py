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



@pytest.mark.parametrize("earlier, reply, expected", [
    # an old question behind a new opening: the old clause goes, the sentence ends where the new one did
    (["她还是挂了，可能是因为你担心自己被其他学科所影响？"], "周末你一个人在宿舍复习到很晚，可能是因为你担心自己被其他学科所影响？",
     "周末你一个人在宿舍复习到很晚。"),
    (["Driving tests are stressful, and what would make the next one feel fairer?"],
     "That was a long day, and what would make the next one feel fairer?", "That was a long day."),
    # a middle clause said before goes; the clauses around it stay
    (["I hear you, that sounds exhausting."], "Okay, that sounds exhausting, tell me about Monday.",
     "Okay, tell me about Monday."),
])
def test_a_clause_said_before_is_dropped_even_behind_a_new_opening(earlier, reply, expected):
    assert stream(reply, earlier=earlier)[0] == expected


def test_a_question_that_differs_in_one_word_is_a_repeat():
    earlier = ["What would be a fair outcome with Sam making her happy?"]
    assert stream("Sam sounds kind. What would be the best outcome with Sam making her happy?",
                  earlier=earlier)[0] == "Sam sounds kind. "


def test_a_short_question_may_not_repeat_but_a_short_answer_may():
    assert stream("我明白。你希望什么？", earlier=["你希望什么？"])[0] == "我明白。"
    assert stream("嗯。我明白。", earlier=["嗯。我明白。"])[0] == "嗯。我明白。"


def test_said_before_knows_short_questions_and_clauses():
    repeats = RepeatFilter(["那你希望什么？", "Thanks for sharing, what happened next?"])
    assert repeats.said_before(" 你希望什么？") and repeats.said_before("What happened next?")
    assert not repeats.said_before("What did Maya say?")
