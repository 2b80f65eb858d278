"""OpenAI-compatible simulator: Files, Batch and Chat Completions APIs with deterministic faults.

Tests, benchmarks and `floridify simulator serve` run it on 127.0.0.1 in place of api.openai.com.
"""

from floridify_gui.simulator.config import SimulatorConfig
from floridify_gui.simulator.server import Simulator, serve

__all__ = ["Simulator", "SimulatorConfig", "serve"]
