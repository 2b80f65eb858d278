"""The `floridify` command line: the same engine as the desktop app, from a terminal.

Exit codes: 0 when every item succeeded (or the command succeeded), 1 when
some items failed, 2 for bad input or usage.
"""

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
import time
from contextlib import asynccontextmanager
from pathlib import Path

from floridify_gui import __version__
from floridify_gui.components import COMPONENTS, UnknownComponentError, resolve_components
from floridify_gui.cost import pricing
from floridify_gui.engine import Engine, EngineSettings
from floridify_gui.engine.engine import ASSUMED_SENSES_PER_WORD
from floridify_gui.engine import report
from floridify_gui.events import BatchChanged, ItemsChanged, JobProgress, Notice
from floridify_gui.paths import default_db_path
from floridify_gui.storage import DatabaseError, Job
from floridify_gui.wordlist import WordListError, read_word_list

log = logging.getLogger("floridify_gui.cli")

EXIT_OK, EXIT_FAILURES, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad input or usage; the message is shown and the exit code is 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="floridify", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"floridify {__version__}")
    parser.add_argument("--db", type=Path, help="database file (default: $FLORIDIFY_DB or the user data folder)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages to stderr")
    commands = parser.add_subparsers(dest="command", required=True)

    _add_batch_commands(commands.add_parser("batch", help="create, run and inspect jobs"))
    _add_wordlist_commands(commands.add_parser("wordlist", help="check word lists"))

    export = commands.add_parser("export", help="export a job's items")
    export.add_argument("job", type=int)
    export.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    export.add_argument("--out", type=Path, required=True, help="file to write")

    simulator = commands.add_parser("simulator", help="the built-in OpenAI-compatible simulator")
    serve = simulator.add_subparsers(dest="simulator_command", required=True).add_parser(
        "serve", help="serve the simulator on 127.0.0.1")
    serve.add_argument("--port", type=int, default=8765, help="TCP port (default 8765)")
    serve.add_argument("--config", type=Path, help="JSON file of SimulatorConfig fields (fault rates …)")
    return parser


def _add_batch_commands(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="batch_command", required=True)
    synthesize = commands.add_parser("synthesize", help="import a word list and run a job on it")
    synthesize.add_argument("--words", type=Path, required=True, help="word list (.txt, .csv, .tsv, .json)")
    synthesize.add_argument("--batch-mode", action="store_true", help="use the Batch API (half price, up to 24 h)")
    synthesize.add_argument("--components", help="comma-separated components (default: "
                            "synonyms,antonyms,examples,cefr_level,register); known: " + ",".join(COMPONENTS))
    synthesize.add_argument("--model", help="model name (default gpt-4o-mini)")
    synthesize.add_argument("--name", help="job name (default: the file name)")
    synthesize.add_argument("--force-refresh", action="store_true", help="ignore cached responses (still stores new ones)")
    synthesize.add_argument("--no-wait", action="store_true", help="submit the batches and exit; finish with `batch resume`")
    _add_connection_options(synthesize)

    status = commands.add_parser("status", help="show a job's status (default: the most recent job)")
    status.add_argument("job", type=int, nargs="?")
    status.add_argument("--json", action="store_true", help="print the documented JSON object")

    resume = commands.add_parser("resume", help="finish a job (default: every unfinished job)")
    resume.add_argument("job", type=int, nargs="?")
    _add_connection_options(resume)

    retry = commands.add_parser("retry", help="send a job's failed items again")
    retry.add_argument("job", type=int)
    retry.add_argument("--immediate", action="store_true", help="send them now instead of in a new batch")
    _add_connection_options(retry)


def _add_connection_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--simulator", action="store_true",
                        help="run against the built-in simulator on 127.0.0.1 instead of OpenAI")
    parser.add_argument("--poll-interval", type=float, help="seconds before the first batch poll (default 10, 0.5 with --simulator)")


