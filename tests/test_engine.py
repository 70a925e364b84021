"""The engine over the real embedded GGUF model (Qwen2.5-Coder 0.5B Q4_K_M)."""

from __future__ import annotations

import dataclasses
import re

import pytest

from edge_counsel.engine.llama import (CancelToken, GenerationParams, LlamaEngine, gpu_offload_supported,
                                       parse_gpu_layers)
from edge_counsel.engine import manifest as mf
from edge_counsel.engine.loader import open_engine
from edge_counsel.settings import Settings, save_settings
from edge_counsel.errors import (
    InputTooLongError,
    ModelCorruptError,
    ModelNotFoundError,
    NoChatTemplateError,
)

GREEDY = GenerationParams(max_tokens=24, temperature=0.0, seed=7)


def _chat(user: str) -> list[dict]:
    return [{"role": "system", "content": "You are a kind, brief listener."},
            {"role": "user", "content": user}]


def test_streams_a_reply_in_several_chunks(engine):
    chunks = list(engine.stream_chat(_chat("I had a rough day at school."), GREEDY))
    assert len(chunks) > 3
    assert "".join(chunks).strip()
    assert engine.template_source == "gguf"


def test_greedy_decoding_is_repeatable(engine):
    first = "".join(engine.stream_chat(_chat("Say one kind word."), GREEDY))
    second = "".join(engine.stream_chat(_chat("Say one kind word."), GREEDY))
    assert first == second


def test_chinese_in_chinese_out(engine):
    messages = [{"role": "system", "content": "你是一位温暖的倾听者，用中文简短回答。"},
                {"role": "user", "content": "我最近压力很大，晚上睡不着。"}]
    text = "".join(engine.stream_chat(messages, GREEDY))
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text), text


def test_cancel_stops_between_chunks(engine):
    cancel = CancelToken()
    got = []
    for chunk in engine.stream_chat(_chat("Tell me a long story about a lighthouse."),
                                    GenerationParams(max_tokens=200, temperature=0.0), cancel):
        got.append(chunk)
        if len(got) == 3:
            cancel.cancel()
    assert len(got) == 3
    # The engine stays usable after a cancelled reply.
    assert "".join(engine.stream_chat(_chat("Hello"), GREEDY)).strip()


