"""The synthesis engine: jobs, stages and the queue, shared by the CLI and the desktop app."""

from floridify_gui.engine.engine import AbortFlag, Engine, EngineSettings, Estimate
from floridify_gui.engine.pipeline import enhance_definitions_parallel
from floridify_gui.engine.queue import JobQueue

__all__ = ["AbortFlag", "Engine", "EngineSettings", "Estimate", "JobQueue", "enhance_definitions_parallel"]
