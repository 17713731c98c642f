"""The engine: jobs, runs, checkpoints, datasets and plugins. No Qt here, ever.

The window, the command line and the tests drive it the same way: a job is a Python object whose
``run`` yields events. This module is the engine's front door: ``studio.ui`` and ``studio.cli``
import from here only (tests/test_layering.py checks it), so the subpackages can change shape
without the window or the command line noticing.

    session, home, settings     opening Studio: the library folder, the user's settings, plugins
    events, jobs, generation    what every job yields; generating; checking a dataset
    importing                   bringing in a model the user already has (studio models add)
    evaluation                  measuring a model against a folder (any generator that can)
    train/                      the training job, its loop, loop parameters, batching, seeding
    store/                      atomic writes, checkpoints, trainer state, runs, the model library
    plugins/                    the plugin host, plugin health, fallback exporters, install/
    device/                     choosing a device, host memory during jobs, warming torch up
    process/                    jobs in a child process; which jobs are isolated
    discovery/                  models other apps keep on this machine (one rule per app)
    export/                     GGUF and Ollama exports of language models
    voice_report                how close a text model writes to its writer, and if it copies

Nothing here imports torch at import time; jobs import it when they run.
"""

from studio.engine.datacheck import DataCheckJob, check_data
from studio.engine.device.devices import DEVICE_CHOICES, describe_device, resolve_device
from studio.engine.device.warmup import prewarm
from studio.engine.discovery import find_models
from studio.engine.discovery import judge as judge_models
from studio.engine.discovery.job import FindModelsJob, FoundModels, library_name
from studio.engine.evaluation import EVALUATIONS, EvaluateJob, latest_evaluation, latest_view
from studio.engine.events import (
    TERMINAL,
    Cancelled,
    CheckpointSaved,
    DataCheckResult,
    Event,
    Failed,
    Finished,
    GenerateResult,
    Log,
    Metric,
    Progress,
    Result,
    SampleEvent,
    Started,
    TrainResult,
)
from studio.engine.export.job import ExportJob
from studio.engine.generation import GenerateJob
from studio.engine.home import Home
from studio.engine.importing import ImportJob
from studio.engine.jobs import Job, describe_failure
from studio.engine.plugins.health import FAILURE_LIMIT, PluginHealth
from studio.engine.plugins.host import (
    APPROVAL_NOTICE,
    PluginHost,
    PluginRecord,
    installed_since_start,
    load_plugins,
)
from studio.engine.plugins.install.installer import InstallResult, PluginInstaller
from studio.engine.process.policy import ISOLATE_SETTING, should_isolate
from studio.engine.session import Session, open_session, safe_mode_requested, start_plugins
from studio.engine.settings import Settings
from studio.engine.store.atomic import read_json, write_json
from studio.engine.store.checkpoints import newest_valid
from studio.engine.store.exports import recent_samples
from studio.engine.store.library import describe_import, list_models
from studio.engine.store.manage import (
    export_metrics,
    library_models,
    metrics_csv,
    remove_model,
    remove_run,
    rename_model,
)
from studio.engine.store.runs import (
    Run,
    find_run,
    interrupted_runs,
    list_runs,
    read_metrics,
    resume_problem,
)
from studio.engine.train.calibrate import CalibrationJob, CalibrationResult
from studio.engine.train.job import TrainJob
from studio.engine.train.loop_params import training_schema
from studio.engine.voice_report import REPORT_FILE as VOICE_REPORT_FILE
from studio.engine.voice_report import VoiceReportJob

__all__ = [
    "APPROVAL_NOTICE",
    "DEVICE_CHOICES",
    "EVALUATIONS",
    "FAILURE_LIMIT",
    "ISOLATE_SETTING",
    "TERMINAL",
    "VOICE_REPORT_FILE",
    "CalibrationJob",
    "CalibrationResult",
    "Cancelled",
    "CheckpointSaved",
    "DataCheckJob",
    "DataCheckResult",
    "EvaluateJob",
    "Event",
    "ExportJob",
    "Failed",
    "FindModelsJob",
    "Finished",
    "FoundModels",
    "GenerateJob",
    "GenerateResult",
    "Home",
    "ImportJob",
    "InstallResult",
    "Job",
    "Log",
    "Metric",
    "PluginHealth",
    "PluginHost",
    "PluginInstaller",
    "PluginRecord",
    "Progress",
    "Result",
    "Run",
    "SampleEvent",
    "Session",
    "Settings",
    "Started",
    "TrainJob",
    "TrainResult",
    "VoiceReportJob",
    "check_data",
    "describe_device",
    "describe_failure",
    "describe_import",
    "export_metrics",
    "find_models",
    "find_run",
    "installed_since_start",
    "interrupted_runs",
    "judge_models",
    "latest_evaluation",
    "latest_view",
    "library_models",
    "library_name",
    "list_models",
    "list_runs",
    "load_plugins",
    "metrics_csv",
    "newest_valid",
    "open_session",
    "prewarm",
    "read_json",
    "read_metrics",
    "recent_samples",
    "remove_model",
    "remove_run",
    "rename_model",
    "resolve_device",
    "resume_problem",
    "safe_mode_requested",
    "should_isolate",
    "start_plugins",
    "training_schema",
    "write_json",
]
