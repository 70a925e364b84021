"""A counseling conversation: the order of safety checks around the model.

For every user turn, in this order and whatever the model does:
1. the safety dialogue assesses the message with the whole conversation (both roles) as context,
   before the model sees anything, and the level picks the response (``risk.RESPONSES``):
   - high or imminent: the takeover. Scripted safe text; the turn never reaches the model.
   - moderate: the check. The model answers, and the next screening question of the ladder is
     added after its reply, one question per turn, in the user's language.
   - a denial of a screening question: the model answers, with a note that help stays one click
     away.
2. a question whether the assistant is a person is answered with the AI disclosure, not the model;
3. otherwise the model streams a reply, and the output guard screens the accumulated reply before
   each chunk is released; an unsafe reply is cut off and replaced.

When the conversation nears the context window, the oldest turns are condensed into a summary in
the system message; the system prompt and the latest turns always stay. Nothing here touches Qt or
the disk: a ``recorder`` callback persists finished messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterator, Sequence

from ..engine.llama import CancelToken, Engine, GenerationParams
from ..errors import InputTooLongError
from ..lang import detect_language
from ..safety import crisis_replies, disclosure
from ..safety.guard import OutputGuard, default_guard
from ..safety.risk import RiskAssessment, RiskDetector, default_detector
from ..safety.screening import SafetyDialogue
from . import persona

__all__ = ["ChatSession", "Turn", "Delta", "Replace", "Done", "Reply", "MAX_INPUT_CHARS"]

MAX_INPUT_CHARS = 12_000
KEEP_LAST_TURNS = 4  # messages that are never condensed away
_SUMMARY_TOKENS = 160


@dataclass
class Turn:
    role: str  # "user" | "assistant"
    content: str
    meta: dict = field(default_factory=dict)


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
    source: str  # "model" | "crisis" | "disclosure" | "guard" | "error"
    lang: str
    assessment: RiskAssessment | None
    cancelled: bool = False
    safety_check: str | None = None  # the screening step asked at the end of this reply
    withheld: tuple[str, ...] = ()  # the guard's reasons when the model's reply was replaced


@dataclass(frozen=True)
class Done:
    reply: Reply


Event = Delta | Replace | Done
Recorder = Callable[[Turn], None]


class ChatSession:
    """One conversation with the counselor persona."""

    def __init__(self, engine: Engine | None, *, approach: str = "person_centred",
                 params: GenerationParams | None = None, detector: RiskDetector | None = None,
                 guard: OutputGuard | None = None, recorder: Recorder | None = None,
                 has_safety_plan: bool = True) -> None:
        self.engine = engine
        self.approach = approach
        self.params = params or GenerationParams()
        self.detector = detector or default_detector()
        self.dialogue = SafetyDialogue(self.detector)
        self.guard = guard or default_guard()
        self.recorder = recorder
        self.has_safety_plan = has_safety_plan
        self.turns: list[Turn] = []
        self.summary = ""
        self.lang = "en"
        self.condensations = 0
        self._crisis_count = 0

    # -- the turn ------------------------------------------------------------------------------

    def assess(self, text: str) -> RiskAssessment:
        """Crisis assessment of a new message with the whole conversation as context."""
        return self.dialogue.assess(self._conversation() + [{"role": "user", "content": text}])

    def _conversation(self) -> list[dict]:
        return [{"role": t.role, "content": t.content} for t in self.turns]

    def add_user(self, text: str, assessment: RiskAssessment | None = None) -> RiskAssessment:
        """Record a user turn; returns its risk assessment (made here if not given)."""
        text = text.strip()
        if len(text) > MAX_INPUT_CHARS:
            raise InputTooLongError(
                f"That message is {len(text):,} characters; the limit is {MAX_INPUT_CHARS:,}. "
                "Your text is still in the box: send it in shorter parts, or keep the longer "
                "piece in the journal.")
        assessment = assessment or self.assess(text)
        self.lang = detect_language(text, default=self.lang)
        turn = Turn("user", text, {"risk": assessment.to_dict(), "lang": self.lang})
        self._append(turn)
        return assessment

    def reply(self, cancel: CancelToken | None = None) -> Iterator[Event]:
        """Answer the latest user turn: scripted on crisis or disclosure, else the guarded model."""
        user = self._last_user()
        assessment = _assessment_of(user)
        if assessment is not None and assessment.escalate:
            self._crisis_count += 1
            text = crisis_replies.crisis_reply(assessment.categories, self.lang, variant=self._crisis_count - 1,
                                               with_plan=self.has_safety_plan)
            yield from self._finish_scripted(text, "crisis", assessment)
        elif disclosure.asks_if_human(user.content):
            yield from self._finish_scripted(disclosure.ai_answer(self.lang), "disclosure", assessment)
        else:
            yield from self._model_reply(assessment, cancel, self._check_text(assessment))

    def _check_text(self, assessment: RiskAssessment | None) -> tuple[str | None, str]:
        """(screening step, text) to add after the model's reply: the next question at moderate
        (none once every question has been asked), a note after a denial, nothing otherwise."""
        if assessment is None:
            return None, ""
        if assessment.answer == "no":
            return None, self.dialogue.denial_note(self.lang)
        if assessment.response != "check":
            return None, ""
        nxt = self.dialogue.next_question(self._conversation(), self.lang)
        return nxt if nxt is not None else (None, "")  # every question asked: the help button stays lit

    def send(self, text: str, cancel: CancelToken | None = None) -> Iterator[Event]:
        """``add_user`` then ``reply``: the whole turn."""
        return self.send_assessed(text, None, cancel)

    def send_assessed(self, text: str, assessment: RiskAssessment | None,
                      cancel: CancelToken | None = None) -> Iterator[Event]:
        """The whole turn, with a risk assessment the caller already made (or None)."""
        self.add_user(text, assessment)
        yield from self.reply(cancel)

    def regenerate(self, cancel: CancelToken | None = None) -> Iterator[Event]:
        """Drop the last reply and answer the same user turn again."""
        if self.turns and self.turns[-1].role == "assistant":
            self.turns.pop()
            retract = getattr(self.recorder, "retract_last_assistant", None)
            if retract is not None:
                retract()
        yield from self.reply(cancel)

    def warm(self, lang: str | None = None, cancel: CancelToken | None = None) -> int:
        """Pre-evaluate the persona prefix (for ``lang``) so the first reply starts sooner."""
        if self.engine is None or self.turns or not hasattr(self.engine, "prime"):
            return 0
        self.lang = lang or self.lang
        return self.engine.prime(self.messages(), cancel)

    def messages(self) -> list[dict]:
        """What the model is given: system prompt (with any summary) and the kept turns."""
        system = persona.system_prompt(self.approach, self.lang)
        if self.summary:
            system += "\n\n" + _summary_heading(self.lang) + self.summary
        return ([{"role": "system", "content": system}] + persona.examples(self.lang)
                + [{"role": t.role, "content": t.content} for t in self.turns])

    # -- internals -----------------------------------------------------------------------------

    def _append(self, turn: Turn) -> None:
        self.turns.append(turn)
        if self.recorder is not None:
            self.recorder(turn)

    def _last_user(self) -> Turn:
        for turn in reversed(self.turns):
            if turn.role == "user":
                return turn
        raise RuntimeError("reply() with no user turn")

    def _finish_scripted(self, text: str, source: str, assessment, step: str | None = None) -> Iterator[Event]:
        yield Delta(text)
        reply = Reply(text, source, self.lang, assessment, safety_check=step)
        self._append(Turn("assistant", text, {"source": source}))
        yield Done(reply)

    def _model_reply(self, assessment, cancel: CancelToken | None,
                     check: tuple[str | None, str] = (None, "")) -> Iterator[Event]:
        step, extra = check
        if self.engine is None:
            if extra:  # the safety check never waits for a model
                yield from self._finish_scripted(extra, "check", assessment, step)
                return
            raise RuntimeError("no model is loaded")
        self._fit_context()
        shown, source = "", "model"
        for chunk in self.engine.stream_chat(self.messages(), self.params, cancel):
            # partial=True: a match at the very end waits for the next chunk, so a safe reply
            # cut mid-phrase ("I'm a person" + "-centred AI") is not replaced by mistake.
            verdict = self.guard.screen(shown + chunk, self.lang, partial=True)
            if not verdict.safe:
                break
            shown += chunk
            yield Delta(chunk)
        else:
            verdict = self.guard.screen(shown, self.lang)
        withheld = ()
        if not verdict.safe:  # the harmful text is never kept: only the replacement is recorded
            shown, source, withheld = verdict.replacement, "guard", verdict.reasons
            yield Replace(shown, "; ".join(verdict.reasons))
        cancelled = bool(cancel and cancel.cancelled)
        text = shown.strip()
        if extra:
            yield Delta(("\n\n" if text else "") + extra)
            text = (text + "\n\n" + extra).strip()
        meta = {"source": source, "cancelled": cancelled}
        if withheld:
            meta["withheld"] = list(withheld)  # so the transcript can say a reply was withheld, and why
        if step:
            meta["safety_check"] = step
        if text:
            self._append(Turn("assistant", text, meta))
        yield Done(Reply(text, source, self.lang, assessment, cancelled, step, tuple(withheld)))

    def _budget(self) -> int:
        return self.engine.n_ctx - self.params.max_tokens - 32

    def _fit_context(self) -> None:
        """Condense the oldest turns until the prompt leaves room for a full reply."""
        while self.engine.count_tokens(self.messages()) > self._budget():
            old = self.turns[:-KEEP_LAST_TURNS] if len(self.turns) > KEEP_LAST_TURNS else []
            if not old:
                raise InputTooLongError(
                    "The latest messages alone fill the model's memory. Start a new conversation, "
                    "or send shorter messages.")
            take = old[: max(2, len(old) // 2 + len(old) % 2)]
            self.summary = self._summarise(take)
            del self.turns[: len(take)]
            self.condensations += 1

    def _summarise(self, turns: Sequence[Turn]) -> str:
        """A short summary of ``turns`` (and any earlier summary) written by the model."""
        transcript = "\n".join(f"{_speaker(t.role, self.lang)}: {t.content}" for t in turns)
        if self.summary:
            transcript = self.summary + "\n" + transcript
        prompt = [{"role": "system", "content": persona.summary_instruction(self.lang)},
                  {"role": "user", "content": transcript[-6000:]}]
        params = GenerationParams(max_tokens=_SUMMARY_TOKENS, temperature=0.2, seed=0)
        try:
            text = "".join(self.engine.stream_chat(prompt, params)).strip()
        except InputTooLongError:
            text = ""
        return text or _extractive_summary(turns, self.summary)


def _assessment_of(turn: Turn) -> RiskAssessment | None:
    risk = turn.meta.get("risk")
    if not risk:
        return None
    return RiskAssessment.from_dict(risk)


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
