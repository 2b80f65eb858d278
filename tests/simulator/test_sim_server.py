"""HTTP plumbing, stats, live config and the blocking `serve` entry point."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import openai
import pytest
from sim_helpers import batch_jsonl, chat_body, run_batch

from floridify_gui.simulator import Simulator, SimulatorConfig

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _connection(simulator: Simulator) -> http.client.HTTPConnection:
    address = urlsplit(simulator.base_url)
    return http.client.HTTPConnection(address.hostname, address.port, timeout=10)


def _request(connection, method: str, path: str, body: bytes | None = None, key: str | None = "sk-sim"):
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    return response, response.read()


def test_requests_share_one_connection(simulator):
    connection = _connection(simulator)
    body = json.dumps(chat_body("lamp")).encode()

    statuses = [_request(connection, "POST", "/v1/chat/completions", body)[0].status for _ in range(3)]
    local_port = connection.sock.getsockname()[1]
    statuses.append(_request(connection, "GET", "/_simulator/stats")[0].status)

    assert statuses == [200, 200, 200, 200]
    assert connection.sock.getsockname()[1] == local_port
    connection.close()


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/v1/files/file-x", 404), ("GET", "/v1/unknown", 404), ("POST", "/v1/chat/completions", 400)],
)
def test_errors_have_length_and_body(simulator, method, path, status):
    connection = _connection(simulator)

    response, raw = _request(connection, method, path, b"not json" if method == "POST" else None)

    error = json.loads(raw)["error"]
    assert response.status == status
    assert int(response.headers["Content-Length"]) == len(raw)
    assert set(error) == {"message", "type", "param", "code"}
    connection.close()


@pytest.mark.parametrize("key", [None, ""])
def test_missing_api_key_is_401(simulator, key):
    connection = _connection(simulator)

    response, raw = _request(connection, "POST", "/v1/chat/completions", json.dumps(chat_body("a")).encode(), key=key)

    assert response.status == 401
    assert json.loads(raw)["error"]["code"] == "invalid_api_key"
    connection.close()


def test_stats_count_calls_and_batches(simulator, client):
    client.chat.completions.create(**chat_body("alpha"))
    run_batch(client, batch_jsonl(4))

    stats = simulator.stats()

    assert stats["files_uploaded"] == 1
    assert stats["batches_created"] == 1
    assert stats["batch_lines_processed"] == 4
    assert stats["chat_calls"] == 1
    assert stats["requests_total"] == 5
    assert stats["duplicate_requests"] == 0
    assert stats["batches_by_status"] == {"completed": 1}


def test_duplicates_across_chat_and_batch(simulator, client):
    client.chat.completions.create(**chat_body("entryword0"))
    client.chat.completions.create(**chat_body("entryword0"))
    client.chat.completions.create(**chat_body("entryword0"))
    run_batch(client, batch_jsonl(2))
    run_batch(client, batch_jsonl(1))

    stats = simulator.stats()

    # entryword0 was sent 5 times and entryword1 once, so one body repeats.
    assert stats["duplicate_requests"] == 1
    assert stats["requests_total"] == 6


def test_duplicates_ignore_key_order(simulator, client):
    body = chat_body("order")
    reordered = dict(reversed(list(body.items())))

    client.chat.completions.create(**body)
    client.chat.completions.create(**reordered)

    assert simulator.stats()["duplicate_requests"] == 1


def test_stats_endpoint_matches_method(simulator, client):
    client.chat.completions.create(**chat_body("alpha"))
    connection = _connection(simulator)

    response, raw = _request(connection, "GET", "/_simulator/stats", key=None)

    assert response.status == 200
    assert json.loads(raw) == simulator.stats()
    connection.close()


def test_config_endpoint_updates_config(simulator):
    connection = _connection(simulator)

    response, raw = _request(connection, "POST", "/_simulator/config", json.dumps({"refusal_rate": 0.25}).encode())

    assert response.status == 200
    assert json.loads(raw)["refusal_rate"] == 0.25
    assert simulator.config.refusal_rate == 0.25
    connection.close()


@pytest.mark.parametrize("changes", [{"no_such_field": 1}, {"error_rate": 2.0}, {"fail_batches_with": "oops"}])
def test_config_endpoint_rejects_invalid_change(simulator, changes):
    connection = _connection(simulator)

    response, raw = _request(connection, "POST", "/_simulator/config", json.dumps(changes).encode())

    assert response.status == 400
    assert json.loads(raw)["error"]["message"].startswith("Failed to update the simulator config")
    assert simulator.config.error_rate == 0.0
    connection.close()


def test_configure_rejects_unknown_field(simulator):
    with pytest.raises(ValueError, match="no_such_field"):
        simulator.configure(no_such_field=1)


def test_models_list(client):
    models = [model.id for model in client.models.list()]

    assert "gpt-4o-mini" in models


def test_stop_closes_idle_connections():
    simulator = Simulator(SimulatorConfig()).start()
    connection = _connection(simulator)
    _request(connection, "GET", "/_simulator/stats")

    simulator.stop()

    with pytest.raises((http.client.HTTPException, ConnectionError)):
        _request(connection, "GET", "/_simulator/stats")
    connection.close()


def test_stop_twice_is_harmless():
    simulator = Simulator().start()
    simulator.stop()

    simulator.stop()

    with pytest.raises(RuntimeError):
        _ = simulator.base_url


def test_context_manager_serves_sdk_client():
    with Simulator(SimulatorConfig(batch_duration=0)) as simulator:
        with openai.OpenAI(base_url=simulator.base_url, api_key="sk-sim", max_retries=0) as client:
            batch = run_batch(client, batch_jsonl(2))

    assert batch.status == "completed"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_serve_prints_url_and_stops(tmp_path):
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps({"batch_duration": 0, "refusal_rate": 1.0}))
    port = _free_port()
    script = (
        "from floridify_gui.simulator import SimulatorConfig, serve; "
        f"serve({port}, SimulatorConfig.from_file({str(config_path)!r}))"
    )
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=env)
    try:
        first_line = process.stdout.readline()
        with openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="sk-sim", max_retries=0) as client:
            message = client.chat.completions.create(**chat_body("lamp")).choices[0].message
        process.send_signal(signal.SIGINT)
        return_code = process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
        process.stdout.close()

    assert f"http://127.0.0.1:{port}/v1" in first_line
    assert message.refusal
    assert return_code == 0
