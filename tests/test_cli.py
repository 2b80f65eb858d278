"""The `floridify` command line, against the built-in simulator.

`wordlist check` runs in this process. Every other command runs in its own
interpreter, as a user would run it, with a temporary database named by
FLORIDIFY_DB and no OpenAI key or base URL in its environment.
`--simulator` starts the simulator on 127.0.0.1 inside that interpreter.
"""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from floridify_gui.cli import main
from floridify_gui.components import COMPONENTS
from floridify_gui.logs import shutdown_logging

ROOT = Path(__file__).resolve().parents[1]
HEADWORDS = ["ocean", "river", "lake"]
COMPONENT_ARG = "etymology,synonyms"
ITEM_COUNTS = ("total", "succeeded", "failed", "refused", "truncated", "pending")
STATUS_KEYS = ("job", "status", "items", "batches", "requests_sent", "cache_hits", "tokens", "cost")


class Cli:
    """A runner of `python -m floridify_gui.cli`, bound to one database file and a clean environment."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.db = folder / "floridify.sqlite3"
        self.env = _clean_environment(folder)

    def run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "floridify_gui.cli", *args],
            cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=120,
        )

    def synthesize(self, words: Path, *extra: str) -> subprocess.CompletedProcess:
        return self.run("batch", "synthesize", "--words", str(words), "--components", COMPONENT_ARG,
                        "--simulator", *extra)

    def status(self, *job: str) -> dict:
        result = self.run("batch", "status", *job, "--json")
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)


def _clean_environment(folder: Path) -> dict[str, str]:
    """Copy the environment without OpenAI settings, with data folders and the database under `folder`."""
    env = {name: value for name, value in os.environ.items()
           if name not in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "FLORIDIFY_DB")}
    home = folder / "home"
    env["HOME"] = str(home)
    for variable in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"):
        env[variable] = str(home / variable.lower())
    env["FLORIDIFY_DB"] = str(folder / "floridify.sqlite3")
    return env


def _write_words(folder: Path) -> Path:
    path = folder / "small.txt"
    path.write_text("\n".join(HEADWORDS) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def immediate_job(tmp_path_factory):
    """A finished immediate-mode job: (cli, synthesize result, status object)."""
    cli = Cli(tmp_path_factory.mktemp("immediate"))
    result = cli.synthesize(_write_words(cli.folder))
    return cli, result, cli.status()


@pytest.fixture(scope="module")
def batch_job(tmp_path_factory):
    """A finished Batch API job: (cli, synthesize result, status object)."""
    cli = Cli(tmp_path_factory.mktemp("batch"))
    result = cli.synthesize(_write_words(cli.folder), "--batch-mode")
    return cli, result, cli.status()


@pytest.fixture
def cli(tmp_path):
    return Cli(tmp_path)


@pytest.fixture
def words(tmp_path):
    return _write_words(tmp_path)


# wordlist check runs in this process, because it starts no simulator and opens no database.

@pytest.fixture
def run_main(capsys):
    """Return a function that runs `main(argv)` in this process and returns (exit code, stdout, stderr)."""

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    yield run
    # main() installs log handlers on the "floridify_gui" logger; later tests must not inherit them.
    shutdown_logging()


def test_wordlist_check_accepts_good_file(run_main, words):
    code, out, err = run_main("wordlist", "check", str(words))

    assert code == 0, err
    assert "accepted" in out


def test_wordlist_check_json_counts_accepted(run_main, words):
    code, out, err = run_main("wordlist", "check", str(words), "--json")

    assert code == 0, err
    assert json.loads(out)["accepted"] == len(HEADWORDS)


def test_wordlist_check_stores_nothing(run_main, words, tmp_path, monkeypatch):
    db = tmp_path / "floridify.sqlite3"
    monkeypatch.setenv("FLORIDIFY_DB", str(db))

    run_main("wordlist", "check", str(words))

    assert not db.exists()


@pytest.mark.parametrize("content", [b"", os.urandom(64) + b"\x00\x01\x02" * 50],
                         ids=["empty", "binary"])
def test_wordlist_check_rejects_unreadable_file(run_main, tmp_path, content):
    path = tmp_path / "words.txt"
    path.write_bytes(content)

    code, _, err = run_main("wordlist", "check", str(path))

    assert code == 2
    assert "Failed to read" in err


def test_wordlist_check_json_reports_error(run_main, tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")

    code, out, _ = run_main("wordlist", "check", str(path), "--json")
    output = json.loads(out)

    assert code == 2
    assert output["ok"] is False
    assert output["error"].startswith("Failed to read")


# batch synthesize, immediate mode

def test_synthesize_immediate_exits_zero(immediate_job):
    _, result, _ = immediate_job

    assert result.returncode == 0, result.stderr


def test_status_json_has_documented_keys(immediate_job):
    _, _, status = immediate_job

    for key in STATUS_KEYS:
        assert key in status, key
    for key in ITEM_COUNTS:
        assert key in status["items"], key


def test_synthesize_immediate_succeeds_every_item(immediate_job):
    _, _, status = immediate_job
    items = status["items"]

    assert items["total"] > 0
    assert items["succeeded"] == items["total"]
    assert items["pending"] == 0
    assert status["status"] == "completed"


def test_synthesize_immediate_sends_no_batch(immediate_job):
    _, _, status = immediate_job

    assert status["mode"] == "immediate"
    assert status["batches"] == []


def test_status_by_id_matches_latest(immediate_job):
    cli, _, status = immediate_job

    assert cli.status(str(status["job"]))["items"] == status["items"]


def test_status_text_summarises_job(immediate_job):
    cli, _, status = immediate_job

    result = cli.run("batch", "status")

    assert result.returncode == 0, result.stderr
    assert f"Job {status['job']}" in result.stdout


# batch synthesize, Batch API mode

def test_synthesize_batch_mode_exits_zero(batch_job):
    _, result, _ = batch_job

    assert result.returncode == 0, result.stderr


def test_synthesize_batch_mode_succeeds_every_item(batch_job):
    _, _, status = batch_job
    items = status["items"]

    assert status["mode"] == "batch"
    assert items["total"] > 0
    assert items["succeeded"] == items["total"]


def test_synthesize_batch_mode_completes_batches(batch_job):
    _, _, status = batch_job

    assert status["batches"]
    for batch in status["batches"]:
        assert batch["status"] == "completed", batch


def test_synthesize_batch_mode_does_not_fall_back(batch_job):
    _, _, status = batch_job

    assert status["fell_back_to_immediate"] is False


# cache

def test_repeated_synthesize_uses_cache(cli, words):
    first = cli.synthesize(words)
    second = cli.synthesize(words)
    status = cli.status()

    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert status["requests_sent"] == 0
    assert status["cache_hits"] == status["items"]["total"]


# usage errors

def test_unknown_component_lists_known_ones(cli, words):
    result = cli.run("batch", "synthesize", "--words", str(words), "--components", "etymology,rhymes",
                     "--simulator")

    assert result.returncode == 2
    assert "rhymes" in result.stderr
    for name in COMPONENTS:
        assert name in result.stderr, name


def test_missing_api_key_is_usage_error(cli, words):
    result = cli.run("batch", "synthesize", "--words", str(words), "--components", COMPONENT_ARG)
    status = cli.run("batch", "status")

    assert result.returncode == 2
    assert "OPENAI_API_KEY" in result.stderr
    assert "no job" in status.stderr


def test_status_of_unknown_job_fails(immediate_job):
    cli, _, _ = immediate_job

    result = cli.run("batch", "status", "999")

    assert result.returncode == 2
    assert "not found" in result.stderr


def test_export_of_unknown_job_fails(immediate_job, tmp_path):
    cli, _, _ = immediate_job
    out = tmp_path / "missing.jsonl"

    result = cli.run("export", "999", "--out", str(out))

    assert result.returncode == 2
    assert "not found" in result.stderr
    assert not out.exists()


# export

def test_export_csv_writes_row_per_item(immediate_job, tmp_path):
    cli, _, status = immediate_job
    out = tmp_path / "items.csv"

    result = cli.run("export", str(status["job"]), "--format", "csv", "--out", str(out))
    with open(out, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))

    assert result.returncode == 0, result.stderr
    assert len(rows) == status["items"]["total"]
    assert len({row["item"] for row in rows}) == len(rows)
    assert {row["headword"] for row in rows} == set(HEADWORDS)


def test_export_jsonl_writes_row_per_item(immediate_job, tmp_path):
    cli, _, status = immediate_job
    out = tmp_path / "items.jsonl"

    result = cli.run("export", str(status["job"]), "--format", "jsonl", "--out", str(out))
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]

    assert result.returncode == 0, result.stderr
    assert len(rows) == status["items"]["total"]
    assert {row["headword"] for row in rows} == set(HEADWORDS)
    assert all(row["result"] is not None for row in rows)


# retry

def test_retry_without_failures_exits_zero(cli, words):
    cli.synthesize(words)
    job = str(cli.status()["job"])

    result = cli.run("batch", "retry", job, "--immediate", "--simulator")
    status = cli.status(job)

    assert result.returncode == 0, result.stderr
    assert "Retrying 0 items" in result.stderr
    assert status["items"]["succeeded"] == status["items"]["total"]
