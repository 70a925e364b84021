"""The inference engine: the only module that imports ``llama_cpp``.

One small interface: ``load()``, ``stream_chat(messages, params, cancel)`` yielding text chunks,
``count_tokens(messages)`` and ``close()``. A llama.cpp context is not shareable, so one engine
belongs to one worker thread at a time. Cancellation is a flag checked between streamed chunks.

Multi-turn chat reuses the KV cache: every turn renders the whole conversation with the same
template, so the new prompt extends the previous one and llama-cpp-python evaluates only the new
suffix. Nothing here writes user text anywhere; llama.cpp's own logging is silenced.
"""

from __future__ import annotations

import ctypes
import dataclasses
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Protocol, Sequence

from . import gguf_keys
from .chat_formats import FormattedPrompt, get_chat_format
from ..errors import (
    InputTooLongError,
    ModelCorruptError,
    ModelNotFoundError,
    NoChatTemplateError,
)

__all__ = [
    "GPU_AUTO",
    "gpu_offload_supported",
    "parse_gpu_layers",
    "probe_gguf",
    "CancelToken",
    "GenerationParams",
    "Engine",
    "LlamaEngine",
    "default_threads",
]

Message = dict  # {"role": ..., "content": ...}
ProgressCallback = Callable[[float], None]


class CancelToken:
    """A flag a UI sets to stop a reply; the engine checks it between chunks."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


@dataclass(frozen=True)
class GenerationParams:
    max_tokens: int = 384
    temperature: float = 0.7
    top_p: float = 0.9
    top_k: int = 40
    repeat_penalty: float = 1.1
    min_p: float = 0.05
    stop: tuple[str, ...] = ()  # besides the chat template's own end-of-turn strings
    seed: int | None = None

    def with_overrides(self, sampling: dict | None) -> "GenerationParams":
        """These settings with a model manifest's ``"sampling"`` block applied (unknown keys and
        values of the wrong type are ignored: a manifest never stops the chat)."""
        changes = {}
        for key, value in (sampling or {}).items():
            if key == "stop" and isinstance(value, list) and all(isinstance(v, str) for v in value):
                changes[key] = tuple(value)
            elif key in ("temperature", "top_p", "min_p", "repeat_penalty") and isinstance(value, (int, float)) \
                    and not isinstance(value, bool):
                changes[key] = float(value)
            elif key == "top_k" and isinstance(value, int) and not isinstance(value, bool):
                changes[key] = value
        return dataclasses.replace(self, **changes) if changes else self


class Engine(Protocol):
    """What the chat session needs from a model."""

    n_ctx: int

    def load(self, progress: ProgressCallback | None = None) -> None: ...

    def stream_chat(self, messages: Sequence[Message], params: GenerationParams,
                    cancel: CancelToken | None = None) -> Iterator[str]: ...

    def count_tokens(self, messages: Sequence[Message]) -> int: ...

    def reset(self) -> None: ...

    def close(self) -> None: ...


GPU_AUTO = "auto"  # --gpu-layers auto: every layer the GPU build can take (llama.cpp's -1)
NO_GPU_NOTE = ("this build of llama.cpp has no GPU support, so the model runs on the CPU "
               "(the README says how to build it for CUDA, Vulkan or Metal)")


def parse_gpu_layers(value) -> int | str:
    """A ``--gpu-layers`` value: a count of layers to offload (0 = none) or "auto"."""
    text = str(value).strip().lower()
    if text == GPU_AUTO:
        return GPU_AUTO
    if text.lstrip("-").isdigit() and int(text) >= 0:
        return int(text)
    raise ValueError(f"--gpu-layers takes a number of layers (0 for none) or 'auto', not {value!r}")


def gpu_offload_supported() -> bool:
    """Whether this llama.cpp was built with a GPU backend (CUDA, Vulkan, Metal, ...)."""
    import llama_cpp

    return bool(llama_cpp.llama_supports_gpu_offload())


def default_threads() -> int:
    """All cores llama.cpp can use: its default of half the cores idles a 2-core laptop."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


