"""Fixtures for the simulator tests: a running simulator and an OpenAI client bound to it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from openai import OpenAI

from floridify_gui.simulator import Simulator, SimulatorConfig


@pytest.fixture
def start_simulator() -> Iterator[Callable[..., Simulator]]:
    """Start simulators with the given config fields and stop them after the test."""
    started: list[Simulator] = []

    def start(**config_fields: Any) -> Simulator:
        simulator = Simulator(SimulatorConfig(**config_fields)).start()
        started.append(simulator)
        return simulator

    yield start

    for simulator in started:
        simulator.stop()


@pytest.fixture
def simulator(start_simulator: Callable[..., Simulator]) -> Simulator:
    return start_simulator(batch_duration=0)


@pytest.fixture
def client(simulator: Simulator) -> Iterator[OpenAI]:
    with OpenAI(base_url=simulator.base_url, api_key="sk-sim-test", max_retries=0) as openai_client:
        yield openai_client
