"""The conversation service: the one owner of a counseling conversation, from the user's words to
the stored reply. The window, the kiosk and ``edge-counsel chat`` all drive a turn through it.

A turn, in this order and whatever the model does:
1. ``submit``: the safety dialogue assesses the message with the whole conversation (both roles)
   as context, before the model sees anything; the turn is kept and recorded. The level picks the
   response (``risk.RESPONSES``):
   - high or imminent: the takeover. Scripted safe text; the turn never reaches the model.
   - moderate: the check. The model answers, and the next screening question of the ladder is
     added after its reply, one question per turn, in the user's language.
   - a denial of a screening question: the model answers, with a note that help stays one click
     away.
2. ``answer``: a question whether the assistant is a person is answered with the AI disclosure,
   not the model; otherwise the model streams a reply (less what it has already said:
   ``repetition.RepeatFilter``), and the output guard screens the accumulated reply before each
   chunk is released; an unsafe reply is cut off and replaced. A finished reply that asks nothing
   gets one closing question, written by the model but held to a question's shape by a grammar,
   and kept only if it is new and passes the guard.
3. ``commit``: the finished reply joins the conversation and is recorded (a replaced reply only as
   its replacement).

Threads: ``answer`` changes nothing; it may run on the inference worker while the owner (the UI
thread, or the terminal) calls ``submit``, ``commit``, ``retract``, ``new`` and ``resume``. A reply
that finishes after ``new`` or ``resume`` belongs to an earlier conversation and is not committed.

When the conversation nears the context window, ``answer`` condenses the oldest turns into a
summary for the system message and ``commit`` keeps it; the system prompt and the latest turns
always stay. Nothing here touches Qt; the ``recorder`` persists finished messages.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Iterator, Protocol, Sequence

from .. import lang as languages
from ..engine.llama import CancelToken, Engine, GenerationParams
from ..errors import EdgeCounselError, InputTooLongError
from ..safety import crisis_replies, disclosure
from ..safety.guard import OutputGuard, default_guard
from ..safety.risk import RiskAssessment, RiskDetector, default_detector
from ..safety.screening import SafetyDialogue
from . import persona
from .repetition import RepeatFilter

__all__ = ["Conversation", "Turn", "Submission", "Delta", "Replace", "Done", "Reply", "Recorder",
           "MAX_INPUT_CHARS"]

MAX_INPUT_CHARS = 12_000
KEEP_LAST_TURNS = 4  # messages that are never condensed away
_SUMMARY_TOKENS = 160
# A reply that asks nothing gets one question more, written by the model in its own words but held
# to the shape of a single question (GBNF): small models close most replies with a statement or
# with the question they asked last time (bench/counsel_eval.py measured both).
_QUESTION_TOKENS = 48
_QUESTION_GRAMMARS = {
    "en": r'''root ::= " " ("What" | "How" | "When" | "Who" | "Which" | "Would" | "Could" | "Is there" | "Do you" | "Have you" | "Can you") [^?.!\n]{6,110} "?"''',
    "zh": r'''root ::= [^?？.。!！\n]{6,40} "？"''',
}
_QUESTION_MARKS = ("?", "？")
_SENTENCE_ENDS = (".", "!", "。", "！", "…", ")", "）", "\"", "”", "~", "～")


@dataclass
class Turn:
    role: str  # "user" | "assistant"
    content: str
    meta: dict = field(default_factory=dict)

    @property
    def assessment(self) -> RiskAssessment | None:
        risk = self.meta.get("risk")
        return RiskAssessment.from_dict(risk) if risk else None


@dataclass(frozen=True)
class Submission:
    """What ``submit`` decided about a user turn, for the front end to act on."""
    assessment: RiskAssessment
    needs_model: bool  # False when there is an answer without a model (takeover, disclosure, check)
    save_error: str | None = None  # the turn is kept in memory but could not be saved


@dataclass(frozen=True)
class Delta:
    """More reply text to show."""
    text: str


@dataclass(frozen=True)
class Replace:
    """Replace everything shown so far for this reply with ``text``."""
    text: str
    reason: str


@dataclass(frozen=True)
class Reply:
    text: str
    source: str  # "model" | "crisis" | "disclosure" | "guard" | "check"
    lang: str
    assessment: RiskAssessment | None
    cancelled: bool = False
    safety_check: str | None = None  # the screening step asked at the end of this reply
    withheld: tuple[str, ...] = ()  # the guard's reasons when the model's reply was replaced
    epoch: int = 0  # which conversation it answers (``new``/``resume`` start another)
    condensed: tuple[str, int] | None = None  # (summary, turns it replaces), kept by ``commit``

    @property
    def meta(self) -> dict:
        """What is stored with the reply."""
        meta = {"source": self.source, "cancelled": self.cancelled, "lang": self.lang}
        if self.withheld:
            meta["withheld"] = list(self.withheld)  # so the transcript can say a reply was withheld
        if self.safety_check:
            meta["safety_check"] = self.safety_check
        return meta


@dataclass(frozen=True)
class Done:
    reply: Reply


Event = Delta | Replace | Done


class Recorder(Protocol):
    """Persists a conversation (``recorder.StoreRecorder`` into the encrypted store)."""
    def record(self, role: str, content: str, meta: dict | None = None) -> None: ...
    def retract_last_assistant(self) -> None: ...
    def restart(self, conversation_id: int | None = None) -> None: ...
    def messages(self, conversation_id: int) -> list[tuple[str, str, dict]]: ...


class Conversation:
    """One conversation with the counselor persona, and its safety dialogue."""

    def __init__(self, engine: Engine | None = None, *, approach: str = "person_centred",
                 params: GenerationParams | None = None, detector: RiskDetector | None = None,
                 guard: OutputGuard | None = None, recorder: Recorder | None = None,
                 has_safety_plan: bool = True, temperature: float | None = None) -> None:
        """``temperature``: the user's own (--temperature, the settings file), which wins over the
        model's; None follows the model's manifest (``engine.sampling``), as every other setting does."""
        self.engine = engine
        self.approach = approach
        self.params = params or GenerationParams()
        self.temperature = temperature
        self.detector = detector or default_detector()
        self.dialogue = SafetyDialogue(self.detector)
        self.guard = guard or default_guard()
        self.recorder = recorder
        self.has_safety_plan = has_safety_plan
        self.turns: list[Turn] = []
        self.summary = ""
        self.lang = "en"
        self.region: str | None = None  # the help panel's region, when known: the guard checks numbers for it
        self.condensations = 0
        self.epoch = 0

    # -- the owner's side ----------------------------------------------------------------------

    def assess(self, text: str) -> RiskAssessment:
        """Crisis assessment of a new message with the whole conversation as context."""
        return self.dialogue.assess(self.history() + [{"role": "user", "content": text}])

    def history(self) -> list[dict]:
        """The conversation as role/content pairs, as the safety dialogue reads it."""
        return [{"role": t.role, "content": t.content} for t in self.turns]

    def submit(self, text: str) -> Submission:
        """Assess, keep and record a user turn (raises InputTooLongError, keeping nothing)."""
        text = text.strip()
        if len(text) > MAX_INPUT_CHARS:
            raise InputTooLongError(
                f"That message is {len(text):,} characters; the limit is {MAX_INPUT_CHARS:,}. "
                "Your text is still in the box: send it in shorter parts, or keep the longer "
                "piece in the journal.")
        assessment = self.assess(text)
        self.lang = languages.detect_language(text, default=self.lang)
        error = self._keep(Turn("user", text, {"risk": assessment.to_dict(), "lang": self.lang}))
        # Without a model a takeover, a disclosure and a safety check still get their scripted text.
        scripted = assessment.escalate or disclosure.asks_if_human(text) or self._check_text(assessment)[1] != ""
        return Submission(assessment, not scripted, error)

    def commit(self, reply: Reply) -> str | None:
        """Keep and record a finished reply; returns why it could not be saved, if it could not.
        A reply to an earlier conversation (before ``new`` or ``resume``) is dropped."""
        if reply.epoch != self.epoch:
            return None
        if reply.condensed is not None:
            self.summary, dropped = reply.condensed
            del self.turns[:dropped]
            self.condensations += 1
        if not reply.text:
            return None
        return self._keep(Turn("assistant", reply.text, reply.meta))

    def retract(self) -> None:
        """Take back the last reply (to answer the same user turn again)."""
        if self.turns and self.turns[-1].role == "assistant":
            self.turns.pop()
            if self.recorder is not None:
                self.recorder.retract_last_assistant()

    def record_safe(self) -> str | None:
        """The crisis panel's "I'm safe right now", kept as the answer to "are you safe right now?",
        so the safety dialogue de-escalates on the next message as it would for a typed answer."""
        zh = self.lang == "zh"
        question = self.dialogue.steps["safe"].question["zh" if zh else "en"]
        meta = {"source": "safe_button", "lang": self.lang}
        return (self._keep(Turn("assistant", question, meta))
                or self._keep(Turn("user", "我现在是安全的" if zh else "I'm safe right now", meta)))

    def new(self) -> None:
        """Start an empty conversation (a reply still streaming will not be kept)."""
        self.epoch += 1
        self.turns, self.summary = [], ""
        if self.recorder is not None:
            self.recorder.restart(None)

    def clear_caches(self) -> None:
        """Drop what the safety net cached of this conversation's words (a lock, a kiosk visit's end)."""
        self.detector.clear_cache()
        self.guard.clear_cache()

    def resume(self, conversation_id: int) -> None:
        """Carry on in a saved conversation, recorded on from where it ended."""
        messages = self.recorder.messages(conversation_id)
        self.new()
        self.turns = [Turn(role, text, dict(meta or {})) for role, text, meta in messages]
        langs = [t.meta.get("lang") for t in self.turns if t.meta.get("lang")]
        self.lang = langs[-1] if langs else self.lang
        self.recorder.restart(conversation_id)

    def send(self, text: str, cancel: CancelToken | None = None) -> Iterator[Event]:
        """The whole turn in one thread (the terminal): submit, answer, commit."""
        self.submit(text)
        yield from self._answer_and_commit(cancel)

    def regenerate(self, cancel: CancelToken | None = None) -> Iterator[Event]:
        """Retract the last reply and answer the same user turn again, in one thread."""
        self.retract()
        yield from self._answer_and_commit(cancel)

    def _answer_and_commit(self, cancel: CancelToken | None) -> Iterator[Event]:
        for event in self.answer(cancel):
            if isinstance(event, Done):
                self.commit(event.reply)
            yield event

    def _keep(self, turn: Turn) -> str | None:
        self.turns.append(turn)
        if self.recorder is None:
            return None
        try:
            self.recorder.record(turn.role, turn.content, turn.meta)
        except EdgeCounselError as exc:  # kept in memory; the front end says it was not saved
            return str(exc)
        return None

    # -- the answer (may run on the inference worker) ------------------------------------------

    def answer(self, cancel: CancelToken | None = None, engine: Engine | None = None) -> Iterator[Event]:
        """Answer the latest user turn: scripted on crisis or disclosure, else the guarded model.
        Reads the conversation and changes nothing: the Done reply goes to ``commit``."""
        engine = engine or self.engine
        turns, epoch = list(self.turns), self.epoch
        user = _last_user(turns)
        assessment = user.assessment
        if assessment is not None and assessment.escalate:
            variant = sum(t.meta.get("source") == "crisis" for t in turns)
            text = crisis_replies.crisis_reply(assessment.categories, self.lang, variant=variant,
                                               with_plan=self.has_safety_plan)
            yield from _scripted(Reply(text, "crisis", self.lang, assessment, epoch=epoch))
        elif disclosure.asks_if_human(user.content):
            yield from _scripted(Reply(disclosure.ai_answer(self.lang), "disclosure", self.lang, assessment, epoch=epoch))
        else:
            yield from self._model_reply(engine, turns, epoch, assessment, cancel)

    def _check_text(self, assessment: RiskAssessment | None) -> tuple[str | None, str]:
        """(screening step, text) to add after the model's reply: the next question at moderate
        (none once every question has been asked), a note after a denial, nothing otherwise."""
        if assessment is None:
            return None, ""
        if assessment.answer == "no":
            return None, self.dialogue.denial_note(self.lang)
        if assessment.response != "check":
            return None, ""
        nxt = self.dialogue.next_question(self.history(), self.lang)
        return nxt if nxt is not None else (None, "")  # every question asked: the help button stays lit

    def warm(self, lang: str | None = None, cancel: CancelToken | None = None,
             engine: Engine | None = None) -> int:
        """Pre-evaluate what the next reply's prompt starts with (the persona for ``lang``, and the
        turns so far of a resumed conversation) so that reply starts sooner; returns the tokens
        evaluated. Stops at ``cancel``; skipped when the next reply would condense the turns anyway.
        Like ``answer``, it only reads the conversation."""
        engine = engine or self.engine
        if engine is None or not hasattr(engine, "prime"):
            return 0
        messages = self.messages(lang=lang)
        if self.turns and engine.count_tokens(messages) > engine.n_ctx - self.params.max_tokens - 32:
            return 0  # as ``_fit_context`` decides
        return engine.prime(messages, cancel)

    def messages(self, turns: Sequence[Turn] | None = None, summary: str | None = None,
                 lang: str | None = None) -> list[dict]:
        """What the model is given: system prompt (with any summary) and the kept turns."""
        lang = lang or self.lang
        turns = self.turns if turns is None else turns
        summary = self.summary if summary is None else summary
        system = persona.system_prompt(self.approach, lang)
        if summary:
            system += "\n\n" + _summary_heading(lang) + summary
        return ([{"role": "system", "content": system}] + persona.examples(lang)
                + [{"role": t.role, "content": t.content} for t in turns])

    def _model_reply(self, engine, turns: list[Turn], epoch: int, assessment,
                     cancel: CancelToken | None) -> Iterator[Event]:
        step, extra = self._check_text(assessment)
        if engine is None:
            if extra:  # the safety check never waits for a model
                yield from _scripted(Reply(extra, "check", self.lang, assessment, safety_check=step, epoch=epoch))
                return
            raise RuntimeError("no model is loaded")
        condensed = self._fit_context(engine, turns)
        summary, dropped = condensed or (self.summary, 0)
        shown, source = "", "model"
        params = self.params_for(engine)
        stream = engine.stream_chat(self.messages(turns[dropped:], summary), params, cancel)
        repeats = self._said(turns)
        for chunk in _without_repeats(stream, repeats):
            # partial=True: a match at the very end waits for the next chunk, so a safe reply
            # cut mid-phrase ("I'm a person" + "-centred AI") is not replaced by mistake.
            verdict = self.guard.screen(shown + chunk, self.lang, partial=True, region=self.region)
            if not verdict.safe:
                break
            shown += chunk
            yield Delta(chunk)
        else:
            verdict = self.guard.screen(shown, self.lang, region=self.region)
            if verdict.safe and not extra and not (cancel and cancel.cancelled):
                question = self._closing_question(engine, params, turns[dropped:], summary, shown, repeats, cancel)
                if question:
                    shown += question
                    yield Delta(question)
        withheld = ()
        if not verdict.safe:  # the harmful text is never kept: only the replacement is recorded
            shown, source, withheld = verdict.replacement, "guard", verdict.reasons
            yield Replace(shown, "; ".join(verdict.reasons))
        text = shown.strip()
        if extra:
            yield Delta(("\n\n" if text else "") + extra)
            text = (text + "\n\n" + extra).strip()
        yield Done(Reply(text, source, self.lang, assessment, bool(cancel and cancel.cancelled), step,
                         tuple(withheld), epoch, condensed))

    def params_for(self, engine) -> GenerationParams:
        """This conversation's settings with the model's own (its manifest's ``"sampling"``), and the
        user's temperature when they chose one."""
        params = self.params.with_overrides(getattr(engine, "sampling", None))
        return params if self.temperature is None else dataclasses.replace(params, temperature=self.temperature)

    def _closing_question(self, engine, params: GenerationParams, turns: list[Turn], summary: str, shown: str,
                          repeats: RepeatFilter, cancel: CancelToken | None) -> str:
        """One open question to close a reply that asks none, or "" (a model without continuation,
        a language without a grammar, a reply cut off mid-sentence, or a question that repeats one
        already asked or fails the guard)."""
        grammar = _QUESTION_GRAMMARS.get(self.lang)
        text = shown.rstrip()
        if not text.endswith(_SENTENCE_ENDS) or grammar is None or not getattr(engine, "continues_replies", False) \
                or any(mark in text for mark in _QUESTION_MARKS):
            return ""  # nothing said, cut off mid-sentence (max_tokens), or a question asked already
        params = dataclasses.replace(params, max_tokens=_QUESTION_TOKENS)
        question = "".join(engine.stream_chat(self.messages(turns, summary), params, cancel,
                                              reply_so_far=text, grammar=grammar))
        if not question.rstrip().endswith(_QUESTION_MARKS) or repeats.said_before(question) \
                or not self.guard.screen(text + question, self.lang, region=self.region).safe:
            return ""
        return question if shown == text else question.lstrip()

    def _said(self, turns: Sequence[Turn]) -> RepeatFilter:
        """What the counselor has said (this conversation's replies and the worked examples), for
        the reply not to say again."""
        examples = [m["content"] for m in persona.examples(self.lang) if m["role"] == "assistant"]
        return RepeatFilter(examples + [t.content for t in turns if t.role == "assistant"])

    def _fit_context(self, engine, turns: list[Turn]) -> tuple[str, int] | None:
        """(summary, turns it replaces) when the prompt would leave no room for a full reply."""
        budget = engine.n_ctx - self.params.max_tokens - 32
        summary, dropped = self.summary, 0
        while engine.count_tokens(self.messages(turns[dropped:], summary)) > budget:
            kept = turns[dropped:]
            old = kept[:-KEEP_LAST_TURNS] if len(kept) > KEEP_LAST_TURNS else []
            if not old:
                raise InputTooLongError(
                    "The latest messages alone fill the model's memory. Start a new conversation, "
                    "or send shorter messages.")
            take = old[: max(2, len(old) // 2 + len(old) % 2)]
            summary = self._summarise(engine, take, summary)
            dropped += len(take)
        return (summary, dropped) if dropped else None

    def _summarise(self, engine, turns: Sequence[Turn], earlier: str) -> str:
        """A short summary of ``turns`` (and any earlier summary) written by the model."""
        transcript = "\n".join(f"{_speaker(t.role, self.lang)}: {t.content}" for t in turns)
        if earlier:
            transcript = earlier + "\n" + transcript
        prompt = [{"role": "system", "content": persona.summary_instruction(self.lang)},
                  {"role": "user", "content": transcript[-6000:]}]
        params = GenerationParams(max_tokens=_SUMMARY_TOKENS, temperature=0.2, seed=0)
        try:
            text = "".join(engine.stream_chat(prompt, params)).strip()
        except InputTooLongError:
            text = ""
        return text or _extractive_summary(turns, earlier)


def _without_repeats(stream: Iterator[str], repeats: RepeatFilter) -> Iterator[str]:
    """The model's stream less the sentences it has already said (``repetition.RepeatFilter``)."""
    for chunk in stream:
        if text := repeats.feed(chunk):
            yield text
    if text := repeats.finish():
        yield text


def _scripted(reply: Reply) -> Iterator[Event]:
    yield Delta(reply.text)
    yield Done(reply)


def _last_user(turns: Sequence[Turn]) -> Turn:
    for turn in reversed(turns):
        if turn.role == "user":
            return turn
    raise RuntimeError("answer() with no user turn")


def _speaker(role: str, lang: str) -> str:
    if lang == "zh":
        return "来访者" if role == "user" else "咨询助手"
    return "User" if role == "user" else "Counselor"


def _summary_heading(lang: str) -> str:
    return "此前对话的摘要：" if lang == "zh" else "Summary of the conversation so far: "


def _extractive_summary(turns: Sequence[Turn], earlier: str) -> str:
    """Fallback when the model gives no summary: the user's own words, shortened."""
    said = [t.content[:160] for t in turns if t.role == "user"]
    return " / ".join(filter(None, [earlier] + said))[-1200:]
