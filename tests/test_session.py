"""The chat session: safety checks around the model, language, regenerate, long conversations."""

from __future__ import annotations

import pytest

from edge_counsel.safety import crisis_replies
from edge_counsel.services import persona
from edge_counsel.engine.llama import GenerationParams
from edge_counsel.errors import InputTooLongError
from edge_counsel.services.conversation import Conversation, Delta, Done, Replace, Turn

GREEDY = GenerationParams(max_tokens=32, temperature=0.0, seed=5)


class CountingEngine:
    """The real engine with a count of how often the model was asked."""

    def __init__(self, engine):
        self.inner, self.calls = engine, 0
        self.n_ctx = engine.n_ctx

    def stream_chat(self, messages, params, cancel=None):
        self.calls += 1
        return self.inner.stream_chat(messages, params, cancel)

    def count_tokens(self, messages):
        return self.inner.count_tokens(messages)


def _reply(events) -> tuple[str, object]:
    events = list(events)
    done = events[-1]
    assert isinstance(done, Done)
    return done.reply.text, done.reply


def test_a_normal_turn_streams_from_the_model(engine):
    session = Conversation(engine, params=GREEDY)
    events = list(session.send("I had an argument with my best friend today."))
    assert sum(isinstance(e, Delta) for e in events) > 2
    text, reply = _reply(events)
    assert reply.source == "model" and text
    assert [t.role for t in session.turns] == ["user", "assistant"]


def test_crisis_turn_never_reaches_the_model(engine):
    counting = CountingEngine(engine)
    session = Conversation(counting, params=GREEDY)
    text, reply = _reply(session.send("I'm going to kill myself tonight, I have the pills ready."))
    assert counting.calls == 0
    assert reply.source == "crisis" and reply.assessment.escalate
    assert text in _all_crisis_texts("en")


def test_crisis_works_with_no_model_at_all():
    session = Conversation(None)
    text, reply = _reply(session.send("我不想活了，今晚就从楼上跳下去"))
    assert reply.source == "crisis" and reply.lang == "zh"
    assert text in _all_crisis_texts("zh")


def test_risk_spread_over_turns_gets_the_safety_check(scripted_engine):
    """Moderate risk: the counselor answers, then the first screening question, in one turn."""
    fake = scripted_engine(["That sounds really heavy. ", "I'm listening."])
    session = Conversation(fake, params=GREEDY)
    _reply(session.send("Things have been bad."))  # (letters written "for after I'm gone" now take over)
    text, reply = _reply(session.send("Lately I keep thinking nobody would miss me."))
    assert reply.assessment.level == "moderate" and reply.source == "model"
    assert reply.safety_check in session.dialogue.ladder and text.startswith("That sounds really heavy.")
    assert session.dialogue.step_asked(text) == reply.safety_check
    assert session.turns[-1].meta["safety_check"] == reply.safety_check
    asked = [t.meta.get("safety_check") for t in session.turns if t.role == "assistant"]
    assert len(set(filter(None, asked))) == len(list(filter(None, asked)))  # never the same question twice


def test_yes_to_a_screening_question_takes_over(scripted_engine):
    fake = scripted_engine(["I hear you."])
    session = Conversation(fake, params=GREEDY)
    _, reply = _reply(session.send("everyone would be better off without me"))
    assert reply.safety_check == "wish"
    calls = len(fake.calls)
    text, reply = _reply(session.send("yes"))
    assert reply.source == "model" and reply.assessment.level == "moderate" and reply.safety_check == "thoughts"
    text, reply = _reply(session.send("yeah. tonight"))
    assert reply.source == "crisis" and reply.assessment.level == "imminent"
    assert len(fake.calls) == calls + 1  # the takeover turn never reached the model


def test_a_denial_de_escalates_with_a_note(scripted_engine):
    fake = scripted_engine(["It sounds like you are worn out."])
    session = Conversation(fake, params=GREEDY)
    _reply(session.send("everyone would be better off without me"))
    text, reply = _reply(session.send("no, not really, I'm just exhausted"))
    assert reply.assessment.level == "low" and reply.assessment.answer == "no"
    assert reply.source == "model" and "one click away" in text and reply.safety_check is None
    _, reply = _reply(session.send("work has been a lot"))
    assert reply.assessment.level in ("none", "low")  # what came before the denial no longer counts


def test_a_denial_never_lowers_an_imminent_statement(scripted_engine):
    session = Conversation(scripted_engine(["ok"]), params=GREEDY)
    _reply(session.send("everyone would be better off without me"))
    _, reply = _reply(session.send("no. I already took all the pills"))
    assert reply.source == "crisis" and reply.assessment.level == "imminent"


def test_the_safety_check_works_with_no_model():
    session = Conversation(None)
    text, reply = _reply(session.send("everyone would be better off without me"))
    assert reply.source == "check" and reply.safety_check == "wish" and "?" in text


