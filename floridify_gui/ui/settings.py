"""User settings of the desktop app and where the OpenAI API key comes from.

Settings persist through QSettings in INI format under the organization
"Floridify" and the application "Floridify Desktop". The format is set
explicitly (not NativeFormat) so that `QSettings.setPath(IniFormat, ...)`
redirects every read and write, which is how tests keep away from the
user's file.
"""

import logging
import os
from dataclasses import dataclass, fields
from pathlib import Path
from urllib.parse import urlsplit

from PySide6.QtCore import QSettings, QStandardPaths

from floridify_gui import paths

log = logging.getLogger("floridify_gui.ui")

ORGANIZATION = "Floridify"
APPLICATION = "Floridify Desktop"

API_KEY_ENV_VAR = "OPENAI_API_KEY"
# Read by the OpenAI SDK (checked in openai 3.60) when the client gets no base URL.
BASE_URL_ENV_VAR = "OPENAI_BASE_URL"
OPENAI_HOST = "api.openai.com"
SIMULATOR_NAME = "the built-in simulator"
EXPORT_FOLDER_KEY = "export/last_folder"
KEYRING_SERVICE = "floridify"
KEYRING_USER = "openai"

KEY_IN_ENVIRONMENT = "environment variable"
KEY_IN_KEYRING = "system keyring"
KEY_NO_KEYRING = f"no keyring available: set {API_KEY_ENV_VAR}"


def open_qsettings() -> QSettings:
    """Return the app's QSettings store (INI format, user scope)."""
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION)


@dataclass
class AppSettings:
    """Options of the Settings dialog, except the API key.

    Attributes:
        base_url: OpenAI-compatible endpoint; empty means the OpenAI API.
        model: Default model of new jobs.
        max_in_flight: Immediate requests sent at the same time.
        poll_interval: Seconds between status checks of a remote batch.
        fallback_to_immediate: Send a batch's requests immediately when the
            Batch API is not available.
        enqueued_token_budget: Maximum tokens queued in remote batches at once.
        db_path: Database file; empty means the default location.
    """

    base_url: str = ""
    model: str = "gpt-4o-mini"
    max_in_flight: int = 8
    poll_interval: float = 10.0
    fallback_to_immediate: bool = True
    enqueued_token_budget: int = 20_000_000
    db_path: str = ""


def load_settings(store: QSettings | None = None) -> AppSettings:
    """Read the settings, falling back to the default of any missing or invalid value."""
    store = store or open_qsettings()
    defaults = AppSettings()
    values = {}
    for field in fields(AppSettings):
        default = getattr(defaults, field.name)
        values[field.name] = _read_value(store, f"engine/{field.name}", default)
    return AppSettings(**values)


def _read_value(store: QSettings, key: str, default):
    raw = store.value(key, default)
    if isinstance(default, bool):
        # INI files store booleans as the strings "true" and "false".
        return raw if isinstance(raw, bool) else str(raw).lower() in ("true", "1", "yes")

    try:
        return type(default)(raw)
    except (TypeError, ValueError):
        log.warning("Ignored the invalid setting %s=%r; using %r", key, raw, default)
        return default


def save_settings(settings: AppSettings, store: QSettings | None = None) -> None:
    """Write every setting and flush the store to disk."""
    store = store or open_qsettings()
    for field in fields(AppSettings):
        store.setValue(f"engine/{field.name}", getattr(settings, field.name))
    store.sync()


def endpoint_name(base_url: str | None, *, demo_mode: bool) -> str:
    """Return how messages name the endpoint that runs the requests and batches.

    Args:
        base_url: The base URL the engine's client uses; None or "" means
            $OPENAI_BASE_URL if set, else the OpenAI API.
        demo_mode: Whether the app runs its own simulator because no key is set.

    Returns:
        SIMULATOR_NAME in demo mode, "OpenAI" for the OpenAI API, else the
        host and port of the base URL, such as "localhost:8000" (without any
        user name or password in it), or the URL itself when it has no host.
    """
    if demo_mode:
        return SIMULATOR_NAME
    url = base_url or os.environ.get(BASE_URL_ENV_VAR) or ""
    host = urlsplit(url).netloc.rpartition("@")[2]
    if not url or host == OPENAI_HOST:
        return "OpenAI"
    return host or url


def export_folder(store: QSettings | None = None) -> Path:
    """Return the folder the Export dialog opens in: the last one used, else the user's Documents folder.

    A folder that no longer exists is skipped. When neither exists, the home folder is used.
    """
    store = store or open_qsettings()
    remembered = store.value(EXPORT_FOLDER_KEY, "")
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    for candidate in (remembered, documents):
        if isinstance(candidate, str) and candidate and Path(candidate).is_dir():
            return Path(candidate)
    return Path.home()


def remember_export_folder(folder: Path, store: QSettings | None = None) -> None:
    """Store `folder` as the one the next Export dialog opens in."""
    store = store or open_qsettings()
    store.setValue(EXPORT_FOLDER_KEY, str(folder))
    store.sync()


def database_path(settings: AppSettings) -> Path:
    """Return the database file: $FLORIDIFY_DB, else the configured one, else the default."""
    if os.environ.get(paths.DB_ENV_VAR) or not settings.db_path:
        return paths.default_db_path()
    return Path(settings.db_path).expanduser()


@dataclass(frozen=True)
class ApiKeyLookup:
    """The API key in use and where it is kept.

    Attributes:
        key: The key, or None when no key is set anywhere.
        location: KEY_IN_ENVIRONMENT, KEY_IN_KEYRING or KEY_NO_KEYRING.
        keyring_available: Whether a key typed in Settings can be stored.
    """

    key: str | None
    location: str
    keyring_available: bool


def find_api_key() -> ApiKeyLookup:
    """Return the API key from $OPENAI_API_KEY, else from the system keyring."""
    keyring_available, stored = _read_keyring()
    env_key = os.environ.get(API_KEY_ENV_VAR)
    if env_key:
        return ApiKeyLookup(env_key, KEY_IN_ENVIRONMENT, keyring_available)

    location = KEY_IN_KEYRING if keyring_available else KEY_NO_KEYRING
    return ApiKeyLookup(stored or None, location, keyring_available)


def _read_keyring() -> tuple[bool, str | None]:
    """Return whether a keyring backend works and the key stored in it."""
    import keyring
    from keyring.errors import KeyringError

    try:
        return True, keyring.get_password(KEYRING_SERVICE, KEYRING_USER)
    except KeyringError as error:
        # Headless machines have no Secret Service; NoKeyringError is a KeyringError.
        log.debug("No usable keyring: %s", error)
        return False, None


def store_api_key(key: str | None) -> None:
    """Store `key` in the system keyring, or delete the stored key when `key` is empty.

    Raises:
        keyring.errors.KeyringError: no keyring backend is available or it refused.
    """
    import keyring
    from keyring.errors import PasswordDeleteError

    if key:
        keyring.set_password(KEYRING_SERVICE, KEYRING_USER, key)
        log.debug("Stored the API key in the system keyring")
        return

    try:
        keyring.delete_password(KEYRING_SERVICE, KEYRING_USER)
    except PasswordDeleteError:
        log.debug("No API key was stored in the system keyring")
