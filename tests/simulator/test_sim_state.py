"""The simulator keeps its files and batches in a folder between runs."""

import time

import pytest
from openai import NotFoundError, OpenAI

from floridify_gui.simulator import Simulator, SimulatorConfig
from floridify_gui.simulator.state import STATE_FILE

from sim_helpers import batch_jsonl, read_jsonl

BATCH_SECONDS = 0.5


def _client(simulator: Simulator) -> OpenAI:
    return OpenAI(base_url=simulator.base_url, api_key="sk-sim-test", max_retries=0)


def _create_batch(simulator: Simulator) -> str:
    client = _client(simulator)
    uploaded = client.files.create(file=("input.jsonl", batch_jsonl(4)), purpose="batch")
    batch = client.batches.create(input_file_id=uploaded.id, endpoint="/v1/chat/completions",
                                  completion_window="24h", metadata={"token": "abc"})
    return batch.id


def test_batch_survives_restart(tmp_path):
    config = SimulatorConfig(batch_duration=BATCH_SECONDS)
    with Simulator(config, state_dir=tmp_path) as first:
        batch_id = _create_batch(first)

    time.sleep(BATCH_SECONDS * 1.5)  # the batch goes on while no simulator runs
    with Simulator(config, state_dir=tmp_path) as second:
        batch = _client(second).batches.retrieve(batch_id)
        output = read_jsonl(_client(second), batch.output_file_id)

    assert batch.status == "completed"
    assert batch.metadata == {"token": "abc"}
    assert batch.request_counts.completed == 4
    assert len(output) == 4


def test_restored_batch_keeps_running(tmp_path):
    config = SimulatorConfig(batch_duration=60)
    with Simulator(config, state_dir=tmp_path) as first:
        batch_id = _create_batch(first)

    with Simulator(config, state_dir=tmp_path) as second:
        batch = _client(second).batches.retrieve(batch_id)

    assert batch.status in ("validating", "in_progress")


def test_without_state_dir_batches_are_forgotten():
    config = SimulatorConfig(batch_duration=BATCH_SECONDS)
    with Simulator(config) as first:
        batch_id = _create_batch(first)

    with Simulator(config) as second:
        with pytest.raises(NotFoundError):
            _client(second).batches.retrieve(batch_id)


@pytest.mark.allow_warnings
def test_unreadable_state_starts_empty(tmp_path, caplog):
    (tmp_path / STATE_FILE).write_text("{not json", encoding="utf-8")

    with Simulator(SimulatorConfig(), state_dir=tmp_path) as simulator:
        batches = list(_client(simulator).batches.list())

    assert batches == []
    assert "Failed to restore the simulator state" in caplog.text
