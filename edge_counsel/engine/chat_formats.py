"""Prompt formats for models whose GGUF carries no chat template.

A GGUF's own ``tokenizer.chat_template`` always wins; these are the fallbacks a manifest can name
(SoulChat, for one, was trained on plain ``用户：/心理咨询师：`` turns). Formats register by
decorator into one name -> formatter map that refuses duplicates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

__all__ = ["FormattedPrompt", "register_chat_format", "get_chat_format", "chat_format_names"]

Message = dict  # {"role": "system" | "user" | "assistant", "content": str}


@dataclass(frozen=True)
class FormattedPrompt:
    prompt: str
    stop: tuple[str, ...]


Formatter = Callable[[Sequence[Message]], FormattedPrompt]
_FORMATS: dict[str, Formatter] = {}


def register_chat_format(name: str) -> Callable[[Formatter], Formatter]:
    def decorator(fn: Formatter) -> Formatter:
        if name in _FORMATS:
            raise ValueError(f"chat format {name!r} is already registered")
        _FORMATS[name] = fn
        return fn
    return decorator


def get_chat_format(name: str) -> Formatter:
    try:
        return _FORMATS[name]
    except KeyError:
        raise KeyError(f"unknown chat format {name!r}; known: {', '.join(sorted(_FORMATS))}") from None


def chat_format_names() -> list[str]:
    return sorted(_FORMATS)


@register_chat_format("chatml")
def _chatml(messages: Sequence[Message]) -> FormattedPrompt:
    body = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
    return FormattedPrompt(body + "<|im_start|>assistant\n", ("<|im_end|>", "<|im_start|>"))


@register_chat_format("llama3")
def _llama3(messages: Sequence[Message]) -> FormattedPrompt:
    body = "".join(
        f"<|start_header_id|>{m['role']}<|end_header_id|>\n\n{m['content'].strip()}<|eot_id|>"
        for m in messages)
    return FormattedPrompt("<|begin_of_text|>" + body + "<|start_header_id|>assistant<|end_header_id|>\n\n",
                           ("<|eot_id|>", "<|end_of_text|>"))


@register_chat_format("gemma")
def _gemma(messages: Sequence[Message]) -> FormattedPrompt:
    # Gemma has no system role: the system text opens the first user turn.
    system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
    parts, pending = [], system
    for m in messages:
        if m["role"] == "system":
            continue
        role = "model" if m["role"] == "assistant" else "user"
        text = f"{pending}\n\n{m['content']}" if pending and role == "user" else m["content"]
        pending = "" if role == "user" else pending
        parts.append(f"<start_of_turn>{role}\n{text}<end_of_turn>\n")
    return FormattedPrompt("".join(parts) + "<start_of_turn>model\n", ("<end_of_turn>",))


@register_chat_format("soulchat")
def _soulchat(messages: Sequence[Message]) -> FormattedPrompt:
    # SoulChat's training data: a system line, then alternating 用户：/心理咨询师： turns.
    names = {"user": "用户：", "assistant": "心理咨询师："}
    lines = [m["content"] for m in messages if m["role"] == "system"]
    lines += [names[m["role"]] + m["content"] for m in messages if m["role"] in names]
    return FormattedPrompt("\n".join(lines) + "\n心理咨询师：", ("\n用户：", "用户："))