class _CancelledAfter(CancelToken):
    """Reads as cancelled from its ``n``-th look on: the prime looks once before each batch and
    llama.cpp looks at every node inside one, so a small ``n`` cancels inside the first batch."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.looks, self.n = 0, n

    @property
    def cancelled(self) -> bool:
        self.looks += 1
        return self.looks >= self.n


def test_a_cancelled_prime_stops_inside_a_batch_and_the_engine_goes_on(engine):
    messages = _chat("Say one kind word.")
    expected = "".join(engine.stream_chat(messages, GREEDY))
    engine.reset()  # an empty cache, so the prime has whole batches to evaluate
    cancel = _CancelledAfter(3)
    assert engine.prime(messages, cancel) == 0  # stopped before the first batch was done
    assert cancel.looks > 1  # llama.cpp itself looked, inside the batch
    assert "".join(engine.stream_chat(messages, GREEDY)) == expected
    engine.reset()
    assert engine.prime(messages, CancelToken()) == engine.count_tokens(messages)  # a whole prime
    assert engine.prime(messages, CancelToken()) == 0  # the cache already holds it all


def test_multi_turn_reuses_the_kv_prefix(engine):
    messages = _chat("I feel lonely at my new school.")
    reply = "".join(engine.stream_chat(messages, GREEDY))
    first_prompt = engine.last_prompt_tokens
    messages += [{"role": "assistant", "content": reply}, {"role": "user", "content": "Yes, very."}]
    "".join(engine.stream_chat(messages, GREEDY))
    assert engine.last_prefix_hit >= first_prompt
    assert engine.last_prompt_tokens > engine.last_prefix_hit


def test_prompt_longer_than_the_window_is_refused(engine):
    with pytest.raises(InputTooLongError, match="Shorten"):
        list(engine.stream_chat(_chat("word " * 3000), GREEDY))


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ModelNotFoundError, match="not found"):
        LlamaEngine(tmp_path / "nope.gguf").load()


def test_random_bytes_are_not_a_model(tmp_path):
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"\x00garbage" * 100)
    with pytest.raises(ModelCorruptError, match="not a GGUF"):
        LlamaEngine(bad).load()


def test_truncated_gguf_is_corrupt(tmp_path, model_path):
    cut = tmp_path / "cut.gguf"
    with open(model_path, "rb") as src, open(cut, "wb") as dst:
        dst.write(src.read(4_000_000))
    with pytest.raises(ModelCorruptError, match="damaged"):
        LlamaEngine(cut).load()


def test_model_without_template_needs_a_manifest_format(tmp_path, model_path):
    gguf = pytest.importorskip("gguf")
    bare = tmp_path / "bare.gguf"
    _copy_without_template(gguf, model_path, bare)
    with pytest.raises(NoChatTemplateError, match="no chat template"):
        LlamaEngine(bare).load()
    fallback = LlamaEngine(bare, n_ctx=512, chat_format="chatml")
    fallback.load()
    try:
        assert fallback.template_source == "manifest:chatml"
        assert "".join(fallback.stream_chat(_chat("Hi"), GREEDY)).strip()
    finally:
        fallback.close()


def _copy_without_template(gguf, src, dst) -> None:
    reader = gguf.GGUFReader(str(src))
    arch = reader.fields["general.architecture"].contents()
    writer = gguf.GGUFWriter(str(dst), arch=arch)
    for name, field in reader.fields.items():
        if name in ("tokenizer.chat_template", "general.architecture") or name.startswith("GGUF."):
            continue
        value = field.contents()
        vtype = field.types[0]
        sub = field.types[-1] if vtype == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(name, value, vtype, sub_type=sub)
    for t in reader.tensors:
        writer.add_tensor(t.name, t.data, raw_shape=t.data.shape, raw_dtype=t.tensor_type)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


@pytest.mark.parametrize("text, value", [("0", 0), ("12", 12), ("auto", "auto"), (" AUTO ", "auto"), (7, 7)])
def test_gpu_layers_are_a_count_or_auto(text, value):
    assert parse_gpu_layers(text) == value


@pytest.mark.parametrize("text", ["-1", "all", "", "1.5"])
def test_other_gpu_layers_are_refused(text):
    with pytest.raises(ValueError, match="number of layers"):
        parse_gpu_layers(text)


def test_gpu_layers_reach_llama_cpp_and_a_cpu_build_says_so(model_path):
    """The value is passed to llama.cpp whatever the build; a CPU build runs the model on the CPU."""
    engine = LlamaEngine(model_path, n_ctx=512, n_gpu_layers=7)
    engine.load()
    try:
        assert engine._llama.model_params.n_gpu_layers == 7
        assert "".join(engine.stream_chat(_chat("Hello"), GREEDY)).strip()
        if not gpu_offload_supported():
            assert "no GPU support" in engine.offload_note and "CPU" in engine.offload_note
    finally:
        engine.close()


def test_the_saved_setting_is_the_default_and_auto_means_every_layer(model_path, data_home):
    save_settings(Settings(gpu_layers="auto"))
    engine, _ = open_engine(str(model_path), n_ctx=512)
    try:
        assert engine.n_gpu_layers == -1  # llama.cpp's "all layers", which llama-cpp-python passes as INT_MAX
        assert engine._llama.model_params.n_gpu_layers in (-1, 2**31 - 1)
    finally:
        engine.close()
    engine, _ = open_engine(str(model_path), n_ctx=512, gpu_layers=0)  # the command line wins
    try:
        assert engine._llama.model_params.n_gpu_layers == 0 and engine.offload_note is None
    finally:
        engine.close()


def test_a_reply_goes_on_from_given_text_held_to_a_grammar(engine):
    grammar = r'''root ::= " " ("What" | "How") [^?.!\n]{4,80} "?"'''
    text = "".join(engine.stream_chat(_chat("I had a rough day at school."), GenerationParams(max_tokens=40, temperature=0.0),
                                      reply_so_far="That sounds hard.", grammar=grammar))
    assert re.fullmatch(r" (What|How)[^?.!\n]{4,80}\?", text), text


def test_stop_strings_in_the_params_end_the_reply(engine):
    free = "".join(engine.stream_chat(_chat("Describe your morning in two sentences."), GREEDY))
    assert " " in free.strip()
    stopped = "".join(engine.stream_chat(_chat("Describe your morning in two sentences."),
                                         dataclasses.replace(GREEDY, stop=(" ",))))
    assert stopped and " " not in stopped.strip() and free.startswith(stopped)


def test_the_manifest_gives_the_model_its_own_sampling(model_path):
    target = mf.model_path(mf.get_manifest(mf.DEFAULT_MODEL_ID))  # where the app looks for it
    target.parent.mkdir(parents=True, exist_ok=True)
    target.symlink_to(model_path)
    engine, manifest = open_engine(None, n_ctx=512)
    try:
        assert manifest is not None and manifest.sampling["temperature"] == 0.7
        assert engine.sampling == manifest.sampling
    finally:
        engine.close()


def test_sampling_overrides_take_known_settings_of_the_right_type():
    base = GenerationParams(max_tokens=100, seed=3)
    got = base.with_overrides({"temperature": 0.3, "top_p": 1, "top_k": 20, "min_p": 0.1, "repeat_penalty": 1.2,
                               "stop": ["</s>"], "max_tokens": 5, "seed": 9, "bogus": 1})
    assert (got.temperature, got.top_p, got.top_k, got.min_p, got.repeat_penalty, got.stop) == \
        (0.3, 1.0, 20, 0.1, 1.2, ("</s>",))
    assert (got.max_tokens, got.seed) == (100, 3)  # not the model's to choose
    assert base.with_overrides({"temperature": "hot", "top_k": 2.5, "stop": "x", "min_p": True}) == base
    assert base.with_overrides(None) == base
