"""Tests for floridify_gui.logs: redaction, file mode, rotation, setup."""

import logging
import stat
import sys
from pathlib import Path

import pytest

from floridify_gui import logs, paths

# Shaped like real keys, but made up for these tests.
PROJECT_KEY = "sk-proj-" + "Ab3_dE5-" * 6
LEGACY_KEY = "sk-" + "Z9y8X7w6V5u4T3s2R1q0P"
PLAIN_TOKEN = "token-without-prefix-4f1d2c9e"


@pytest.fixture
def logger():
    """Return the package logger and undo setup_logging after the test."""
    package_logger = logging.getLogger(logs.LOGGER_NAME)
    saved_level = package_logger.level
    yield package_logger

    logs.shutdown_logging()
    package_logger.setLevel(saved_level)


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "floridify.log"


def read_log(path: Path) -> str:
    for handler in logging.getLogger(logs.LOGGER_NAME).handlers:
        handler.flush()
    return path.read_text(encoding="utf-8")


def file_mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_key_in_args_is_redacted(logger, log_path):
    logs.setup_logging(console=False, log_file=log_path)

    logger.getChild("engine").info("Using key %s for job %d", PROJECT_KEY, 7)

    text = read_log(log_path)
    assert PROJECT_KEY not in text
    assert "Using key [REDACTED] for job 7" in text


def test_key_in_message_is_redacted(logger, log_path):
    logs.setup_logging(console=False, log_file=log_path)

    logger.info(f"Request failed with key {LEGACY_KEY}")

    text = read_log(log_path)
    assert LEGACY_KEY not in text
    assert "Request failed with key [REDACTED]" in text


def test_key_in_traceback_is_redacted(logger, log_path):
    logs.setup_logging(console=False, log_file=log_path)

    try:
        raise RuntimeError(f"Incorrect API key provided: {PROJECT_KEY}")
    except RuntimeError:
        logger.info("Connector call failed", exc_info=True)

    text = read_log(log_path)
    assert "Traceback (most recent call last)" in text
    assert PROJECT_KEY not in text
    assert "Incorrect API key provided: [REDACTED]" in text


def test_stack_info_is_redacted(logger, log_path):
    logs.setup_logging(console=False, log_file=log_path)

    def log_stack(_secret: str) -> None:
        logger.info("Stack follows", stack_info=True)

    # The stack text quotes this source line, key literal included.
    log_stack("sk-literalKeyInSourceLine0123456789")

    text = read_log(log_path)
    assert "Stack (most recent call last)" in text
    assert 'log_stack("[REDACTED]")' in text


@pytest.mark.parametrize(
    "header",
    [
        "Authorization: Bearer {token}",
        "{{'Authorization': 'Bearer {token}'}}",
        "(b'authorization', b'Bearer {token}')",
        "authorization=bearer {token}",
    ],
)
def test_bearer_header_is_redacted(logger, log_path, header):
    logs.setup_logging(console=False, log_file=log_path)

    logger.info("Sending headers %s", header.format(token=PLAIN_TOKEN))

    text = read_log(log_path)
    assert PLAIN_TOKEN not in text
    assert "[REDACTED]" in text


def test_env_key_is_redacted(logger, log_path, monkeypatch):
    monkeypatch.setenv(logs.API_KEY_ENV_VAR, PLAIN_TOKEN)
    logs.setup_logging(console=False, log_file=log_path)

    logger.info("Key from environment: %s", PLAIN_TOKEN)

    text = read_log(log_path)
    assert PLAIN_TOKEN not in text


def test_registered_secret_is_redacted(logger, log_path):
    secret = "keyring-secret-0c7e55aa"
    logs.register_secret(f"  {secret}\n")
    logs.setup_logging(console=False, log_file=log_path)

    logger.info("Loaded %s from the keyring", secret)

    text = read_log(log_path)
    assert secret not in text
    assert "Loaded [REDACTED] from the keyring" in text


def test_console_output_is_redacted(logger, log_path, capsys):
    logs.setup_logging(console=True, log_file=log_path)

    logger.info("Key %s", LEGACY_KEY)

    err = capsys.readouterr().err
    assert "Key [REDACTED]" in err
    assert LEGACY_KEY not in err