class LlamaEngine:
    """A GGUF model run by llama-cpp-python."""

    def __init__(self, model_path: str | os.PathLike, *, n_ctx: int = 4096, n_threads: int | None = None,
                 n_gpu_layers: int | str = 0, chat_format: str | None = None,
                 sampling: dict | None = None) -> None:
        self.model_path = Path(model_path)
        self.sampling = dict(sampling or {})  # the model's own generation settings (its manifest)
        self.n_ctx = n_ctx
        self.n_threads = n_threads or default_threads()
        self.n_gpu_layers = -1 if n_gpu_layers == GPU_AUTO else int(n_gpu_layers)
        self._fallback_format = chat_format
        self._llama = None
        self._render: Callable[[Sequence[Message]], FormattedPrompt] | None = None
        self.template_source = ""
        self.last_prompt_tokens = 0
        self.last_prefix_hit = 0  # prompt tokens already in the KV cache on the last call
        self._last_tokens = None  # (messages key, (tokens, stop)) of the last rendering

    @property
    def offload_note(self) -> str | None:
        """What to tell the user about GPU offload: None unless it was asked for and cannot be had.

        A CPU-only build still gets the value (llama.cpp ignores it), so asking is never an error."""
        if self.n_gpu_layers == 0 or gpu_offload_supported():
            return None
        return NO_GPU_NOTE

    # -- loading -------------------------------------------------------------------------------

    def load(self, progress: ProgressCallback | None = None) -> None:
        _check_gguf_file(self.model_path)
        self._llama = _open_llama(self.model_path, self.n_ctx, self.n_threads, self.n_gpu_layers, progress)
        try:
            self._render = self._choose_template()
        except NoChatTemplateError:
            self.close()
            raise

    def _choose_template(self) -> Callable[[Sequence[Message]], FormattedPrompt]:
        template = self._llama.metadata.get(gguf_keys.CHAT_TEMPLATE)
        if template:
            self.template_source = "gguf"
            return self._jinja_renderer(template)
        if self._fallback_format:
            self.template_source = f"manifest:{self._fallback_format}"
            return get_chat_format(self._fallback_format)
        raise NoChatTemplateError(
            f"{self.model_path.name} has no chat template and no manifest names one, so it cannot "
            "hold a conversation. Use a chat/instruct model, or add a manifest with a "
            "\"chat_format\" (chatml, llama3, gemma, soulchat) in the models folder of the data directory.")

    def _jinja_renderer(self, template: str) -> Callable[[Sequence[Message]], FormattedPrompt]:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        llama = self._llama
        eos_id, bos_id = llama.token_eos(), llama.token_bos()
        eos = llama._model.token_get_text(eos_id) if eos_id != -1 else ""
        bos = llama._model.token_get_text(bos_id) if bos_id != -1 else ""
        formatter = Jinja2ChatFormatter(template, eos_token=eos, bos_token=bos)

        def render(messages: Sequence[Message]) -> FormattedPrompt:
            result = formatter(messages=list(messages))
            stop = result.stop if isinstance(result.stop, list) else [result.stop] if result.stop else []
            return FormattedPrompt(result.prompt, tuple(s for s in stop if s))
        return render

    # -- generation ----------------------------------------------------------------------------

    def _tokens(self, messages: Sequence[Message]) -> tuple[list[int], tuple[str, ...]]:
        # The session counts a prompt and then streams the same one: render and tokenize it once.
        key = tuple((m["role"], m["content"]) for m in messages)
        if self._last_tokens is not None and self._last_tokens[0] == key:
            return self._last_tokens[1]
        formatted = self._render(messages)
        # The template writes any BOS itself; special tokens in it must parse as tokens.
        tokens = self._llama.tokenize(formatted.prompt.encode("utf-8"), add_bos=False, special=True)
        self._last_tokens = (key, (tokens, formatted.stop))
        return tokens, formatted.stop

    def count_tokens(self, messages: Sequence[Message]) -> int:
        return len(self._tokens(messages)[0])

    def prime(self, messages: Sequence[Message], cancel: CancelToken | None = None) -> int:
        """Evaluate ``messages`` into the KV cache ahead of time; returns the tokens evaluated (the
        part already in the cache is kept, not evaluated again).

        The persona and its examples open every prompt, so evaluating them once, while the user
        is still typing, takes their cost off the first reply (the next prompt's common prefix
        with this one is reused). It goes a batch at a time and stops at ``cancel``, so closing
        the window never waits long for it (and never has to kill a thread inside llama.cpp).
        Within a batch llama.cpp itself looks at ``cancel``: a first batch on a busy 2-core
        machine took 10 s, and closing the window waited for all of it.
        """
        tokens, _ = self._tokens(messages)
        tokens = tokens[: self.n_ctx - 1]
        llama = self._llama
        # What the cache already holds of these tokens stays (a new conversation keeps the persona);
        # eval() drops the cells past ``n_tokens`` before it writes.
        kept = _common_prefix(llama.input_ids[: llama.n_tokens].tolist(), tokens)
        if kept == len(tokens):
            return 0
        llama.n_tokens = kept
        step = max(1, llama.n_batch)
        with _abort_on(llama, cancel):
            for start in range(kept, len(tokens), step):
                if cancel is not None and cancel.cancelled:
                    return start - kept
                try:
                    llama.eval(tokens[start:start + step])
                except RuntimeError:
                    if cancel is not None and cancel.cancelled:
                        return start - kept  # llama.cpp stopped inside the batch; the cache ends before it
                    raise
        return len(tokens) - kept

    continues_replies = True  # stream_chat takes reply_so_far and grammar

    def stream_chat(self, messages: Sequence[Message], params: GenerationParams,
                    cancel: CancelToken | None = None, *, reply_so_far: str = "",
                    grammar: str | None = None) -> Iterator[str]:
        """Stream the assistant's next reply to ``messages``. With ``reply_so_far`` the model goes
        on from that text, as if it had written it (the conversation asks for a closing question
        this way); ``grammar`` (GBNF) constrains what it may write."""
        if self._llama is None:
            raise RuntimeError("stream_chat() before load()")
        tokens, stop = self._tokens(messages)
        if reply_so_far:
            tokens = tokens + self._llama.tokenize(reply_so_far.encode("utf-8"), add_bos=False, special=False)
        max_tokens = min(params.max_tokens, self.n_ctx - len(tokens))
        if max_tokens < min(16, params.max_tokens):
            raise InputTooLongError(
                f"This conversation needs {len(tokens)} tokens but the model's window is {self.n_ctx}. "
                "Shorten the message or start a new conversation.")
        self.last_prompt_tokens = len(tokens)
        self.last_prefix_hit = _common_prefix(self._llama.input_ids[: self._llama.n_tokens].tolist(), tokens)
        stream = self._llama.create_completion(
            tokens, max_tokens=max_tokens, temperature=params.temperature, top_p=params.top_p,
            top_k=params.top_k, min_p=params.min_p, repeat_penalty=params.repeat_penalty, seed=params.seed,
            stop=list(stop) + list(params.stop), stream=True, grammar=_grammar(grammar))
        try:
            for chunk in stream:
                if cancel is not None and cancel.cancelled:
                    break
                text = chunk["choices"][0]["text"]
                if text:
                    yield text
        finally:
            stream.close()

    def reset(self) -> None:
        """Forget the conversation: KV cache, cached token ids, prefix (the kiosk, between visitors)."""
        if self._llama is None:
            return
        self._llama.reset()  # n_tokens = 0: no cached prefix is reused
        self._llama._ctx.kv_cache_clear()  # the KV cells themselves
        self._llama.input_ids.fill(0)  # the visitor's token ids
        self._last_tokens = None  # the last prompt's messages, kept as the key of its tokens
        self.last_prompt_tokens = self.last_prefix_hit = 0

    def close(self) -> None:
        if self._llama is not None:
            self._llama.close()
            self._llama = None


