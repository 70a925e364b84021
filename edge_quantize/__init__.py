"""edge-quantize: a fine-tuned Hugging Face counseling model -> verified GGUF quantizations.

Stages, each a function from files to files (see ``pipeline``): convert (llama.cpp's converter,
vendored), imatrix (torch hooks over a bilingual counseling corpus), quantize (llama.cpp through
llama-cpp-python), evaluate (KL divergence, perplexity, top-1, speed, RAM, safety prompts on
held-out text), report (report.md/json/png and app manifests).

Only ``edge_quantize.worker`` imports ``llama_cpp``; it always runs in a child process.
"""

from .convert import check_model_folder, convert_hf
from .errors import *  # noqa: F401,F403 - the error classes are part of the public API
from .errors import __all__ as _error_names
from .evaluate import EvalSettings, evaluate_all, evaluate_model, reference_pass
from .imatrix import compute_imatrix, read_imatrix, write_imatrix
from .manifests import ModelFacts, manifest_for, register, write_manifest
from .metadata import GgufInfo, read_info, write_with_chat_template
from .pipeline import (Options, Workspace, run, stage_convert, stage_evaluate, stage_imatrix, stage_quantize,
                       stage_report)
from .quantizer import QuantJob, parse_quants, plan_ladder, quantize_ladder, quantize_one
from .report import build_report, recommend, write_report
from .source import Source, download, hf_folder_from_gguf, merge_adapter, resolve_source
from .templates import ChatTemplate, detect_format, load_template, template_names

__all__ = [
    "Options", "Workspace", "run",
    "stage_convert", "stage_imatrix", "stage_quantize", "stage_evaluate", "stage_report",
    "Source", "resolve_source", "download", "merge_adapter", "hf_folder_from_gguf",
    "check_model_folder", "convert_hf",
    "ChatTemplate", "load_template", "detect_format", "template_names",
    "GgufInfo", "read_info", "write_with_chat_template",
    "compute_imatrix", "read_imatrix", "write_imatrix",
    "QuantJob", "parse_quants", "plan_ladder", "quantize_one", "quantize_ladder",
    "EvalSettings", "reference_pass", "evaluate_model", "evaluate_all",
    "ModelFacts", "manifest_for", "write_manifest", "register",
    "build_report", "recommend", "write_report",
    *_error_names,
]
