"""Benchmark the desktop app's responsiveness: event-loop stalls and the result grid over 500,000 rows.

The real main window (create_main_window, start_main_window) runs on a qasync loop with the
simulator in a separate process on 127.0.0.1, so only the app's own work runs in this process.

(a) Event-loop stall: a 5 ms heartbeat QTimer runs while the app's job queue runs a 50,000-item
    batch job (5,000 headwords x 2 senses x 5 sense-level components, batch_duration 0) and
    merges its results. The stall is the longest gap between two heartbeats minus the interval.
    The floor is the same figure for one idle second before the job starts.
(b) First paint: 450,000 more job_item rows are inserted with sqlite3 executemany (500,000 in
    all), then a ResultsPane is created and shown. The time runs from its construction to the
    end of the first paint of the grid's viewport that shows the first rows' data (rows are
    read in the background and show a placeholder until then). The floor is the grid's id
    query (all items, ordered by headword) run with plain sqlite3.
(c) Status filter: the pane's status filter is set to "failed", and the time runs until the end
    of the first viewport paint that shows the filtered rows' data. The floor is
    `SELECT id FROM job_item WHERE status = 'failed'` in the grid's order, with plain sqlite3.

Run from the project root (`make bench` sets QT_QPA_PLATFORM=offscreen; without a display the
script sets it too):

    .venv/bin/python tests/benchmarks/bench_gui.py [--stall-stacks]

--stall-stacks samples the UI thread's Python stack during every stall of (a) and prints the
most frequent ones, to show which code blocks the event loop.

Exit status is 0 whether or not the targets are met, and 1 when the run itself fails.
"""

import argparse
import asyncio
import collections
import os
import sqlite3
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import floridify_gui

# The simulator process helpers and the entries are shared with the engine's batch benchmark.
from bench_batch_cycle import build_entries, start_simulator, stop_simulator

PACKAGE_DIR = Path(floridify_gui.__file__).resolve().parent
HEADWORDS = 5_000
COMPONENTS = ["synonyms", "antonyms", "examples", "cefr_level", "register"]
GRID_ROWS = 500_000
FAILED_EVERY = 10  # every 10th inserted row is failed, so the filter shows about 45,000 rows
HEARTBEAT_MS = 5
IDLE_SECONDS = 1.0
# The window's 250 ms repaint timer reloads the grid after the job finishes; that reload counts too.
AFTER_JOB_SECONDS = 1.5
JOB_TIMEOUT_S = 300.0
STEP_TIMEOUT_S = 60.0
STACK_SAMPLE_S = 0.01
STACK_REPORT_COUNT = 25
POLL_INTERVAL_S = 0.002
GRID_SIZE = (1200, 800)

STALL_TARGET_MS = 50.0
FIRST_PAINT_TARGET_MS = 1000.0
FILTER_TARGET_MS = 300.0


class BenchmarkError(Exception):
    """The run itself failed (not a missed target)."""


@dataclass
class Figures:
    """Measured times in milliseconds."""

    idle_stall_ms: float = 0.0
    job_stall_ms: float = 0.0
    job_stall_at_s: float = 0.0
    job_seconds: float = 0.0
    job_items: int = 0
    long_gaps: int = 0
    first_paint_ms: float = 0.0
    grid_rows: int = 0
    first_paint_floor_ms: float = 0.0
    filter_ms: float = 0.0
    filtered_rows: int = 0
    filter_floor_ms: float = 0.0
    sampler: "StallSampler | None" = None


def configure_environment(workdir: Path) -> None:
    """Keep the run away from the user's settings, keyring, logs and display."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    for variable in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"):
        os.environ[variable] = str(workdir / variable.lower())

    from PySide6.QtCore import QSettings

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        QSettings.setPath(QSettings.Format.IniFormat, scope, str(workdir / "qsettings"))


async def wait_until(predicate, step: str, timeout: float = STEP_TIMEOUT_S) -> None:
    """Let the event loop run until `predicate()` is true, or raise BenchmarkError."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise BenchmarkError(f"Failed to {step}: timed out after {timeout:.0f} s.")
        await asyncio.sleep(POLL_INTERVAL_S)


# -- (a) event-loop stall ----------------------------------------------------


