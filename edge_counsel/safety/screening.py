"""The safety dialogue: the app's screening questions and what the user's answers mean.

A crisis detector that reads only the user's words cannot tell what "yes" or "tonight" means.
This module reads the conversation with roles: when the assistant's last message asked one of the
screening questions (ours or any similar wording) and the user answers, the answer moves the level
the way the Columbia screener's yes/no ladder does (wish to be dead -> thoughts of ending one's
life -> method -> intent -> plan -> recent behaviour, plus "are you safe right now").

Invariants:
- The detector's verdict on the user's words always counts; an affirmative answer can only raise
  it. A denial lowers it to "low", and what came before the denial stops counting for later turns;
  it never lowers what the answering message itself says at high or imminent ("no, I already took
  them").
- An unsure, evasive or refusing answer ("idk", "why do you ask", "换个话题吧") is never read as a
  denial: it holds the level at "moderate" at least, never lowers it, and keeps earlier answers
  counting.
- Answers and questions are read by their key idea, in English, Simplified, Traditional and
  Cantonese (folded to Mandarin), with slang, emoji and gestures as words; the patterns live in
  ``screening.json``.
- No model, no I/O beyond reading ``data/risk/screening.json`` once; deterministic.
- Questions are asked one at a time, in the user's language, and never twice in a conversation.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence, TextIO

from ..lang import to_simplified
from .risk import LEVELS, RiskAssessment, RiskDetector, default_detector

__all__ = ["Step", "SafetyDialogue", "default_dialogue", "as_messages", "check_risk_stream"]

_RANK = {level: rank for rank, level in enumerate(LEVELS)}
_QUESTION = re.compile(r"[^.!?。！？\n:：;；]*(?:[?？]|[吗嘛么呢]\s*$)")
_MOST_SPECIFIC_FIRST = ("unsafe", "safe", "behaviour", "plan", "intent", "method", "others", "thoughts", "wish")
_REPEATS = re.compile(r"([a-z])\1{2,}")  # "yesss", "nooo"
_SPACES = re.compile(r"\s+")
# Either-or questions: "do you mean X, or Y?", "你是说X，还是Y？"; answers that pick by position.
_EITHER_OR = re.compile(r",? or |还是|或者是|或者|或是")
_PICKS = (re.compile(r"\b(?:first|former|1st)\b|前者|第一个|前面那个|前一个"),
          re.compile(r"\b(?:second|latter|2nd|last one)\b|后者|第二个|后面那个|后一个"))
_WORD = re.compile(r"[a-z']{3,}")
_HAN_PAIR = re.compile(r"(?=([\u4e00-\u9fff]{2}))")
_COMMON = frozenset("you your you're mean like more the and that this are about just really kind sort what "
                    "was were have has been feel feeling thinking think want wanting get getting".split()
                    + ["你是", "是说", "就是", "觉得", "是不", "不是", "有没", "没有", "一下", "的话", "那种", "这种"])


@dataclass(frozen=True)
class Step:
    name: str
    yes_level: str
    no_means_safe: bool
    category: str
    recognise: re.Pattern
    question: dict[str, str]


def as_messages(turns_or_messages: Sequence) -> list[dict]:
    """Messages with roles from either a list of user turns or a list of role/content dicts."""
    out = []
    for item in turns_or_messages:
        if isinstance(item, str):
            out.append({"role": "user", "content": item})
        elif isinstance(item, dict) and isinstance(item.get("content"), str):
            out.append({"role": "assistant" if item.get("role") == "assistant" else "user",
                        "content": item["content"]})
    return out


def _lower(text: str) -> str:
    return to_simplified(text).lower().replace("\u2019", "'").replace("\u2018", "'")


def _any_of(patterns: list[str]) -> re.Pattern:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


def _rules(pairs: list[list[str]]) -> list[tuple[re.Pattern, str]]:
    return [(re.compile(pattern), replacement) for pattern, replacement in pairs]


class SafetyDialogue:
    """Assesses a conversation with roles, and picks the next screening question to ask."""

    def __init__(self, detector: RiskDetector | None = None, data_path: Path | None = None):
        from ..paths import PACKAGE_DATA

        data = json.loads(Path(data_path or PACKAGE_DATA / "risk" / "screening.json").read_text(encoding="utf-8"))
        self.detector = detector or default_detector()
        self.steps = {name: Step(name, s["yes_level"], s["no_means_safe"], s["category"],
                                 _any_of(s["recognise"]), s["question"])
                      for name, s in data["steps"].items()}
        self.ladder: tuple[str, ...] = tuple(data["ladder"])
        self._rewrite = _rules(data["rewrite"])
        self._answer_rewrite = _rules(data["answer_rewrite"])
        self._answers = {name: _any_of(patterns) for name, patterns in data["answers"].items()}
        self._denial_note: dict[str, str] = data["denial_note"]

    # -- reading the conversation ----------------------------------------------------------------

    def step_asked(self, assistant_text: str) -> str | None:
        """The screening step the last question in an assistant message asks, if any."""
        low = self._read(assistant_text)
        questions = list(_QUESTION.finditer(low))
        if not questions:
            return None
        last = questions[-1]
        for span in (last.group(), low[max(0, last.start() - 160):last.end()]):  # then with its lead-in
            for name in _MOST_SPECIFIC_FIRST:
                if self.steps[name].recognise.search(span):
                    return name
        return None

    def _read(self, text: str) -> str:
        """Text as the patterns see it: simplified, lower-case, Cantonese and net slang in Mandarin."""
        low = _REPEATS.sub(r"\1", _lower(text))
        for pattern, replacement in self._rewrite:
            low = pattern.sub(replacement, low)
        return low

    def _read_answer(self, text: str) -> str:
        """An answer as the patterns see it: also emoji and gestures as words, leading fillers gone."""
        low = self._read(text)
        for pattern, replacement in self._answer_rewrite:
            low = pattern.sub(replacement, low)
        return _SPACES.sub(" ", low).strip()

    def answer(self, text: str, step: str) -> str:
        """'unsafe', 'soon', 'means', 'plan', 'yes', 'no', 'unsure' or 'other' for a reply to ``step``.

        Doubt beats denial ("no... I don't know" is unsure), and after the safe question the
        reading flips: "yes"/"I'm fine" is the denial, "no"/"not really" is unsafe."""
        low = self._read_answer(text)
        flipped = not self.steps[step].no_means_safe

        def says(name: str) -> bool:
            return self._answers[name].search(low) is not None

        if says("unsafe") or (flipped and says("unsafe_to_safe_question")):
            return "unsafe"
        if says("means_at_hand"):
            return "means"
        if says("plan_told"):
            return "plan"
        if flipped:
            return self._answer_to_safe(says)
        unsure = says("unsure")
        if says("firm_no") and not says("yes"):
            return "no"  # "idk, not really? i mean no. i dont want to die": the doubt is talked through
        if says("no") or says("minimise"):
            return "unsure" if unsure else "no"
        if says("hedged_no"):
            return "unsure"  # "probably not", "应该没有吧": neither a yes nor a denial to rest on
        yes = says("yes")
        if says("soon") and (yes or says("hedge") or len(low) <= 20 or step == "plan"):
            return "soon"  # asked when, a time is the answer ("after christmas. don't want to ruin it for the kids")
        if yes:
            # "honestly yes. i've been looking up the train times": a yes that names a means or a
            # place is a method told, whatever the question (a wish to be dead alone is a check)
            return "plan" if says("detail") else "yes"
        if says("count"):
            return "yes"  # "twice. last time was in april"; never a time ("once, not now")
        if unsure:
            return "unsure"
        return "yes" if says("hedge") or says("detail") else "other"

    @staticmethod
    def _answer_to_safe(says) -> str:
        """The reply to "are you safe?", once outright danger has been ruled out."""
        if says("unsure"):
            return "unsure"
        if says("safe") or says("minimise"):
            return "no"
        if says("no"):
            return "unsafe"
        if says("yes"):
            return "no"
        if says("hedge"):
            return "unsure"
        return "unsafe" if says("detail") else "other"

    def assess(self, conversation: Sequence) -> RiskAssessment:
        """The assessment of the last user message, with the whole conversation as context."""
        messages = as_messages(conversation)
        users = [i for i, m in enumerate(messages) if m["role"] == "user"]
        if not users:
            return self.detector.assess([])
        start, carried = self._since_last_denial(messages, users)
        last = users[-1]
        turns = [messages[i]["content"] for i in users if i >= start]
        step = self._step_before(messages, last)
        if step is None:
            base = self.detector.assess(turns)
            return _raise(base, carried) if carried else base
        return self._answered(messages[last - 1]["content"], messages[last]["content"], step, turns, carried)

    def reply(self, question: str, text: str, step: str) -> str:
        """``answer`` for a reply to the assistant message ``question``, which asks ``step``.

        An either-or question ("do you mean sleep to rest, or not wanting to wake up?") is
        answered by the option chosen, by position ("the second one", "后者") or by its words
        ("just rest"). Only a choice between a risk and no risk counts, and it never lowers what
        the reply says: danger, means or a time named in it come first, a choice read from words
        does not turn a "no" into a yes, and a choice of the harmless option counts as a no only
        where the rules find no risk in the reply alone (the learned stage reads a friend waiting
        downstairs as a crisis: "去朋友那，她已经在楼下等我了")."""
        kind = self.answer(text, step)
        if kind in ("unsafe", "means", "plan", "soon"):
            return kind
        chosen = self._chosen(question, text)
        if chosen is None:
            return kind
        risky, by_position = chosen
        if risky:
            return "yes" if kind != "no" or by_position else kind
        return "no" if not self.detector.assess([text], learned=False).at_least("moderate") else kind

    def _chosen(self, question: str, text: str) -> tuple[bool, bool] | None:
        """(whether the option chosen names a risk, whether it was chosen by position) when
        ``question`` ends in a choice between two options of which exactly one names a risk (any
        screening step), and the reply picks one; else None."""
        questions = list(_QUESTION.finditer(self._read(question)))
        if not questions:
            return None
        options = _EITHER_OR.split(questions[-1].group())
        if len(options) != 2:
            return None
        risky = [any(s.recognise.search(o) for s in self.steps.values()) for o in options]
        if risky[0] == risky[1]:
            return None
        low = self._read_answer(text)
        picked = [p.search(low) is not None for p in _PICKS]
        by_position = picked[0] != picked[1]
        if not by_position:
            words = [_content(o) for o in options]
            said = _content(low)
            picked = [bool(said & (words[i] - words[1 - i])) for i in (0, 1)]
        if picked[0] == picked[1]:
            return None
        return risky[picked.index(True)], by_position

    def _answered(self, question: str, text: str, step: str, turns: list[str],
                  carried: tuple[str, str, str] | None) -> RiskAssessment:
        """The assessment after an answer to ``step``. The conversation's own assessment (of the
        user's ``turns``) is made only where it counts: a denial is judged by its own words."""
        kind = self.reply(question, text, step)
        if kind == "no":
            alone = self._denial_says(text)
            if alone is not None:
                return alone
            return RiskAssessment(False, "low", (), (f"denied when asked ({step}); help stays one click away",),
                                  answer="no", step=step)
        base = self.detector.assess(turns)
        found = self._finding(kind, step)
        if found is None:
            result = _raise(base, carried) if carried else base
            return replace(result, step=step, answer="other")
        result = _raise(base, found)
        if carried:
            result = _raise(result, carried)
        return replace(result, step=step, answer=kind)

    def _denial_says(self, text: str) -> RiskAssessment | None:
        """The detector's verdict on a denial's own words when it is high or imminent ("no. I
        already took them"), else None. The learned stage's guess counts only where the denial
        also names a time, a means, a place or a preparation: alone it reads a bare "不会" or
        "没有那个打算" as the crisis words the question was about."""
        if _RANK[self.detector.assess([text], learned=False).level] < _RANK["high"]:
            low = self._read_answer(text)
            concrete = ("soon", "means_at_hand", "detail", "unsafe", "unsafe_to_safe_question")
            if not any(self._answers[name].search(low) for name in concrete):
                return None  # the learned stage is not asked: its guess would not count
        alone = self.detector.assess([text])
        return alone if _RANK[alone.level] >= _RANK["high"] else None

    def _step_before(self, messages: list[dict], index: int) -> str | None:
        if index == 0 or messages[index - 1]["role"] != "assistant":
            return None
        return self.step_asked(messages[index - 1]["content"])

    def _since_last_denial(self, messages: list[dict], users: list[int]) -> tuple[int, tuple | None]:
        """Where context starts (after the last denial) and the highest level affirmed since."""
        start, carried = 0, None
        for i in users[:-1]:
            step = self._step_before(messages, i)
            if step is None:
                continue
            kind = self.reply(messages[i - 1]["content"], messages[i]["content"], step)
            found = self._finding(kind, step)
            if kind == "no":
                start, carried = i + 1, None
            elif found is not None and (carried is None or _RANK[found[0]] > _RANK[carried[0]]):
                carried = (found[0], found[1], found[2] + ", earlier")
        return start, carried

    def _finding(self, kind: str, step: str) -> tuple[str, str, str] | None:
        """(level, category, reason) an answer of ``kind`` to ``step`` raises to, or None."""
        found = {"unsafe": ("imminent", "attempt_in_progress", "not safe right now"),
                 "soon": ("imminent", "plan_method_means", "a time, when asked"),
                 "means": ("high", "plan_method_means", "means at hand, when asked"),
                 "plan": ("high", "plan_method_means", "a method or a date, when asked"),
                 "unsure": ("moderate", "warning_signs", "unsure or evasive, when asked"),
                 "yes": (self.steps[step].yes_level, self.steps[step].category, "yes, when asked")}.get(kind)
        return None if found is None else (found[0], found[1], f"{found[2]} ({step})")

    # -- what to ask next --------------------------------------------------------------------

    def next_question(self, conversation: Sequence, lang: str) -> tuple[str, str] | None:
        """(step, question) for the first ladder step not yet asked in this conversation."""
        asked = {self.step_asked(m["content"]) for m in as_messages(conversation) if m["role"] == "assistant"}
        for name in self.ladder:
            if name not in asked:
                texts = self.steps[name].question
                return name, texts.get("zh" if lang.startswith("zh") else "en", texts["en"])
        return None

    def denial_note(self, lang: str) -> str:
        return self._denial_note["zh" if lang.startswith("zh") else "en"]


