"""Errors an operator of edge-quantize can meet.

Each is a named class with a one-line docstring; its message says what happened and what to do
next. The CLI prints ``str(error)`` as is and exits with status 2.

A full disk means the same to the app and to the toolchain, so there is one ``DiskFullError``:
the app's own class, re-exported here.
"""

from __future__ import annotations

from edge_counsel.errors import DiskFullError, EdgeCounselError

__all__ = [
    "QuantizeError",
    "MissingExtraError",
    "SourceNotFoundError",
    "HubOfflineError",
    "UnsupportedArchitectureError",
    "RemoteCodeRequiredError",
    "MissingTokenizerError",
    "BadAdapterError",
    "ChatTemplateError",
    "ConversionError",
    "CalibrationError",
    "QuantizationError",
    "EvaluationError",
    "StageInputMissingError",
    "DiskFullError",
]


class QuantizeError(EdgeCounselError):
    """Base class: an edge-quantize error whose message is meant for the operator."""


class MissingExtraError(QuantizeError):
    """edge-quantize's own dependencies (torch, transformers, ...) are not installed."""


class SourceNotFoundError(QuantizeError):
    """The model source is neither a Hugging Face repo id, a model folder nor a GGUF file."""


class HubOfflineError(QuantizeError):
    """The model is not in the local Hugging Face cache and the hub cannot be reached."""


class UnsupportedArchitectureError(QuantizeError):
    """The model's architecture is not one edge-quantize converts and calibrates."""


class RemoteCodeRequiredError(QuantizeError):
    """Loading the model would run Python shipped with it, and that was not allowed."""


class MissingTokenizerError(QuantizeError):
    """The model folder has no tokenizer files."""


class BadAdapterError(QuantizeError):
    """The LoRA/QLoRA adapter is missing, malformed or made for another base model."""


class ChatTemplateError(QuantizeError):
    """No usable chat template: the model has none and none was given."""


class ConversionError(QuantizeError):
    """llama.cpp's converter failed."""


class CalibrationError(QuantizeError):
    """The importance matrix could not be computed."""


class QuantizationError(QuantizeError):
    """llama.cpp refused or failed to quantize."""


class EvaluationError(QuantizeError):
    """A model could not be evaluated."""


class StageInputMissingError(QuantizeError):
    """A stage was run alone before the stage that makes its input."""