class StallSampler:
    """Samples the UI thread's Python stack from another thread while the heartbeat is late.

    Each sample counts once for every floridify_gui line on the stack, like the inclusive
    figures of a profiler, so the lines that block the event loop longest come first.
    """

    def __init__(self, heartbeat: "Heartbeat") -> None:
        self._heartbeat = heartbeat
        self._ui_thread = threading.get_ident()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stall-sampler", daemon=True)
        self.samples = 0
        self.lines: collections.Counter[str] = collections.Counter()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(STACK_SAMPLE_S):
            late_ms = (time.perf_counter() - self._heartbeat.last_beat) * 1000 - HEARTBEAT_MS
            frame = sys._current_frames().get(self._ui_thread)
            if late_ms > STALL_TARGET_MS and frame is not None:
                self._count(traceback.extract_stack(frame))

    def _count(self, stack: traceback.StackSummary) -> None:
        self.samples += 1
        lines = {f"{Path(entry.filename).relative_to(PACKAGE_DIR.parent)}:{entry.lineno} in {entry.name}"
                 for entry in stack if Path(entry.filename).is_relative_to(PACKAGE_DIR)}
        self.lines.update(lines or {"(no floridify_gui frame: Qt, qasync or the benchmark)"})

    def print_report(self) -> None:
        print(f"\nUI thread stack samples every {STACK_SAMPLE_S * 1000:.0f} ms during stalls over "
              f"{STALL_TARGET_MS:.0f} ms: {self.samples}. Lines on the stack in most samples:")
        for line, count in self.lines.most_common(STACK_REPORT_COUNT):
            print(f"  {count:5d}  {line}")


class Heartbeat:
    """A precise QTimer that records the largest gap between two of its timeouts."""

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self._timer = QTimer(interval=HEARTBEAT_MS)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._beat)
        self._started = self._last = 0.0
        self.max_gap = self.max_gap_at = 0.0
        self.long_gaps = 0

    def start(self) -> None:
        self._started = self._last = time.perf_counter()
        self.max_gap = self.max_gap_at = 0.0
        self.long_gaps = 0
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _beat(self) -> None:
        now = time.perf_counter()
        gap = now - self._last
        if gap > self.max_gap:
            self.max_gap, self.max_gap_at = gap, self._last - self._started
        if gap * 1000 - HEARTBEAT_MS > STALL_TARGET_MS:
            self.long_gaps += 1
        self._last = now

    @property
    def last_beat(self) -> float:
        """perf_counter time of the latest timeout."""
        return self._last

    @property
    def stall_ms(self) -> float:
        """Maximum gap minus the interval, in milliseconds."""
        return max(0.0, self.max_gap * 1000 - HEARTBEAT_MS)


async def measure_job_stall(window, figures: Figures, sample_stacks: bool) -> int:
    """Create the 50,000-item job, run it through the app's queue under a heartbeat; return its id."""
    from floridify_gui.engine import report
    from floridify_gui.ui.app import start_main_window

    engine = window.services.engine
    entries = build_entries([f"benchword{number:06d}" for number in range(HEADWORDS)])
    word_ids = await engine.import_entries(entries)
    job_id = await engine.create_job("GUI benchmark", word_ids, COMPONENTS, "batch")
    finished = []
    window.services.bridge.jobFinished.connect(lambda finished_id, *_counts: finished.append(finished_id))

    heartbeat = Heartbeat()
    heartbeat.start()
    await asyncio.sleep(IDLE_SECONDS)
    figures.idle_stall_ms = heartbeat.stall_ms

    heartbeat.start()
    sampler = StallSampler(heartbeat) if sample_stacks else None
    if sampler is not None:
        sampler.start()
    started = time.perf_counter()
    start_main_window(window)
    await wait_until(lambda: job_id in finished, f"run job {job_id}", JOB_TIMEOUT_S)
    figures.job_seconds = time.perf_counter() - started
    await asyncio.sleep(AFTER_JOB_SECONDS)
    heartbeat.stop()
    if sampler is not None:
        sampler.stop()
        figures.sampler = sampler
    figures.job_stall_ms, figures.job_stall_at_s = heartbeat.stall_ms, heartbeat.max_gap_at
    figures.long_gaps = heartbeat.long_gaps

    status = await engine.worker.run(report.job_status, job_id)
    figures.job_items = status["items"]["total"]
    expected = len(entries) * 2 * len(COMPONENTS)
    if status["items"]["succeeded"] != expected:
        raise BenchmarkError(f"Failed to run job {job_id}: {status['items']['succeeded']} of "
                             f"{status['items']['total']} items succeeded, {expected} expected.")
    return job_id


# -- (b) and (c) the result grid ---------------------------------------------


