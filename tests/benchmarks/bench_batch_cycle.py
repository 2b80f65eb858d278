"""Benchmark one Batch API cycle of the engine: 50,000 sense x component items against the simulator.

The simulator runs in a separate process (`floridify simulator serve` on 127.0.0.1), so the CPU
time of this process is the client-side cost: building requests, writing the batch file, polling,
parsing the output and storing every result in SQLite. That cost is compared with a floor
measured in the same run: json.dumps of the same request lines, json.loads of the simulator's
output lines and one sqlite3 executemany of as many cache-width rows into a fresh file.

Run from the project root:

    .venv/bin/python tests/benchmarks/bench_batch_cycle.py [--profile] [--headwords N]

Exit status is 0 whether or not the targets are met, and 1 when the run itself fails (an item
did not succeed, or the simulator did not start).
"""

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import resource
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from openai import OpenAI

from floridify_gui.connector.accumulator import PendingRequest
from floridify_gui.connector.batch_files import ENDPOINT
from floridify_gui.engine import Engine, EngineSettings, jobs, report
from floridify_gui.engine.pipeline import pairs_for_items
from floridify_gui.storage import JobItem, RemoteBatch
from floridify_gui.wordlist import Entry, SenseRow, headword_key

ROOT = Path(__file__).resolve().parents[2]
WORDS_ALPHA = ROOT.parent / "shared" / "wordlists" / "words_alpha.txt"

HEADWORDS = 5_000
SENSES_PER_HEADWORD = 2
COMPONENTS = ["synonyms", "antonyms", "examples", "cefr_level", "register"]
MODEL = "gpt-4o-mini"

RATIO_TARGET = 3.0
PEAK_RSS_TARGET_MB = 600
SIMULATOR_START_TIMEOUT = 20.0
PROFILE_ROWS = 25


@dataclass
class CycleResult:
    """Figures of the timed run_job call and what the floor needs from it."""

    items: int
    succeeded: int
    wall_seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    setup_seconds: float
    request_lines: list[dict] = field(repr=False, default_factory=list)
    output_lines: list[str] = field(repr=False, default_factory=list)
    profiles: dict[str, cProfile.Profile] = field(repr=False, default_factory=dict)


@dataclass
class FloorResult:
    """CPU seconds of each part of the floor."""

    dumps_seconds: float
    loads_seconds: float
    executemany_seconds: float

    @property
    def total_seconds(self) -> float:
        return self.dumps_seconds + self.loads_seconds + self.executemany_seconds


# -- input ---------------------------------------------------------------


def read_headwords(count: int) -> tuple[list[str], str]:
    """Return `count` distinct headwords and a description of where they came from.

    The headwords are spread evenly over words_alpha.txt so that they do not all share a prefix.
    Without that file (a clone without the shared word lists), synthetic headwords are used.
    """
    if not WORDS_ALPHA.is_file():
        return [f"benchword{n:06d}" for n in range(count)], "synthetic headwords (words_alpha.txt not found)"

    words = [line.strip() for line in WORDS_ALPHA.read_text(encoding="utf-8").splitlines() if line.strip()]
    if len(words) < count:
        raise SystemExit(f"Failed to pick {count} headwords: {WORDS_ALPHA} has only {len(words)}. "
                         "Pass a smaller --headwords.")

    step = len(words) // count
    return words[::step][:count], f"every {step}th word of words_alpha.txt"


def build_entries(headwords: list[str]) -> list[Entry]:
    """Give every headword SENSES_PER_HEADWORD synthetic senses, each naming its headword.

    Naming the headword in the definition and example makes every request body distinct, so
    the engine's deduplication and the cache never shrink the batch.
    """
    entries = []
    for line, headword in enumerate(headwords, start=1):
        senses = [
            SenseRow("noun", f"the {position}th sense of {headword}, used in the benchmark",
                     f"An example of {headword} in its {position}th sense.", line)
            for position in range(1, SENSES_PER_HEADWORD + 1)
        ]
        entries.append(Entry(headword, headword_key(headword), line, senses))
    return entries


# -- simulator process -----------------------------------------------------


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    # NOTE: another process could take the port between this call and the simulator's bind;
    # the simulator then fails to start and the benchmark exits 1.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_simulator(workdir: Path) -> tuple[subprocess.Popen, str]:
    """Start `floridify simulator serve` with batch_duration 0; return the process and its base URL."""
    config = workdir / "simulator.json"
    config.write_text(json.dumps({"batch_duration": 0}), encoding="utf-8")
    port = free_port()
    log_path = workdir / "simulator.log"

    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "floridify_gui.cli", "simulator", "serve", "--port", str(port),
             "--config", str(config)],
            stdout=log_file, stderr=subprocess.STDOUT, cwd=ROOT,
        )
    wait_until_listening(process, port, log_path)
    return process, f"http://127.0.0.1:{port}/v1"


