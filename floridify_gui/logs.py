"""Logging setup for the desktop app and the CLI, with secrets removed.

`setup_logging` sends the "floridify_gui" logger tree to a rotating,
owner-only log file and, on request, to stderr. Every handler it installs
carries a `SecretRedactingFilter`, so an OpenAI API key never reaches a log
file or the console, whether it arrives in the message, in its %-style
arguments, in an exception traceback or in an HTTP Authorization header.

Only handlers installed here are filtered: records of other loggers (for
example "openai" or "httpx") do not pass through this module.
"""

import logging
import logging.handlers
import os
import re
import sys
import threading
from pathlib import Path

from floridify_gui import paths

LOGGER_NAME = "floridify_gui"
LOG_FILE_NAME = "floridify.log"
DEFAULT_MAX_BYTES = 2 * 1024 * 1024
DEFAULT_BACKUP_COUNT = 5
API_KEY_ENV_VAR = "OPENAI_API_KEY"
REDACTED = "[REDACTED]"

# No real API key is this short, and redacting every occurrence of a short
# string such as "abc" would make the logs unreadable.
MIN_SECRET_LENGTH = 8

LOG_FILE_MODE = 0o600
FILE_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"
CONSOLE_FORMAT = "%(levelname)s %(name)s: %(message)s"

# OpenAI keys start with "sk-", and project keys with "sk-proj-". The
# lookbehind keeps words such as "task-" or "disk-" from matching.
_OPENAI_KEY_PATTERN = re.compile(r"(?<![A-Za-z0-9])sk-[A-Za-z0-9_-]{20,}")

# The header value in its usual printed forms: "Authorization: Bearer X",
# a dict repr "'Authorization': 'Bearer X'" and the httpx header tuple
# "(b'authorization', b'Bearer X')". Group 1 is kept and the token, in the
# b64token syntax of RFC 6750, is replaced.
_BEARER_PATTERN = re.compile(
    r"""(authorization["']?\s*[:=,]\s*b?["']?\s*bearer\s+)[A-Za-z0-9._~+/-]+=*""",
    re.IGNORECASE,
)

_secrets_lock = threading.Lock()
_registered_secrets: tuple[str, ...] = ()

# Handlers that setup_logging installed, so a second call replaces them
# instead of adding duplicates.
_installed_handlers: list[logging.Handler] = []


def register_secret(value: str | None) -> None:
    """Add a value that `redact` and every log handler must replace.

    Call it with each API key the app loads from the keyring or the settings
    dialog. Empty values and values shorter than MIN_SECRET_LENGTH
    characters are ignored.

    Args:
        value: The secret, for example an API key. Surrounding whitespace is
            stripped because keys pasted into a dialog often carry it.
    """
    global _registered_secrets
    secret = (value or "").strip()
    if len(secret) < MIN_SECRET_LENGTH:
        return

    with _secrets_lock:
        if secret not in _registered_secrets:
            _registered_secrets = (*_registered_secrets, secret)


def redact(text: str) -> str:
    """Replace API keys and bearer tokens in `text` with "[REDACTED]".

    Replaced: the current $OPENAI_API_KEY value, values passed to
    `register_secret`, anything shaped like an OpenAI key ("sk-" followed
    by 20 or more letters, digits, "_" or "-") and the token of an
    Authorization: Bearer header.

    Args:
        text: Any text, such as a log message, an exception message or an
            export.

    Returns:
        The text with every secret replaced.
    """
    for secret in _known_secrets():
        text = text.replace(secret, REDACTED)

    text = _OPENAI_KEY_PATTERN.sub(REDACTED, text)
    return _BEARER_PATTERN.sub(rf"\g<1>{REDACTED}", text)


def _known_secrets() -> list[str]:
    """Return the registered secrets and $OPENAI_API_KEY, longest first.

    Longest first, so that a secret containing a shorter one is replaced
    whole instead of leaving its remainder in the text.
    """
    secrets = list(_registered_secrets)
    env_key = os.environ.get(API_KEY_ENV_VAR, "").strip()
    if len(env_key) >= MIN_SECRET_LENGTH:
        secrets.append(env_key)
    return sorted(secrets, key=len, reverse=True)