def test_bad_log_arguments_do_not_raise(logger, log_path):
    logs.setup_logging(console=False, log_file=log_path)

    logger.info("Two values %s %s", LEGACY_KEY)

    text = read_log(log_path)
    assert "failed to format" in text
    assert LEGACY_KEY not in text


def test_redact_bearer_key_exactly():
    text = f"Authorization: Bearer {LEGACY_KEY}"

    assert logs.redact(text) == "Authorization: Bearer [REDACTED]"


def test_redact_is_idempotent():
    text = f"{{'Authorization': 'Bearer {PLAIN_TOKEN}=='}}, key {PROJECT_KEY}"
    once = logs.redact(text)

    assert logs.redact(once) == once
    assert once == "{'Authorization': 'Bearer [REDACTED]'}, key [REDACTED]"


def test_redact_keeps_ordinary_text():
    text = "The task-scheduler-for-batches-and-jobs moved 12 items; risk-free."

    assert logs.redact(text) == text


def test_redact_replaces_key_inside_json():
    text = f'{{"api_key": "{PROJECT_KEY}", "model": "gpt-4o-mini"}}'

    assert logs.redact(text) == '{"api_key": "[REDACTED]", "model": "gpt-4o-mini"}'


def test_register_secret_ignores_short_values():
    logs.register_secret("abc")

    assert logs.redact("abc abc") == "abc abc"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_log_file_is_owner_only(logger, log_path):
    logs.setup_logging(console=False, log_file=log_path)

    assert file_mode(log_path) == 0o600


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_existing_wide_log_file_becomes_owner_only(logger, log_path):
    log_path.write_text("old line\n", encoding="utf-8")
    log_path.chmod(0o644)

    logs.setup_logging(console=False, log_file=log_path)

    assert file_mode(log_path) == 0o600


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_rotation_keeps_owner_only_backups(logger, log_path):
    logs.setup_logging(console=False, log_file=log_path, max_bytes=2_000, backup_count=3)

    for index in range(200):
        logger.info("Line %d with key %s padded to rotate soon", index, PROJECT_KEY)

    rotated = [log_path.with_name(f"floridify.log.{index}") for index in (1, 2, 3)]
    for path in [log_path, *rotated]:
        assert file_mode(path) == 0o600, path
        assert PROJECT_KEY not in path.read_text(encoding="utf-8"), path
    assert not log_path.with_name("floridify.log.4").exists()


def test_rotation_keeps_size_limit(logger, log_path):
    logs.setup_logging(console=False, log_file=log_path, max_bytes=2_000, backup_count=2)

    for index in range(100):
        logger.info("Line %d padded to make the file rotate quickly", index)

    assert log_path.stat().st_size <= 2_000


def test_setup_twice_adds_no_handlers(logger, log_path):
    logs.setup_logging(console=True, log_file=log_path)
    logs.setup_logging(console=True, log_file=log_path)

    logger.info("Written once")

    assert len(logger.handlers) == 2
    assert read_log(log_path).count("Written once") == 1


def test_setup_again_drops_console(logger, log_path, capsys):
    logs.setup_logging(console=True, log_file=log_path)
    logs.setup_logging(console=False, log_file=log_path)

    logger.info("File only")

    assert "File only" not in capsys.readouterr().err
    assert "File only" in read_log(log_path)


def test_setup_sets_level(logger, log_path):
    logs.setup_logging(logging.WARNING, console=False, log_file=log_path)

    logger.info("Below the level")

    assert "Below the level" not in read_log(log_path)


def test_setup_returns_given_path(logger, log_path):
    assert logs.setup_logging(console=False, log_file=log_path) == log_path


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG_STATE_HOME is Linux-only")
def test_default_file_is_in_log_dir(logger, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))

    path = logs.setup_logging(console=False)

    assert path == paths.log_dir() / "floridify.log"
    assert path.is_relative_to(tmp_path)
    assert path.exists()


def test_records_reach_root_handlers_redacted(logger, log_path, caplog):
    logs.setup_logging(console=False, log_file=log_path)

    with caplog.at_level(logging.INFO, logger=logs.LOGGER_NAME):
        logger.info("Key %s", LEGACY_KEY)

    assert caplog.messages == ["Key [REDACTED]"]