def wait_until_listening(process: subprocess.Popen, port: int, log_path: Path) -> None:
    """Block until the simulator accepts connections on `port`, or raise SystemExit."""
    deadline = time.monotonic() + SIMULATOR_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"Failed to start the simulator: it exited with status {process.returncode}. "
                             f"Output:\n{log_path.read_text(encoding='utf-8', errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)

    process.kill()
    raise SystemExit(f"Failed to start the simulator: port {port} did not accept connections within "
                     f"{SIMULATOR_START_TIMEOUT:.0f} s. See {log_path}.")


def stop_simulator(process: subprocess.Popen) -> None:
    """Terminate the simulator process and wait for it, killing it if it does not stop."""
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# -- the timed cycle ---------------------------------------------------------


def peak_rss_mb() -> float:
    """Return this process's peak resident set size in MB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports kilobytes, macOS bytes.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


async def run_cycle(db_path: Path, base_url: str, entries: list[Entry], profile: bool) -> CycleResult:
    """Import the entries, create a batch job and time its run_job call."""
    # A short max_poll_interval keeps idle waiting from inflating the wall time: the simulator
    # finishes a batch as soon as it is created.
    settings = EngineSettings(api_key="sk-bench", base_url=base_url, model=MODEL, poll_interval=0.05,
                              max_poll_interval=0.5)
    engine = Engine(db_path, settings)
    try:
        setup_started = time.perf_counter()
        word_ids = await engine.import_entries(entries)
        job_id = await engine.create_job("benchmark", word_ids, COMPONENTS, "batch")
        setup_seconds = time.perf_counter() - setup_started

        result = await timed_run_job(engine, job_id, profile)
        result.setup_seconds = setup_seconds
        await collect_floor_inputs(engine, job_id, base_url, result)
        return result
    finally:
        await engine.aclose()


async def timed_run_job(engine: Engine, job_id: int, profile: bool) -> CycleResult:
    """Run the job, measuring wall time, this process's CPU time and peak RSS."""
    profiles = {"event loop thread": cProfile.Profile(), "database thread": cProfile.Profile()} if profile else {}
    if profile:
        # cProfile follows only the thread that enables it, and the engine runs all SQLite work
        # on its DatabaseWorker thread, so that thread gets a profiler of its own.
        await engine.worker.run(profiles["database thread"].enable)
        profiles["event loop thread"].enable()

    wall_started, cpu_started = time.perf_counter(), time.process_time()
    await engine.run_job(job_id)
    wall_seconds, cpu_seconds = time.perf_counter() - wall_started, time.process_time() - cpu_started

    if profile:
        profiles["event loop thread"].disable()
        await engine.worker.run(profiles["database thread"].disable)

    status = await engine.worker.run(report.job_status, job_id)
    return CycleResult(
        items=status["items"]["total"], succeeded=status["items"]["succeeded"], wall_seconds=wall_seconds,
        cpu_seconds=cpu_seconds, peak_rss_mb=peak_rss_mb(), setup_seconds=0.0, profiles=profiles,
    )


async def collect_floor_inputs(engine: Engine, job_id: int, base_url: str, result: CycleResult) -> None:
    """Store the job's request lines and the simulator's output lines on `result`, untimed."""
    item_ids = await engine.worker.run(
        lambda: [item.id for item in JobItem.select(JobItem.id).where(JobItem.job == job_id)])
    contexts = await engine.worker.run(jobs.items_by_id, item_ids)
    result.request_lines = [
        {"custom_id": request.key, "method": "POST", "url": ENDPOINT, "body": request.body}
        for request, _ in pairs_for_items(contexts, MODEL)
    ]

    file_ids = await engine.worker.run(lambda: [batch.output_file_id for batch in RemoteBatch.select().where(
        (RemoteBatch.job == job_id) & RemoteBatch.output_file_id.is_null(False))])
    result.output_lines = await asyncio.to_thread(download_lines, base_url, file_ids)


def download_lines(base_url: str, file_ids: list[str]) -> list[str]:
    """Download the batch output files from the simulator and return their lines."""
    lines: list[str] = []
    with OpenAI(api_key="sk-bench", base_url=base_url) as client:
        for file_id in file_ids:
            lines.extend(line for line in client.files.content(file_id).text.splitlines() if line)
    return lines


# -- the floor ---------------------------------------------------------------


def measure_floor(request_lines: list[dict], output_lines: list[str], workdir: Path) -> FloorResult:
    """Time the least work any client must do per item: encode, decode and insert once."""
    started = time.process_time()
    for line in request_lines:
        json.dumps(line)
    dumps_seconds = time.process_time() - started

    started = time.process_time()
    decoded = [json.loads(line) for line in output_lines]
    loads_seconds = time.process_time() - started

    rows = cache_rows(decoded)
    return FloorResult(dumps_seconds, loads_seconds, time_executemany(rows, workdir / "floor.sqlite3"))