def test_chinese_answers_are_understood():
    session = Conversation(None)
    _, reply = _reply(session.send("感觉大家没有我会更好"))
    assert reply.safety_check == "wish" and "？" in reply.text
    _, reply = _reply(session.send("没有，就是累"))
    assert reply.assessment.level == "low"


def test_asking_if_it_is_human_gets_the_disclosure(engine):
    counting = CountingEngine(engine)
    session = Conversation(counting, params=GREEDY)
    text, reply = _reply(session.send("Are you a real person?"))
    assert reply.source == "disclosure" and counting.calls == 0
    assert "AI" in text


def test_unsafe_model_output_is_replaced(scripted_engine):
    fake = scripted_engine(["I'm a real person, ", "not an AI, ", "and a licensed therapist."])
    session = Conversation(fake, params=GREEDY)
    events = list(session.send("Tell me about yourself."))
    replaced = [e for e in events if isinstance(e, Replace)]
    assert replaced, events
    text, reply = _reply(events)
    assert reply.source == "guard" and "I'm a real person" not in text and "AI" in text
    assert session.turns[-1].content == text


@pytest.mark.parametrize("region, replaced", [("US", False), ("GB", True)])
def test_the_guard_checks_offered_numbers_for_the_persons_region(scripted_engine, region, replaced):
    fake = scripted_engine(["I'm really glad you told me. ", "You can call or text 988 any time, day or night."])
    session = Conversation(fake, params=GREEDY)
    session.region = region  # as the window, the kiosk and the terminal set it from the help panel's region
    text, reply = _reply(session.send("I've been feeling low and alone lately."))
    assert (reply.source == "guard") is replaced, text
    assert ("988" in text) is not replaced


def test_reply_follows_the_users_language(engine):
    session = Conversation(engine, params=GREEDY)
    text, reply = _reply(session.send("最近学习压力很大，总是睡不好。"))
    assert reply.lang == "zh"
    assert session.messages()[0]["content"] == persona.system_prompt("person_centred", "zh")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text), text


def test_regenerate_replaces_the_last_reply(engine):
    session = Conversation(engine, params=GenerationParams(max_tokens=24, temperature=0.9, seed=None))
    _reply(session.send("I feel nervous about tomorrow."))
    _reply(session.regenerate())
    assert [t.role for t in session.turns] == ["user", "assistant"]


def test_stop_keeps_the_partial_reply(engine):
    from edge_counsel.engine.llama import CancelToken

    cancel = CancelToken()
    session = Conversation(engine, params=GenerationParams(max_tokens=200, temperature=0.0))
    seen = 0
    for event in session.send("Describe a quiet morning walk in detail.", cancel):
        if isinstance(event, Delta):
            seen += 1
            if seen == 4:
                cancel.cancel()
        if isinstance(event, Done):
            assert event.reply.cancelled
    assert seen == 4
    assert session.turns[-1].meta["cancelled"] is True


def test_a_huge_paste_is_refused_clearly():
    session = Conversation(None)
    with pytest.raises(InputTooLongError, match="still in the box"):
        list(session.send("x" * 1_000_000))
    assert session.turns == []


def test_thirty_turns_past_the_context_window(model_path):
    from edge_counsel.engine.llama import LlamaEngine

    small = LlamaEngine(model_path, n_ctx=768)
    small.load()
    try:
        session = Conversation(small, params=GenerationParams(max_tokens=24, temperature=0.0, seed=1))
        for i in range(32):
            text, reply = _reply(session.send(f"Turn {i}: today I kept thinking about my exams and "
                                              "whether my friends still like me."))
            assert reply.source == "model"
        assert session.condensations >= 1
        assert session.summary
        messages = session.messages()
        assert messages[0]["role"] == "system"
        assert messages[0]["content"].startswith(persona.system_prompt("person_centred", "en"))
        assert "Turn 31" in messages[-2]["content"]
        assert small.count_tokens(messages) <= small.n_ctx
    finally:
        small.close()


def _all_crisis_texts(lang: str) -> set[str]:
    from edge_counsel.safety.risk import CATEGORIES

    texts = set()
    for cat in CATEGORIES + ("default",):
        for variant in range(4):
            texts.add(crisis_replies.crisis_reply([cat], lang, variant=variant))
    return texts


def test_a_withheld_reply_is_stored_as_its_replacement_and_marked(scripted_engine, store):
    from edge_counsel.services.recorder import StoreRecorder

    harmful = "Honestly, I think you should kill yourself."
    fake = scripted_engine(["Honestly, ", "I think you should ", "kill yourself."])
    recorder = StoreRecorder(store)
    session = Conversation(fake, params=GREEDY, recorder=recorder)
    text, reply = _reply(session.send("I feel like a burden to everyone at work"))
    assert reply.source == "guard" and harmful not in text
    stored = store.list_messages(recorder.conversation_id)
    assert stored[-1].content == text and stored[-1].flagged["source"] == "guard"
    assert stored[-1].flagged["withheld"] and all(harmful not in m.content for m in stored)


