"""Chat templates: every GGUF edge-quantize writes carries a ``tokenizer.chat_template``.

A source model's own template wins. When it has none (SoulChat was trained on plain
``用户：/心理咨询师：`` turns), the operator names one: a format the app knows (the Jinja
equivalents of ``edge_counsel.engine.chat_formats`` live in ``edge_quantize/data/templates/``), a Jinja file,
or a model manifest JSON whose ``chat_format`` names one. A template is accepted only if it
renders a short conversation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from . import constants as C
from .errors import ChatTemplateError

__all__ = ["ChatTemplate", "template_names", "load_template", "detect_format", "check_renders"]

_SAMPLE = [
    {"role": "system", "content": "You are a supportive counselor."},
    {"role": "user", "content": "I feel anxious."},
    {"role": "assistant", "content": "I'm here with you."},
    {"role": "user", "content": "Thank you."},
]
# Markers that identify the app's formats inside a template, checked in this order.
_MARKERS = (("<|im_start|>", "chatml"), ("<|start_header_id|>", "llama3"),
            ("<start_of_turn>", "gemma"), ("心理咨询师：", "soulchat"))


@dataclass(frozen=True)
class ChatTemplate:
    text: str
    format_name: str | None  # the app's chat format it matches, if any


def template_names() -> list[str]:
    return sorted(p.stem for p in C.TEMPLATES_DIR.glob("*.jinja"))


def load_template(spec: str) -> ChatTemplate:
    """A template from a format name, a ``.jinja`` file, or a manifest ``.json`` naming a format."""
    path = Path(spec).expanduser()
    if spec in template_names():
        return _named(spec)
    if path.suffix == ".json" and path.is_file():
        return _from_manifest(path)
    if path.is_file():
        text = path.read_text(encoding="utf-8")
        check_renders(text)
        return ChatTemplate(text, detect_format(text))
    raise ChatTemplateError(f"Unknown chat template '{spec}'. Give one of {', '.join(template_names())}, "
                            "a Jinja file, or a model manifest JSON with a chat_format.")


def _named(name: str) -> ChatTemplate:
    text = (C.TEMPLATES_DIR / f"{name}.jinja").read_text(encoding="utf-8")
    return ChatTemplate(text, name)


def _from_manifest(path: Path) -> ChatTemplate:
    try:
        fmt = json.loads(path.read_text(encoding="utf-8")).get("chat_format")
    except ValueError as exc:
        raise ChatTemplateError(f"{path} is not valid JSON ({exc}). Fix it or name a format instead.") from exc
    if fmt not in template_names():
        raise ChatTemplateError(f"The manifest {path} names chat_format {fmt!r}, which has no template. "
                                f"Use one of {', '.join(template_names())}.")
    return _named(fmt)


def detect_format(text: str | None) -> str | None:
    """The app's chat format a template implements, judged by its role markers."""
    for marker, name in _MARKERS:
        if text and marker in text:
            return name
    return None


class _TemplateRaised(Exception):
    pass


def _raise(message: str):
    raise _TemplateRaised(message)


def check_renders(text: str) -> None:
    """Render a sample conversation the way llama-cpp-python does; raise if it cannot."""
    try:
        out = _render(text, _SAMPLE)
    except _TemplateRaised:  # e.g. "system role not supported": try without one
        out = _render(text, _SAMPLE[1:])
    if "I feel anxious." not in out:
        raise ChatTemplateError("The chat template drops the user's message. Fix it, or name one of "
                                + ", ".join(template_names()))


def _render(text: str, messages: list[dict]) -> str:
    import datetime

    import jinja2
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.globals.update(raise_exception=_raise,
                       strftime_now=lambda fmt: datetime.datetime.now().strftime(fmt))
    try:
        return env.from_string(text).render(messages=messages, add_generation_prompt=True,
                                            bos_token="<s>", eos_token="</s>")
    except (jinja2.TemplateError, TypeError, ValueError, _TemplateRaised) as exc:
        if isinstance(exc, _TemplateRaised) and messages is _SAMPLE:
            raise
        raise ChatTemplateError(f"The chat template does not render a conversation ({exc}). "
                                "Fix the Jinja, or name one of " + ", ".join(template_names())) from exc