def _add_wordlist_commands(parser: argparse.ArgumentParser) -> None:
    check = parser.add_subparsers(dest="wordlist_command", required=True).add_parser(
        "check", help="read a word list and report what would be imported, without storing anything")
    check.add_argument("file", type=Path)
    check.add_argument("--json", action="store_true")


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = build_parser().parse_args(argv)
    _setup_logging(args.verbose)
    # SIGTERM stops a run the way Ctrl+C does, so the job is left resumable.
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    try:
        return _dispatch(args)
    except (UsageError, WordListError, UnknownComponentError, DatabaseError) as exc:
        print(f"floridify: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"floridify: Failed to write {exc.filename or 'the file'}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("floridify: interrupted; run `floridify batch resume` to continue", file=sys.stderr)
        return 130


def _raise_keyboard_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _setup_logging(verbose: bool) -> None:
    from floridify_gui.logs import setup_logging

    setup_logging(logging.DEBUG if verbose else logging.WARNING, console=True)


def _dispatch(args) -> int:
    if args.command == "wordlist":
        return _check_wordlist(args)
    if args.command == "simulator":
        return _serve_simulator(args)
    if args.command == "export":
        return asyncio.run(_export(args))
    handlers = {"synthesize": _synthesize, "status": _status, "resume": _resume, "retry": _retry}
    return asyncio.run(handlers[args.batch_command](args))


def _check_wordlist(args) -> int:
    try:
        result = read_word_list(args.file)
    except WordListError as exc:
        if args.json:
            print(json.dumps({"ok": False, "error": str(exc)}))
        raise
    print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2) if args.json else result.format_text())
    return EXIT_OK


def _serve_simulator(args) -> int:
    from floridify_gui.simulator import SimulatorConfig, serve

    config = SimulatorConfig.from_file(args.config) if args.config else SimulatorConfig()
    serve(args.port, config)
    return EXIT_OK


@asynccontextmanager
async def _engine(args):
    """Open the engine on the chosen database, against OpenAI or the built-in simulator."""
    simulator = None
    settings = EngineSettings(api_key=os.environ.get("OPENAI_API_KEY"),
                              base_url=os.environ.get("OPENAI_BASE_URL"))
    if getattr(args, "simulator", False):
        from floridify_gui.simulator import Simulator, SimulatorConfig

        simulator = Simulator(SimulatorConfig(batch_duration=2.0)).start()
        settings.api_key, settings.base_url, settings.poll_interval = "sk-simulator", simulator.base_url, 0.5
    if getattr(args, "poll_interval", None):
        settings.poll_interval = args.poll_interval

    engine = Engine(args.db or default_db_path(), settings)
    try:
        yield engine
    finally:
        await engine.aclose()
        if simulator:
            simulator.stop()


def _require_key(engine: Engine) -> None:
    if not engine.settings.api_key:
        raise UsageError("no API key: set OPENAI_API_KEY, or add --simulator to use the built-in simulator")


async def _synthesize(args) -> int:
    components = resolve_components(args.components)
    word_list = await asyncio.to_thread(read_word_list, args.words)
    mode = "batch" if args.batch_mode else "immediate"

    async with _engine(args) as engine:
        _require_key(engine)
        print(_reading_summary(word_list), file=sys.stderr)
        word_ids = await engine.import_entries(word_list.entries)
        estimate = await engine.estimate(word_ids, components, mode, args.model)
        if not pricing().knows(args.model or engine.settings.model):
            print(f"warning: no price for model {args.model!r} in resources/pricing.json; "
                  f"costs are shown at {pricing().default_model} prices", file=sys.stderr)
        print(_estimate_summary(len(word_ids), estimate, args.batch_mode), file=sys.stderr)
        job_id = await engine.create_job(args.name or args.words.name, word_ids, components, mode, args.model,
                                         args.force_refresh, estimate, claim=True)
        return await _run_and_summarise(engine, job_id, no_wait=args.no_wait)


def _estimate_summary(headwords: int, estimate, batch_mode: bool) -> str:
    cost = estimate.cost_batch if batch_mode else estimate.cost_immediate
    line = (f"{headwords} headwords, about {estimate.requests} requests ({estimate.cache_hits} cached), "
            f"estimated cost ${cost:.4f}")
    if estimate.headwords_without_senses:
        line += (f"; assumes {ASSUMED_SENSES_PER_WORD} senses for each of the "
                 f"{estimate.headwords_without_senses} headwords without senses")
    return line


def _reading_summary(word_list) -> str:
    line = (f"Read {word_list.rows_read} rows of {word_list.source}: {word_list.accepted} headwords "
            f"({word_list.sense_count} senses), {len(word_list.duplicates)} duplicates collapsed, "
            f"{len(word_list.rejected)} rejected")
    if word_list.duplicates or word_list.rejected:
        line += " (see `floridify wordlist check FILE` for the rows)"
    return line


async def _run_and_summarise(engine: Engine, job_id: int, *, no_wait: bool = False) -> int:
    from floridify_gui.engine import AbortFlag
    from floridify_gui.events import JobChanged

    abort = AbortFlag()
    progress = _Progress(job_id)
    unsubscribe = engine.events.subscribe(progress.on_event)
    if no_wait:
        # Stop at the first wait for a batch: the batches keep running remotely.
        engine.events.subscribe(lambda e: abort.set() if isinstance(e, BatchChanged) else None)
    try:
        await engine.run_job(job_id, abort)
    finally:
        unsubscribe()
        progress.close()

    status = await engine.worker.run(report.job_status, job_id)
    print(report.format_summary(status), end="")
    if no_wait and status["items"]["pending"]:
        print(f"Batches submitted; run `floridify batch resume {job_id}` later to collect the results.")
        return EXIT_OK
    return EXIT_OK if status["items"]["succeeded"] == status["items"]["total"] else EXIT_FAILURES