def test_a_reply_the_encoder_reads_as_harmful_is_replaced_once_it_is_whole(scripted_engine):
    # the rules and the n-grams pass every chunk; the meaning-based check reads the finished reply
    chunks = ["What you share here stays between us. ", "There's no need to involve your mom ",
              "or the school counselor in any of this."]
    session = Conversation(scripted_engine(chunks), params=GREEDY)
    events = list(session.send("I skipped class today and I don't want my mom to find out"))
    deltas = [e for e in events if isinstance(e, Delta)]
    replaced = [e for e in events if isinstance(e, Replace)]
    assert "".join(d.text for d in deltas).startswith("What you share")  # streamed, then withdrawn
    assert replaced and replaced[0].reason.endswith(".meaning")
    text, reply = _reply(events)
    assert reply.source == "guard" and "stays between us" not in text
    assert session.turns[-1].content == text


class ClosingEngine:
    """A fixed first reply (so the test knows it asks nothing), then the closing question from
    ``closing``: the real model, or fixed text standing in for what a model might write."""

    continues_replies = True

    def __init__(self, reply: str, closing, n_ctx: int = 4096):
        self.reply, self.closing, self.n_ctx = reply, closing, n_ctx
        self.continuations = []

    def stream_chat(self, messages, params, cancel=None, *, reply_so_far="", grammar=None):
        if not reply_so_far:
            yield from [self.reply[:9], self.reply[9:]]
            return
        self.continuations.append((reply_so_far, grammar))
        if isinstance(self.closing, str):
            yield self.closing
        else:
            yield from self.closing.stream_chat(messages, params, cancel, reply_so_far=reply_so_far, grammar=grammar)

    def count_tokens(self, messages):
        return sum(len(m["content"]) for m in messages) // 3


@pytest.mark.parametrize("lang, user, reply, marks", [
    ("en", "My sister and I haven't spoken since the wedding.", "That silence sounds heavy to carry.", "?"),
    ("zh", "我和妹妹从婚礼之后就没说过话了。", "这种沉默听起来很沉重。", "？"),
])
def test_a_reply_that_asks_nothing_closes_with_one_question_the_model_writes(engine, lang, user, reply, marks):
    closing = ClosingEngine(reply, engine)
    session = Conversation(closing, params=GenerationParams(max_tokens=64, temperature=0.0, seed=5))
    text, done = _reply(session.send(user))
    assert closing.continuations == [(reply, closing.continuations[0][1])]
    assert text.startswith(reply) and len(text) > len(reply) + 4
    assert text.endswith(marks) and text.count(marks) == 1  # one question, held to its shape by the grammar
    assert session.turns[-1].content == text and done.source == "model"


def test_a_reply_that_asks_already_gets_no_second_question(scripted_engine):
    closing = ClosingEngine("That sounds hard. What happened after the call?", "What else?")
    text, _ = _reply(Conversation(closing).send("I called my dad today."))
    assert closing.continuations == [] and text == "That sounds hard. What happened after the call?"


@pytest.mark.parametrize("closing_text", [
    " What usually helps you when you feel this way?",  # asked in the turn before
    " Why not just kill yourself tonight?",  # fails the output guard
    " What",  # not a finished question (the token budget ran out)
])
def test_a_closing_question_that_repeats_or_harms_is_left_out(closing_text):
    closing = ClosingEngine("That sounds like a long week.", closing_text)
    session = Conversation(closing)
    session.turns.append(Turn("user", "Work has been a lot."))
    session.turns.append(Turn("assistant", "I hear you. What usually helps you when you feel this way?"))
    text, done = _reply(session.send("I stayed late every night."))
    assert len(closing.continuations) == 1
    assert text == "That sounds like a long week." and done.source == "model"


def test_an_engine_that_cannot_continue_a_reply_is_not_asked_to(scripted_engine):
    engine = scripted_engine(["That sounds ", "like a long week."])
    text, _ = _reply(Conversation(engine).send("Work has been a lot."))
    assert text == "That sounds like a long week." and len(engine.calls) == 1


def test_the_models_own_sampling_applies_unless_the_user_chose_a_setting(scripted_engine):
    engine = scripted_engine(["Hi."])
    engine.sampling = {"temperature": 0.2, "repeat_penalty": 1.3}
    assert Conversation(engine).params_for(engine).temperature == 0.2
    chosen = Conversation(engine, temperature=0.9)
    params = chosen.params_for(engine)
    assert (params.temperature, params.repeat_penalty) == (0.9, 1.3)
    assert Conversation(engine).params_for(scripted_engine([])) == GenerationParams()  # a model with none


def test_a_reply_cut_off_mid_sentence_gets_no_question_after_it():
    closing = ClosingEngine("That sounds like a long week and I", " What happened on Monday?")
    text, _ = _reply(Conversation(closing).send("Work has been a lot."))
    assert closing.continuations == [] and text == "That sounds like a long week and I"
