"""Default places for the database and the log files.

The core cannot use QStandardPaths (it imports no Qt), so it asks
platformdirs, which follows the same conventions: XDG on Linux,
~/Library on macOS and %LOCALAPPDATA% on Windows.
"""

import os
from pathlib import Path

import platformdirs

APP_NAME = "Floridify"
DB_ENV_VAR = "FLORIDIFY_DB"


def data_dir() -> Path:
    """Return the per-user folder for the database, creating it if needed."""
    path = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def log_dir() -> Path:
    """Return the per-user folder for log files, creating it if needed."""
    path = Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_db_path() -> Path:
    """Return the database file: $FLORIDIFY_DB if set, else the data folder's."""
    override = os.environ.get(DB_ENV_VAR)
    if override:
        return Path(override).expanduser()
    return data_dir() / "floridify.sqlite3"


def resources_dir() -> Path:
    """Return the folder of prompts, pricing table and icons.

    In a PyInstaller bundle the resources sit beside the package in the
    bundle's data folder (sys._MEIPASS); from a checkout they sit at the
    project root.
    """
    import sys

    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"