def cache_rows(decoded: list[dict]) -> list[tuple]:
    """Shape output lines like the engine's cached_response rows (7 columns), untimed."""
    created_at = time.time()
    rows = []
    for line in decoded:
        body = line["response"]["body"]
        usage = body.get("usage") or {}
        rows.append((line["custom_id"], body.get("model", MODEL), "synonyms",
                     body["choices"][0]["message"].get("content"), usage.get("prompt_tokens", 0),
                     usage.get("completion_tokens", 0), created_at))
    return rows


def time_executemany(rows: list[tuple], path: Path) -> float:
    """Insert `rows` into a fresh SQLite file with one executemany and commit; return CPU seconds."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("CREATE TABLE cached_response (key TEXT PRIMARY KEY, model TEXT, component TEXT, "
                           "content TEXT, prompt_tokens INTEGER, completion_tokens INTEGER, created_at REAL)")
        started = time.process_time()
        connection.executemany("INSERT INTO cached_response VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        connection.commit()
        return time.process_time() - started
    finally:
        connection.close()


# -- report ------------------------------------------------------------------


def verdict(value: float, target: float) -> str:
    return "PASS" if value <= target else "OVER TARGET"


def print_figures(cycle: CycleResult, floor: FloorResult, headwords: int, source: str) -> bool:
    """Print the figures; return True when every target is met."""
    items = cycle.items
    client_us = cycle.cpu_seconds / items * 1e6
    floor_us = floor.total_seconds / items * 1e6
    ratio = client_us / floor_us
    print(f"Batch cycle: {headwords} headwords x {SENSES_PER_HEADWORD} senses x {len(COMPONENTS)} "
          f"components ({source}), simulator in a separate process")
    print(f"  setup (import + create_job, untimed) {cycle.setup_seconds:9.2f} s")
    print(f"  items                                {items:9d} ({cycle.succeeded} succeeded)")
    print(f"  run_job wall time                    {cycle.wall_seconds:9.2f} s"
          f"   ({cycle.wall_seconds / items * 1e6:.0f} us/item)")
    print(f"  client CPU time                      {cycle.cpu_seconds:9.2f} s")
    print(f"  client CPU per item                  {client_us:9.1f} us")
    print(f"  floor per item                       {floor_us:9.1f} us   (dumps "
          f"{floor.dumps_seconds / items * 1e6:.1f} + loads {floor.loads_seconds / items * 1e6:.1f} "
          f"+ executemany {floor.executemany_seconds / items * 1e6:.1f})")
    print(f"  ratio client / floor                 {ratio:9.1f} x   target <= {RATIO_TARGET:.0f} x   "
          f"{verdict(ratio, RATIO_TARGET)}")
    print(f"  peak RSS                             {cycle.peak_rss_mb:9.0f} MB  target <= {PEAK_RSS_TARGET_MB} MB "
          f"{verdict(cycle.peak_rss_mb, PEAK_RSS_TARGET_MB)}")
    return ratio <= RATIO_TARGET and cycle.peak_rss_mb <= PEAK_RSS_TARGET_MB


def print_profiles(profiles: dict[str, cProfile.Profile]) -> None:
    """Print the top functions by cumulative time of each profiled thread."""
    for thread, profiler in profiles.items():
        buffer = io.StringIO()
        pstats.Stats(profiler, stream=buffer).sort_stats("cumulative").print_stats(PROFILE_ROWS)
        print(f"\nProfile of the {thread}, top {PROFILE_ROWS} by cumulative time:")
        print(buffer.getvalue())


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", action="store_true",
                        help="profile run_job with cProfile (slows it down) and print the top "
                             f"{PROFILE_ROWS} functions by cumulative time")
    parser.add_argument("--headwords", type=int, default=HEADWORDS,
                        help=f"headwords to import, each giving {SENSES_PER_HEADWORD * len(COMPONENTS)} items "
                             f"(default {HEADWORDS})")
    args = parser.parse_args(argv)
    if args.headwords < 1:
        parser.error(f"invalid --headwords {args.headwords}: use 1 or more")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return 0 when every item succeeded, 1 otherwise."""
    args = parse_args(argv)
    headwords, source = read_headwords(args.headwords)
    entries = build_entries(headwords)

    with tempfile.TemporaryDirectory(prefix="floridify-bench-") as tmp:
        workdir = Path(tmp)
        process, base_url = start_simulator(workdir)
        try:
            cycle = asyncio.run(run_cycle(workdir / "bench.sqlite3", base_url, entries, args.profile))
        finally:
            stop_simulator(process)
        floor = measure_floor(cycle.request_lines, cycle.output_lines, workdir)

    expected = len(entries) * SENSES_PER_HEADWORD * len(COMPONENTS)
    within_targets = print_figures(cycle, floor, len(entries), source)
    if args.profile:
        print("  (figures above include cProfile overhead)")
        print_profiles(cycle.profiles)
    elif not within_targets:
        print("  Run again with --profile to see where the client time goes.")

    if cycle.items != expected or cycle.succeeded != expected:
        print(f"Failed to run the batch cycle: {cycle.succeeded} of {cycle.items} items succeeded, "
              f"{expected} expected.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