def fill_grid_rows(db_path: Path, job_id: int) -> int:
    """Insert job_item rows into `job_id` until the database contains GRID_ROWS; return the count."""
    connection = sqlite3.connect(db_path)
    try:
        with connection:
            existing = connection.execute("SELECT COUNT(*) FROM job_item").fetchone()[0]
            word_id = connection.execute("SELECT id FROM word ORDER BY id LIMIT 1").fetchone()[0]
            rows = (
                (job_id, word_id, f"gridword{number:06d}", "noun", f"gloss {number}", "synonyms", 1,
                 "failed" if number % FAILED_EVERY == 0 else "succeeded", 1,
                 "server_error" if number % FAILED_EVERY == 0 else None, float(number))
                for number in range(GRID_ROWS - existing)
            )
            connection.executemany(
                "INSERT INTO job_item (job_id, word_id, headword, part_of_speech, gloss, component, stage,"
                " status, attempts, outcome_code, updated_at, cache_hit)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
                rows,
            )
        return connection.execute("SELECT COUNT(*) FROM job_item").fetchone()[0]
    finally:
        connection.close()


class PaintProbe:
    """Records when the first paint of a viewport that meets a condition has finished.

    An event filter receives the paint event before the view paints, so the end is taken by a
    zero-delay timer posted from the filter, which runs after the paint returns.
    """

    def __init__(self, viewport) -> None:
        from PySide6.QtCore import QEvent, QObject

        probe = self

        class _Filter(QObject):
            def eventFilter(self, watched, event):  # noqa: N802
                if event.type() == QEvent.Type.Paint:
                    probe._on_paint()
                return False

        self._filter = _Filter()
        viewport.installEventFilter(self._filter)
        self.condition = lambda: False
        self.painted_at: float | None = None
        self._armed = True

    def arm(self, condition) -> None:
        """Wait for the next paint during which `condition()` is true."""
        self.condition, self.painted_at, self._armed = condition, None, True

    def _on_paint(self) -> None:
        from PySide6.QtCore import QTimer

        if self._armed and self.condition():
            self._armed = False
            QTimer.singleShot(0, self._record)

    def _record(self) -> None:
        self.painted_at = time.perf_counter()


async def measure_grid(window, figures: Figures) -> None:
    """Time the first paint of a new ResultsPane and a status filter on it."""
    from floridify_gui.ui.results_pane import ResultsPane

    started = time.perf_counter()
    pane = ResultsPane(window.services)
    probe = PaintProbe(pane.view.viewport())
    probe.arm(lambda: pane.model.rowCount() > 0 and pane.model.is_row_read(0))
    pane.resize(*GRID_SIZE)
    pane.show()
    await wait_until(lambda: probe.painted_at is not None, "paint the result grid")
    figures.first_paint_ms = (probe.painted_at - started) * 1000
    figures.grid_rows = pane.model.rowCount()

    expected = sum(count for status, count in pane.model.status_counts.items() if status == "failed")
    probe.arm(lambda: pane.model.item_filter.status == "failed" and not pane.model.is_loading
              and pane.model.is_row_read(0))
    started = time.perf_counter()
    pane.set_status_filter("failed")
    await wait_until(lambda: probe.painted_at is not None, "paint the filtered result grid")
    figures.filter_ms = (probe.painted_at - started) * 1000
    figures.filtered_rows = pane.model.rowCount()
    pane.close()
    pane.deleteLater()
    if figures.filtered_rows != expected:
        raise BenchmarkError(f"Failed to filter the grid: {figures.filtered_rows} rows shown, {expected} expected.")


def measure_floors(db_path: Path, figures: Figures) -> None:
    """Time the grid's id queries with plain sqlite3 (the database pages are already cached)."""
    connection = sqlite3.connect(db_path)
    try:
        figures.first_paint_floor_ms = time_query(connection, "SELECT id FROM job_item ORDER BY headword, id", ())
        figures.filter_floor_ms = time_query(
            connection, "SELECT id FROM job_item WHERE status = ? ORDER BY headword, id", ("failed",))
    finally:
        connection.close()


def time_query(connection: sqlite3.Connection, sql: str, parameters: tuple) -> float:
    """Return the milliseconds to run `sql` and fetch every row."""
    started = time.perf_counter()
    connection.execute(sql, parameters).fetchall()
    return (time.perf_counter() - started) * 1000


# -- the run -----------------------------------------------------------------


