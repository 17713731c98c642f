"""The public plugin API of Studio: small, stable and versioned.

Plugins import from here only. Nothing here imports torch or Qt.
"""

from .data import DataReport, SkippedFile, TrainData
from .errors import CheckpointError, DataError, ParamError, StudioError
from .generator import (
    GENERATION_MODES,
    NOT_IMPORTABLE,
    Evaluation,
    GenerateRequest,
    GenerationMode,
    Generator,
    ImportedModel,
    Modality,
    ModelHandle,
    RunContext,
    Trainer,
)
from .hookspecs import hookimpl
from .params import Param, Rule, Schema, parse_assignments
from .samples import ImageSample, Sample, TextChunk
from .version import API_VERSION, is_compatible

__all__ = [
    "API_VERSION",
    "GENERATION_MODES",
    "NOT_IMPORTABLE",
    "CheckpointError",
    "DataError",
    "DataReport",
    "Evaluation",
    "GenerateRequest",
    "GenerationMode",
    "Generator",
    "ImageSample",
    "ImportedModel",
    "Modality",
    "ModelHandle",
    "Param",
    "ParamError",
    "Rule",
    "RunContext",
    "Sample",
    "Schema",
    "SkippedFile",
    "StudioError",
    "TextChunk",
    "TrainData",
    "Trainer",
    "hookimpl",
    "is_compatible",
    "parse_assignments",
]