def _content(text: str) -> frozenset[str]:
    """The words (Latin, 3+ letters) and pairs of Han characters of ``text``, common ones left out."""
    return frozenset(_WORD.findall(text)).union(_HAN_PAIR.findall(text)) - _COMMON


def _raise(base: RiskAssessment, found: tuple[str, str, str]) -> RiskAssessment:
    """``base`` raised to ``found`` = (level, category, reason) when that is higher."""
    level, category, reason = found
    if _RANK[level] <= _RANK[base.level]:
        return replace(base, reasons=base.reasons + (reason,))
    categories = base.categories if category in base.categories else base.categories + (category,)
    return RiskAssessment(_RANK[level] >= _RANK["high"], level, categories, (reason,) + base.reasons)


@functools.lru_cache(maxsize=1)
def default_dialogue() -> SafetyDialogue:
    """The dialogue over the packaged detector and questions, shared by the whole process."""
    return SafetyDialogue()


# -- the check-risk command ------------------------------------------------------------------------

def _parse_line(line: str) -> tuple[dict, list | None, str | None]:
    """(record to echo, conversation, error) for one input line."""
    try:
        record = json.loads(line)
    except ValueError:
        record = None
    if not isinstance(record, dict):
        return {}, [line.rstrip("\r\n")], None
    if "messages" in record:
        messages = record["messages"]
        if (not isinstance(messages, list) or not messages or not all(
                isinstance(m, dict) and isinstance(m.get("content"), str)
                and m.get("role") in ("user", "assistant") for m in messages)):
            return record, None, 'expected "messages": a non-empty list of {"role": "user"|"assistant", "content": str}'
        return record, messages, None
    turns = record.get("turns")
    if turns is None and isinstance(record.get("text"), str):
        turns = [record["text"]]
    if not isinstance(turns, list) or not turns or not all(isinstance(t, str) for t in turns):
        return record, None, 'expected "turns": a non-empty list of strings, or "messages"'
    return record, turns, None


def check_risk_stream(infile: TextIO, outfile: TextIO, dialogue: SafetyDialogue | None = None) -> int:
    """Assess JSON lines and write one JSON line each.

    A line is ``{"turns": [user turns]}``, ``{"messages": [{"role", "content"}, ...]}`` or plain
    text. The answer has ``escalate`` (the takeover: high or imminent), ``level``, ``categories``
    and ``reasons``; other keys of the input are echoed back. Returns 0, or 2 when some line could
    not be read; those lines get an "error" key and null verdicts, and the rest are still assessed.
    """
    dialogue = dialogue or default_dialogue()
    status = 0
    for line in infile:
        if not line.strip():
            continue
        record, conversation, error = _parse_line(line)
        if error:
            status = 2
            result = {"escalate": None, "level": None, "categories": [], "reasons": [], "error": error}
        else:
            result = dialogue.assess(conversation).to_dict()
        row = {k: v for k, v in record.items() if k not in ("turns", "messages")}
        row.update(result)
        outfile.write(json.dumps(row, ensure_ascii=False) + "\n")
        outfile.flush()
    return status