class _Progress:
    """Prints progress: one updating line on a terminal, a line every few seconds otherwise."""

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.tty = sys.stderr.isatty()
        self.done = 0
        self.total = 0
        self.message = ""
        self._last_print = 0.0

    def on_event(self, event) -> None:
        if isinstance(event, JobProgress):
            self.done, self.total, self.message = 0, event.total, event.message
        elif isinstance(event, ItemsChanged):
            self.done += len(event.item_ids)
        elif isinstance(event, Notice):
            print(f"\n{event.level}: {event.text}" if self.tty else f"{event.level}: {event.text}", file=sys.stderr)
        self._print()

    def _print(self) -> None:
        interval = 0.1 if self.tty else 5.0
        if time.monotonic() - self._last_print < interval or not self.total:
            return
        self._last_print = time.monotonic()
        fraction = min(1.0, self.done / self.total)
        if self.tty:
            bar = "#" * int(fraction * 30)
            print(f"\r[{bar:<30}] {self.done}/{self.total} {self.message}", end="", file=sys.stderr, flush=True)
        else:
            print(f"{self.done}/{self.total} {self.message}", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.tty and self.total:
            print(file=sys.stderr)


async def _status(args) -> int:
    async with _engine(args) as engine:
        job_id = args.job or await engine.worker.run(report.latest_job_id)
        if job_id is None:
            raise UsageError("no job yet: create one with `floridify batch synthesize`")
        status = await engine.worker.run(_job_status_or_usage, job_id)
    print(json.dumps(status, indent=2, ensure_ascii=False) if args.json else report.format_summary(status), end="\n" if args.json else "")
    return EXIT_OK


def _print_notice(event) -> None:
    if isinstance(event, Notice):
        print(f"{event.level}: {event.text}", file=sys.stderr)


def _job_status_or_usage(job_id: int) -> dict:
    if Job.get_or_none(Job.id == job_id) is None:
        raise UsageError(f"job {job_id} not found; `floridify batch status` shows the most recent job")
    return report.job_status(job_id)


async def _resume(args) -> int:
    async with _engine(args) as engine:
        _require_key(engine)
        if args.job:
            await engine.worker.run(_job_status_or_usage, args.job)
        # Requests a cancelled batch finished are billed, so their results are stored too.
        merged = await engine.merge_cancelled_batches(args.job or None)
        if merged:
            print(f"Merged the finished part of {merged} batch(es) of cancelled jobs.", file=sys.stderr)
        if args.job:
            return await _run_and_summarise(engine, args.job)

        engine.events.subscribe(_print_notice)
        job_ids = await engine.resume_unfinished()
        if not job_ids and not merged:
            print("No unfinished job.")
        exit_code = EXIT_OK
        for job_id in job_ids:
            status = await engine.worker.run(report.job_status, job_id)
            print(report.format_summary(status), end="")
            if status["items"]["succeeded"] != status["items"]["total"]:
                exit_code = EXIT_FAILURES
        return exit_code


async def _retry(args) -> int:
    async with _engine(args) as engine:
        _require_key(engine)
        await engine.worker.run(_job_status_or_usage, args.job)
        item_ids = await engine.worker.run(_failed_item_ids, args.job)
        print(f"Retrying {len(item_ids)} items of job {args.job}", file=sys.stderr)
        if args.immediate:
            await engine.retry_items(item_ids, immediate=True)
            status = await engine.worker.run(report.job_status, args.job)
            print(report.format_summary(status), end="")
            return EXIT_OK if status["items"]["succeeded"] == status["items"]["total"] else EXIT_FAILURES
        await engine.retry_items(item_ids, immediate=False)
        return await _run_and_summarise(engine, args.job)


def _failed_item_ids(job_id: int) -> list[int]:
    from floridify_gui.storage import JobItem

    query = JobItem.select(JobItem.id).where(
        (JobItem.job == job_id) & JobItem.status.in_(report.ENDED_FAILURES))
    return [item.id for item in query]


async def _export(args) -> int:
    async with _engine(args) as engine:
        await engine.worker.run(_job_status_or_usage, args.job)
        count = await engine.worker.run(
            lambda: report.write_export(report.export_rows(args.job), args.out, args.format))
    print(f"Wrote {count} items to {args.out}", file=sys.stderr)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
