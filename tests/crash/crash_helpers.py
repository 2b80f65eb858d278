"""Helpers of the crash test: a simulator subprocess, CLI runs killed with SIGKILL, and database checks."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import urllib.error
import urllib.request
from openai import OpenAI

from floridify_gui.engine.jobs import STALE_OWNER_SECONDS

ROOT = Path(__file__).resolve().parents[2]
COMPONENTS = "etymology,synonyms"
WORDS_PER_RUN = 15
# Code of the lines the simulator writes to a batch's error file when `error_rate` hits a request.
INJECTED_ERROR_CODE = "server_error"
ENDED_STATUSES = ("succeeded", "failed")
PROCESS_TIMEOUT = 120.0


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class SimulatorProcess:
    """The simulator served by `floridify simulator serve` in a child process."""

    process: subprocess.Popen
    port: int
    known_dbs: list[Path] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def stats(self) -> dict:
        """Fetch the simulator's counters."""
        url = f"http://127.0.0.1:{self.port}/_simulator/stats"
        with urllib.request.urlopen(url, timeout=10) as response:
            return json.loads(response.read())

    def batch_tokens(self) -> dict[str, str]:
        """Return the floridify token of every batch the simulator contains, by batch id."""
        with OpenAI(base_url=self.base_url, api_key="sk-crash-test", max_retries=0) as client:
            return {batch.id: (batch.metadata or {}).get("floridify_token")
                    for batch in client.batches.list(limit=100)}

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def start_simulator(tmp_dir: Path, config: dict) -> SimulatorProcess:
    """Start the simulator on a free port and wait until it serves its stats."""
    config_path = tmp_dir / "simulator.json"
    config_path.write_text(json.dumps(config), encoding="utf-8")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "floridify_gui.cli", "simulator", "serve", "--port", str(port),
         "--config", str(config_path)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    simulator = SimulatorProcess(process, port)
    _wait_until_serving(simulator)
    return simulator


def _wait_until_serving(simulator: SimulatorProcess) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            simulator.stats()
            return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    simulator.stop()
    raise RuntimeError(f"Failed to start the simulator on port {simulator.port}: no answer within 30 s")


def write_word_list(path: Path, prefix: str) -> Path:
    """Write headwords unique to one kill point, so identical bodies across points are not duplicates."""
    words = [f"{prefix}word{number}" for number in range(WORDS_PER_RUN)]
    path.write_text("\n".join(words) + "\n", encoding="utf-8")
    return path


def cli_env(simulator: SimulatorProcess, db_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(OPENAI_API_KEY="sk-crash-test", OPENAI_BASE_URL=simulator.base_url, FLORIDIFY_DB=str(db_path))
    return env


def synthesize_command(words: Path) -> list[str]:
    return [sys.executable, "-m", "floridify_gui.cli", "batch", "synthesize", "--words", str(words),
            "--batch-mode", "--components", COMPONENTS, "--poll-interval", "0.05"]


def resume_command() -> list[str]:
    return [sys.executable, "-m", "floridify_gui.cli", "batch", "resume", "--poll-interval", "0.05"]


def run_to_exit(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=PROCESS_TIMEOUT)


def run_and_kill(command: list[str], env: dict[str, str], delay: float) -> tuple[int, bool]:
    """Start `command`, send SIGKILL after `delay` seconds.

    Returns:
        The process id and whether the kill came before the process exited by itself.
    """
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        process.wait(timeout=delay)
        return process.pid, False
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        return process.pid, True


def query(db_path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    """Run one read-only query on the product's database, bypassing the product's code."""
    if not db_path.exists():
        return []
    connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        return connection.execute(sql, params).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return []  # killed before the schema was created
        raise
    finally:
        connection.close()


def describe_kill_moment(db_path: Path) -> str:
    """Name how far the killed run got, from what its database recorded."""
    jobs = query(db_path, "SELECT status FROM job")
    if not jobs:
        return "before job creation"
    if jobs[0][0] == "queued":
        return "job created, not started"
    steps = [row[0] for row in query(db_path, "SELECT step FROM remote_batch ORDER BY id")]
    if not steps:
        return "job started, no batch intent"
    return f"batch steps {'+'.join(steps)}"


def dead_owner_blocks(db_path: Path, killed_pid: int) -> float | None:
    """Return when the killed process's claim on the job turns stale, if it still holds an unfinished job."""
    rows = query(db_path, "SELECT owner, heartbeat_at FROM job WHERE status IN ('running', 'waiting')")
    for owner, heartbeat_at in rows:
        if owner and owner.endswith(f":{killed_pid}") and heartbeat_at:
            return heartbeat_at + STALE_OWNER_SECONDS
    return None


def wait_until(epoch_seconds: float) -> None:
    # A second of margin because the product compares with its own clock reading.
    delay = epoch_seconds + 1.0 - time.time()
    if delay > 0:
        time.sleep(delay)


@dataclass
class ItemCheck:
    """What the database of one kill point holds after the resumes."""

    total: int
    by_status: dict[str, int]
    unexpected_failures: list[tuple]
    unfinished: int
    duplicate_keys: list[tuple]
    remote_ids: set[str]
    tokens: set[str]
    job_statuses: list[str]


def check_items(db_path: Path) -> ItemCheck:
    """Read the items and batches of the kill point's database directly with sqlite3."""
    items = query(db_path, "SELECT status, outcome_code, job_id, word_id, sense_id, component FROM job_item")
    by_status: dict[str, int] = {}
    for status, *_ in items:
        by_status[status] = by_status.get(status, 0) + 1

    unexpected = [row for row in items
                  if row[0] not in ENDED_STATUSES or (row[0] == "failed" and row[1] != INJECTED_ERROR_CODE)]
    duplicates = query(db_path, "SELECT job_id, word_id, sense_id, component, COUNT(*) FROM job_item "
                                "GROUP BY job_id, word_id, sense_id, component HAVING COUNT(*) > 1")
    batches = query(db_path, "SELECT remote_id, token FROM remote_batch")
    return ItemCheck(
        total=len(items),
        by_status=by_status,
        unexpected_failures=unexpected,
        unfinished=sum(1 for row in items if row[0] not in ENDED_STATUSES),
        duplicate_keys=duplicates,
        remote_ids={remote_id for remote_id, _ in batches if remote_id},
        tokens={token for _, token in batches},
        job_statuses=[row[0] for row in query(db_path, "SELECT status FROM job")],
    )