async def run_benchmark(window, db_path: Path, stall_stacks: bool) -> Figures:
    """Run (a), then stop the queue, fill the database and run (b) and (c)."""
    figures = Figures()
    job_id = await measure_job_stall(window, figures, stall_stacks)
    await window.services.queue.stop()

    rows = fill_grid_rows(db_path, job_id)
    if rows != GRID_ROWS:
        raise BenchmarkError(f"Failed to fill the database: {rows} job_item rows, {GRID_ROWS} expected.")
    await measure_grid(window, figures)
    measure_floors(db_path, figures)
    return figures


async def shut_down(window) -> None:
    """Stop the engine the way the window's Quit does and wait until the window has closed."""
    closed = asyncio.Event()
    window.closed.connect(closed.set)
    window.shut_down()
    await asyncio.wait_for(closed.wait(), STEP_TIMEOUT_S)


async def run_and_close(window, db_path: Path, stall_stacks: bool) -> Figures:
    try:
        return await run_benchmark(window, db_path, stall_stacks)
    finally:
        await shut_down(window)


def run_app(db_path: Path, base_url: str, stall_stacks: bool) -> Figures:
    """Open the main window on `db_path` against the simulator at `base_url` and run the benchmark."""
    import qasync
    from PySide6.QtWidgets import QApplication

    from floridify_gui.ui.app import create_main_window
    from floridify_gui.ui.settings import KEY_IN_ENVIRONMENT, ApiKeyLookup, AppSettings

    app = QApplication([sys.argv[0]])
    app.setOrganizationName("Floridify")
    app.setApplicationName("Floridify Desktop")
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)

    # create_main_window reads only base_url from the simulator, which runs in another process here.
    simulator = SimpleNamespace(base_url=base_url)
    window = create_main_window(db_path, settings=AppSettings(poll_interval=0.2),
                                key_lookup=ApiKeyLookup("sk-bench", KEY_IN_ENVIRONMENT, False), simulator=simulator)
    window.resize(1400, 900)
    window.show()
    with loop:
        try:
            return loop.run_until_complete(run_and_close(window, db_path, stall_stacks))
        finally:
            window.deleteLater()
            app.processEvents()


def verdict(value: float, target: float) -> str:
    return "PASS" if value <= target else "OVER TARGET"


def print_figures(figures: Figures) -> None:
    print(f"GUI responsiveness: main window, {figures.job_items:,}-item batch job, simulator in a separate process")
    print(f"  (a) job run + merge wall time         {figures.job_seconds:9.2f} s")
    print(f"      longest event-loop stall          {figures.job_stall_ms:9.1f} ms  target <= {STALL_TARGET_MS:.0f} ms"
          f"   {verdict(figures.job_stall_ms, STALL_TARGET_MS)}"
          f"   (at {figures.job_stall_at_s:.1f} s; {figures.long_gaps} stalls over target)")
    print(f"      floor: idle stall, {IDLE_SECONDS:.0f} s before the job {figures.idle_stall_ms:7.1f} ms")
    print(f"  (b) first paint of the grid           {figures.first_paint_ms:9.1f} ms  "
          f"target <= {FIRST_PAINT_TARGET_MS:.0f} ms {verdict(figures.first_paint_ms, FIRST_PAINT_TARGET_MS)}"
          f"   ({figures.grid_rows:,} rows)")
    print(f"      floor: sqlite3 ids by headword    {figures.first_paint_floor_ms:9.1f} ms")
    print(f"  (c) filter by status 'failed'         {figures.filter_ms:9.1f} ms  target <= {FILTER_TARGET_MS:.0f} ms"
          f"  {verdict(figures.filter_ms, FILTER_TARGET_MS)}   ({figures.filtered_rows:,} rows)")
    print(f"      floor: sqlite3 failed ids by headword {figures.filter_floor_ms:5.1f} ms")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stall-stacks", action="store_true",
                        help="sample the UI thread's stack during stalls of (a) and print the most frequent ones")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return 0 when it ran (targets met or not), 1 when it failed."""
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="floridify-bench-gui-") as tmp:
        workdir = Path(tmp)
        configure_environment(workdir)
        process, base_url = start_simulator(workdir)
        try:
            figures = run_app(workdir / "bench.sqlite3", base_url, args.stall_stacks)
        except BenchmarkError as error:
            print(error, file=sys.stderr)
            return 1
        finally:
            stop_simulator(process)

    print_figures(figures)
    if figures.sampler is not None:
        figures.sampler.print_report()
    elif figures.job_stall_ms > STALL_TARGET_MS:
        print("  Run again with --stall-stacks to see which code blocks the event loop.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
