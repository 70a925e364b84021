"""GGUF metadata keys and constants: the one place any GGUF key is spelled."""

__all__ = ["MAGIC", "CHAT_TEMPLATE", "ARCHITECTURE", "NAME", "CONTEXT_LENGTH_SUFFIX", "context_length_key"]

MAGIC = b"GGUF"
CHAT_TEMPLATE = "tokenizer.chat_template"
ARCHITECTURE = "general.architecture"
NAME = "general.name"
CONTEXT_LENGTH_SUFFIX = ".context_length"


def context_length_key(architecture: str) -> str:
    return f"{architecture}{CONTEXT_LENGTH_SUFFIX}"
