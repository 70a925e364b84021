"""``edge-counsel chat``: the counselor in a terminal, one user turn per input line.

Replies stream to stdout; everything else (loading, notices) goes to stderr so stdout stays the
conversation. The graded response (``risk.RESPONSES``) is the session's: a takeover prints the
scripted reply and the hotlines for the person (their region, or their language's regions); a
safety check prints the counselor's reply, the screening question and a one-line help hint;
"/help" prints the hotlines at any time. Replies are printed a clause at a time, so a clause the
output guard stops is never on screen (a terminal cannot take text back).
"""

from __future__ import annotations

from typing import TextIO

from ..engine.llama import GenerationParams
from ..safety.guard import LOOKAHEAD
from ..safety.hotlines import CHOOSE_REGION, HotlineDirectory, region_from_locale
from ..engine.loader import open_engine
from ..services.recorder import StoreRecorder
from ..services.conversation import Conversation, Delta, Done, Replace
from ..settings import load_settings
from .unlock import open_store_for

__all__ = ["run_chat", "format_hotlines", "format_help_hint"]


def run_chat(args, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    settings = load_settings()
    engine, _ = open_engine(args.model or settings.model, n_ctx=args.ctx or settings.n_ctx,
                            gpu_layers=getattr(args, "gpu_layers", None))
    if engine.offload_note:
        print(f"edge-counsel: {engine.offload_note}", file=stderr)
    params = GenerationParams(max_tokens=args.max_tokens or settings.max_tokens, seed=args.seed)
    approach = args.approach or settings.approach
    store = open_store_for(args, create=True, required=False)
    recorder = StoreRecorder(store, approach=approach) if store is not None else None
    if store is None:
        print("edge-counsel: this conversation is not saved (give --passphrase-file to keep it, "
              "encrypted).", file=stderr)
    session = Conversation(engine, approach=approach, params=params, recorder=recorder,
                           temperature=settings.temperature if args.temperature is None else args.temperature)
    region = args.region or settings.region or region_from_locale()
    session.region = region
    directory = HotlineDirectory.load()
    try:
        for line in stdin:
            if line.strip():
                _turn(session, line, directory, region, stdout)
    finally:
        engine.close()
        if store is not None:
            store.close()
    return 0


def _turn(session: Conversation, line: str, directory, region: str, out: TextIO) -> None:
    if line.strip().lower() in ("/help", "/求助"):  # help without the detector, at any time
        out.write(format_hotlines(directory, region, session.lang) + "\n")
        out.flush()
        return
    pending = ""  # text after the last finished clause: a terminal cannot take back what it printed
    for event in session.send(line):
        if isinstance(event, Delta):
            pending += event.text
            # up to the last finished clause that the guard has also seen _HOLD characters past
            # (its rules wait that long before judging a match at the very end of the text)
            head = pending[:max(0, len(pending) - _HOLD)]
            cut = max(head.rfind(c) for c in _CLAUSE_ENDS) + 1
            out.write(pending[:cut])
            pending = pending[cut:]
        elif isinstance(event, Replace):
            pending = ""  # the clause the guard stopped is never printed
            out.write("\n" + _withheld(session.lang) + "\n" + event.text)
        elif isinstance(event, Done):
            out.write(pending + "\n")
            pending = ""
            if event.reply.source == "crisis":
                out.write(format_hotlines(directory, region, event.reply.lang) + "\n")
            elif event.reply.safety_check or (event.reply.assessment and event.reply.assessment.answer == "no"):
                out.write(format_help_hint(directory, region, event.reply.lang) + "\n")
        out.flush()


_CLAUSE_ENDS = ".!?。！？,，;；:：\n"
_HOLD = LOOKAHEAD


def _withheld(lang: str) -> str:
    return "（有一条回复因安全原因被拦下，以下是替换内容。）" if lang == "zh" else "(A reply was withheld by the safety check; this replaces it.)"


def format_hotlines(directory: HotlineDirectory, region: str, lang: str) -> str:
    """The lines for the person writing: their region, or with none known, their language's."""
    head = "现在就可以联系的人：" if lang == "zh" else "People you can reach right now:"
    out = [head]
    regions = directory.for_person(region, lang)
    for lines in regions:
        out.append(f"[{lines.region_name}]")
        out += [f"  {h.name}: {h.number} ({h.hours})" for h in lines.lines]
    if len(regions) > 1:
        out.append(CHOOSE_REGION["zh" if lang == "zh" else "en"])
    return "\n".join(out)


def format_help_hint(directory: HotlineDirectory, region: str, lang: str) -> str:
    """One line after a safety check: the first line to call, and that help is always there."""
    first = directory.for_person(region, lang)[0].lines[0]
    if lang == "zh":
        return f"（需要马上找人聊聊：{first.name} {first.number}。输入 /help 可随时查看全部热线。）"
    return f"(If you need someone now: {first.name}, {first.number}. Type /help at any time for all the lines.)"