def _grammar(text: str | None):
    if not text:
        return None
    from llama_cpp import LlamaGrammar

    return LlamaGrammar.from_string(text, verbose=False)


def _common_prefix(cached, tokens: list[int]) -> int:
    n = 0
    for a, b in zip(cached, tokens):
        if a != b:
            break
        n += 1
    return n


def _check_gguf_file(path: Path) -> None:
    if not path.is_file():
        raise ModelNotFoundError(f"Model file not found: {path}. Choose another model, or run the "
                                 "set-up command again to reinstall the default one.")
    with open(path, "rb") as fh:
        magic = fh.read(4)
    if magic != gguf_keys.MAGIC:
        raise ModelCorruptError(f"{path} is not a GGUF model file (it may be damaged or incomplete). "
                                "Delete it and download or import it again.")


class _abort_on:
    """While priming, let llama.cpp stop inside a batch as soon as ``cancel`` is set.

    llama.cpp asks its abort callback at every node of the compute graph. A Python callback there
    is cheap next to a batch of prompt tokens but too dear for every generated token, so it is set
    only for the prime and cleared after, on the thread that owns the context. llama-cpp-python
    does not bind ``llama_set_abort_callback``: it is taken from the library it loaded, and a
    build without it primes as before, stopping only between batches.
    """

    def __init__(self, llama, cancel: CancelToken | None) -> None:
        self._llama, self._cancel = llama, cancel
        self._set = None
        self._callback = None
        self._log_level = None

    def __enter__(self):
        from llama_cpp import llama_cpp as low

        setter = getattr(low._lib, "llama_set_abort_callback", None)
        if self._cancel is None or setter is None:
            return self
        setter.argtypes = [low.llama_context_p_ctypes, low.ggml_abort_callback, ctypes.c_void_p]
        setter.restype = None
        cancel = self._cancel
        self._callback = low.ggml_abort_callback(lambda _data: cancel.cancelled)  # kept alive
        self._set = setter
        setter(self._llama._ctx.ctx, self._callback, None)
        # An abort is logged as an error ("decode: removing memory module entries ..."): not one.
        logger = logging.getLogger("llama-cpp-python")
        self._log_level = logger.level
        logger.setLevel(logging.CRITICAL)
        return self

    def __exit__(self, *exc) -> None:
        if self._set is not None:
            from llama_cpp import llama_cpp as low

            self._set(self._llama._ctx.ctx, low.ggml_abort_callback(), None)  # NULL: none
            logging.getLogger("llama-cpp-python").setLevel(self._log_level)


