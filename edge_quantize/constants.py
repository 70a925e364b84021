"""Every GGUF metadata key, file name and schema name the toolchain uses, in one place.

No other module of ``edge_quantize`` spells a GGUF key or an output file name by hand. Keys the app
also reads come from ``edge_counsel.engine.gguf_keys``; the ones only the toolchain needs are below.
"""

from __future__ import annotations

from pathlib import Path

from edge_counsel.engine.gguf_keys import ARCHITECTURE as KEY_ARCHITECTURE
from edge_counsel.engine.gguf_keys import CHAT_TEMPLATE as KEY_CHAT_TEMPLATE
from edge_counsel.engine.gguf_keys import NAME as KEY_NAME
from edge_counsel.engine.gguf_keys import context_length_key

__all__ = [
    "KEY_ARCHITECTURE", "KEY_CHAT_TEMPLATE", "KEY_FILE_TYPE", "KEY_LICENSE", "KEY_NAME", "KEY_GENERAL_TYPE",
    "KEY_IMATRIX_DATASETS", "KEY_IMATRIX_CHUNK_COUNT", "KEY_IMATRIX_CHUNK_SIZE",
    "IMATRIX_SUM2_SUFFIX", "IMATRIX_COUNTS_SUFFIX", "IMATRIX_GENERAL_TYPE",
    "context_length_key", "block_count_key",
    "QUANT_FTYPES", "FULL_PRECISION_FTYPES", "DEFAULT_QUANTS", "COMPARE_QUANT", "OUTTYPES",
    "SUPPORTED_ARCHITECTURES", "REMOTE_CODE_FILES",
    "DATA_DIR", "TEMPLATES_DIR", "CALIBRATION_FILE", "EVAL_FILE", "SAFETY_FILE", "VENDOR_CONVERTER",
    "STATE_FILE", "REPORT_JSON", "REPORT_MD", "REPORT_PNG", "IMATRIX_FILE", "EVAL_DIR", "LOG_DIR",
    "REFERENCE_LOGPROBS", "REFERENCE_JSON", "MANIFEST_DIR", "NOIMATRIX_SUFFIX",
    "RAM_TIERS_GB", "RAM_BUDGET_FRACTION",
]

# GGUF metadata keys only the toolchain needs (the same strings gguf-py's constants.Keys hold).
KEY_FILE_TYPE = "general.file_type"
KEY_LICENSE = "general.license"
KEY_GENERAL_TYPE = "general.type"
KEY_IMATRIX_DATASETS = "imatrix.datasets"
KEY_IMATRIX_CHUNK_COUNT = "imatrix.chunk_count"
KEY_IMATRIX_CHUNK_SIZE = "imatrix.chunk_size"
IMATRIX_GENERAL_TYPE = "imatrix"
IMATRIX_SUM2_SUFFIX = ".in_sum2"
IMATRIX_COUNTS_SUFFIX = ".counts"


def block_count_key(arch: str) -> str:
    return f"{arch}.block_count"


# llama_ftype values (llama.h). Kept here rather than read from llama_cpp so that the parent
# process never imports llama_cpp (only edge_quantize.worker does).
QUANT_FTYPES: dict[str, int] = {
    "Q8_0": 7, "Q6_K": 18, "Q5_K_M": 17, "Q5_K_S": 16, "Q5_0": 8, "Q4_K_M": 15, "Q4_K_S": 14,
    "Q4_0": 2, "IQ4_XS": 30, "IQ4_NL": 25, "Q3_K_M": 12, "Q3_K_L": 13, "Q3_K_S": 11, "Q2_K": 10,
}
FULL_PRECISION_FTYPES = (0, 1, 32)  # F32, F16, BF16: anything else is already quantized
DEFAULT_QUANTS = ("Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "IQ4_XS", "Q3_K_M")
COMPARE_QUANT = "Q4_K_M"  # also made without the importance matrix, to show what it buys
OUTTYPES = ("f16", "bf16", "f32")

# Hugging Face architectures edge-quantize accepts; llama.cpp's converter knows many more, these
# are the ones whose tensor names we map for the importance matrix. The tests convert, calibrate
# (where transformers has the class), quantize and load tiny llama, qwen2, gemma, glm4, internlm2
# and chatglm models; mistral, qwen3, gemma2 and gemma3 were checked by hand; GlmForCausalLM is
# accepted on the strength of llama.cpp's converter alone.
SUPPORTED_ARCHITECTURES = {
    "LlamaForCausalLM": "llama",
    "MistralForCausalLM": "llama",
    "Qwen2ForCausalLM": "qwen2",
    "Qwen3ForCausalLM": "qwen3",
    "InternLM2ForCausalLM": "internlm2",
    "ChatGLMModel": "chatglm",
    "ChatGLMForConditionalGeneration": "chatglm",
    "GlmForCausalLM": "chatglm",
    "Glm4ForCausalLM": "glm4",
    "GemmaForCausalLM": "gemma",
    "Gemma2ForCausalLM": "gemma2",
    "Gemma3ForCausalLM": "gemma3",
}
# Files whose presence in a model folder means loading it would run the folder's own Python.
REMOTE_CODE_FILES = ("config.json", "tokenizer_config.json")

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"
TEMPLATES_DIR = DATA_DIR / "templates"
CALIBRATION_FILE = DATA_DIR / "calibration.txt"
EVAL_FILE = DATA_DIR / "eval_heldout.txt"
SAFETY_FILE = DATA_DIR / "safety_prompts.json"
VENDOR_CONVERTER = PACKAGE_DIR / "vendor" / "llama.cpp" / "convert_hf_to_gguf.py"

# The output folder's layout.
STATE_FILE = "pipeline.json"
IMATRIX_FILE = "imatrix.gguf"
EVAL_DIR = "eval"
LOG_DIR = "logs"
MANIFEST_DIR = "manifests"
REFERENCE_LOGPROBS = "reference.logprobs.f16"
REFERENCE_JSON = "reference.json"
REPORT_JSON = "report.json"
REPORT_MD = "report.md"
REPORT_PNG = "report.png"
NOIMATRIX_SUFFIX = "-noimatrix"

# A model should use at most this share of a machine's RAM; the OS and the app need the rest.
RAM_TIERS_GB = (4, 8, 16)
RAM_BUDGET_FRACTION = 0.5
