"""SimulatorConfig: defaults, dict and file round trips, validation and live countdowns."""

from __future__ import annotations

import json

import pytest

from floridify_gui.simulator import SimulatorConfig
from floridify_gui.simulator.config import LiveConfig


def test_defaults_have_no_faults():
    config = SimulatorConfig()

    assert config.error_rate == 0.0
    assert config.fail_batches_with is None
    assert config.chat_429_count == 0
    assert config.batches_supported is True


def test_dict_round_trip():
    config = SimulatorConfig(seed=9, refusal_rate=0.1, fail_batches_with="invalid_request")

    assert SimulatorConfig.from_dict(config.to_dict()) == config


def test_from_file(tmp_path):
    path = tmp_path / "sim.json"
    path.write_text(json.dumps({"batch_duration": 0.5, "poll_html_count": 2}))

    config = SimulatorConfig.from_file(path)

    assert config.batch_duration == 0.5
    assert config.poll_html_count == 2


def test_from_file_rejects_non_object(tmp_path):
    path = tmp_path / "sim.json"
    path.write_text("[1]")

    with pytest.raises(ValueError, match="one JSON object"):
        SimulatorConfig.from_file(path)


@pytest.mark.parametrize(
    "fields",
    [
        {"unknown": 1},
        {"error_rate": -0.1},
        {"expire_after_fraction": 1.5},
        {"chat_429_count": -1},
        {"fail_batches_with": "nope"},
        {"batch_duration": -1},
        {"enqueued_token_limit": -5},
    ],
)
def test_invalid_fields_raise(fields):
    with pytest.raises(ValueError):
        SimulatorConfig.from_dict(fields)


def test_countdown_is_used_up():
    live = LiveConfig(SimulatorConfig(poll_429_count=2))

    used = [live.take_countdown("poll_429_count") for _ in range(3)]

    assert used == [2, 1, 0]
    assert live.snapshot().poll_429_count == 0


def test_invalid_update_leaves_config_unchanged():
    live = LiveConfig(SimulatorConfig(seed=1))

    with pytest.raises(ValueError):
        live.update({"seed": 2, "error_rate": 5.0})

    assert live.snapshot().seed == 1