_load_lock = threading.Lock()


def probe_gguf(path: str | os.PathLike) -> dict:
    """Read a GGUF's metadata (vocabulary only, no weights); raises the same errors as ``load``.

    Returns the architecture, name, trained context length and whether it has a chat template.
    """
    import llama_cpp

    path = Path(path)
    _check_gguf_file(path)
    try:
        with _load_lock:
            llama = llama_cpp.Llama(model_path=str(path), vocab_only=True, verbose=False)
    except (ValueError, RuntimeError, OSError) as exc:
        raise ModelCorruptError(
            f"llama.cpp cannot read {path.name}: it is damaged, incomplete or of an architecture "
            f"this version does not support ({exc}).") from exc
    try:
        meta = dict(llama.metadata)
    finally:
        llama.close()
    arch = meta.get(gguf_keys.ARCHITECTURE, "")
    return {"architecture": arch, "name": meta.get(gguf_keys.NAME, path.stem),
            "context_length": int(meta.get(gguf_keys.context_length_key(arch), 4096)),
            "has_chat_template": bool(meta.get(gguf_keys.CHAT_TEMPLATE))}


def _open_llama(path: Path, n_ctx: int, n_threads: int, n_gpu_layers: int,
                progress: ProgressCallback | None):
    import llama_cpp
    from llama_cpp import llama as llama_module

    try:
        with _load_lock, _progress_hook(llama_module, progress):
            return llama_cpp.Llama(
                model_path=str(path), n_ctx=n_ctx, n_threads=n_threads, n_threads_batch=n_threads,
                n_gpu_layers=n_gpu_layers, verbose=False, logits_all=False)
    except (ValueError, RuntimeError, OSError) as exc:
        raise ModelCorruptError(
            f"llama.cpp could not load {path.name}: the file is damaged, incomplete or of an "
            f"unsupported architecture ({exc}). Delete it and import it again, or choose another model."
        ) from exc


class _progress_hook:
    """Feed llama.cpp's load progress to ``progress``.

    llama-cpp-python exposes no progress argument, so for the duration of one load we wrap the
    function it takes its default model parameters from. Loads are serialised by ``_load_lock``.
    """

    def __init__(self, llama_module, progress: ProgressCallback | None) -> None:
        self._module, self._progress = llama_module, progress
        self._saved = None
        self._callback = None

    def __enter__(self):
        if self._progress is None:
            return self
        low = self._module.llama_cpp
        self._saved = low.llama_model_default_params
        report = self._progress

        def on_progress(value: float, _user_data) -> bool:
            report(float(value))
            return True

        self._callback = low.llama_progress_callback(on_progress)  # kept alive until the load ends

        def params_with_progress():
            params = self._saved()
            params.progress_callback = self._callback
            return params

        low.llama_model_default_params = params_with_progress
        return self

    def __exit__(self, *exc) -> None:
        if self._saved is not None:
            self._module.llama_cpp.llama_model_default_params = self._saved