class SecretRedactingFilter(logging.Filter):
    """Filter that rewrites each record so its output contains no secret.

    It merges the %-style arguments into the message, redacts the result
    and stores it as `record.msg` with `record.args` cleared. It also
    formats and redacts the exception text and the stack text, which the
    standard `logging.Formatter` then prints as they are. The record is
    changed in place, so handlers that run later (those of parent loggers
    included) see the redacted record too.
    """

    def __init__(self, name: str = "") -> None:
        super().__init__(name)
        self._exception_formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact `record` in place and let it through.

        Returns:
            Always True: the filter never drops a record.
        """
        record.msg = redact(_merged_message(record))
        record.args = None

        if record.exc_info and not record.exc_text:
            record.exc_text = self._exception_formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def _merged_message(record: logging.LogRecord) -> str:
    """Return the record's message with its arguments merged in.

    `Handler.handle` calls filters outside the try block that reports
    formatting errors, so an exception here would reach the code that
    logged. A message whose arguments fail to format is therefore kept with
    the arguments appended and the error named.
    """
    try:
        return record.getMessage()
    except Exception as error:  # noqa: BLE001 - any __str__ of an argument may raise
        return f"{record.msg} (log arguments {record.args!r} failed to format: {error})"


class OwnerOnlyRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """RotatingFileHandler whose current and rotated files have mode 0600.

    On Windows, os.chmod can only set the read-only flag, so there the file
    keeps the access rights that the user's profile folder gives it.
    """

    def _open(self):
        """Create the file with mode 0600 if it is missing, then open it.

        The base class opens with the built-in open(), which applies the
        umask (usually giving 0644), so the file is created here first.
        The chmod also narrows an existing file created with wider rights.
        """
        _create_owner_only(Path(self.baseFilename))
        return super()._open()

    def doRollover(self) -> None:
        """Rotate the files, then make sure every backup is owner-only."""
        super().doRollover()

        for index in range(1, self.backupCount + 1):
            backup = Path(self.rotation_filename(f"{self.baseFilename}.{index}"))
            if backup.exists():
                os.chmod(backup, LOG_FILE_MODE)


def _create_owner_only(path: Path) -> None:
    """Create `path` with mode 0600 if missing and set 0600 if it exists."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, LOG_FILE_MODE)
    os.close(descriptor)
    os.chmod(path, LOG_FILE_MODE)


def setup_logging(
    level: int = logging.INFO,
    *,
    console: bool = True,
    log_file: Path | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    backup_count: int = DEFAULT_BACKUP_COUNT,
) -> Path:
    """Send the "floridify_gui" logger tree to a rotating log file and stderr.

    Calling it again replaces the handlers of the previous call, so it never
    adds duplicates and a later call can change the level, the file or the
    console output. The logger keeps propagating to the root logger, so
    handlers that a host (pytest, an embedding app) put there still get the
    records, already redacted.

    Args:
        level: Minimum level of records the tree passes on.
        console: Whether to also write records to stderr.
        log_file: File to write; defaults to floridify.log in
            `floridify_gui.paths.log_dir()`. Its folder must exist.
        max_bytes: Size at which the file is rotated.
        backup_count: Number of rotated files kept (floridify.log.1 is the
            newest).

    Returns:
        The path of the log file.

    Raises:
        OSError: If the log file cannot be created or opened.
    """
    path = Path(log_file) if log_file is not None else paths.log_dir() / LOG_FILE_NAME

    # Open the new file before removing the old handlers, so a failure
    # leaves the previous configuration working.
    handlers = [_file_handler(path, max_bytes, backup_count)]
    if console:
        handlers.append(_console_handler())
    shutdown_logging()

    logger = logging.getLogger(LOGGER_NAME)
    logger.setLevel(level)
    for handler in handlers:
        logger.addHandler(handler)
        _installed_handlers.append(handler)

    logger.debug("Logging to %s at level %s", path, logging.getLevelName(level))
    return path


def shutdown_logging() -> None:
    """Remove and close the handlers that `setup_logging` installed."""
    logger = logging.getLogger(LOGGER_NAME)
    while _installed_handlers:
        handler = _installed_handlers.pop()
        logger.removeHandler(handler)
        handler.close()


def _file_handler(path: Path, max_bytes: int, backup_count: int) -> logging.Handler:
    """Build the owner-only rotating file handler, with the redacting filter."""
    handler = OwnerOnlyRotatingFileHandler(
        path, maxBytes=max_bytes, backupCount=backup_count, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter(FILE_FORMAT))
    handler.addFilter(SecretRedactingFilter())
    return handler


def _console_handler() -> logging.Handler:
    """Build the stderr handler, with the redacting filter."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(CONSOLE_FORMAT))
    handler.addFilter(SecretRedactingFilter())
    return handler
