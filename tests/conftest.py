"""Fixtures shared by every test.

Every test runs with its own data, log and config folders, without an API
key in the environment (nothing may ever reach api.openai.com), and fails
when the code under test logs an unexpected WARNING or worse. A test that
expects a warning asserts on `caplog` and then calls `caplog.clear()`.
"""

import logging
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_WORDLISTS = ROOT.parent / "shared" / "wordlists"


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("home")
    for variable in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"):
        monkeypatch.setenv(variable, str(home / variable.lower()))
    monkeypatch.setenv("HOME", str(home))
    for variable in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "FLORIDIFY_DB"):
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture(autouse=True)
def fail_on_unexpected_warnings(request, caplog):
    caplog.set_level(logging.DEBUG, logger="floridify_gui")
    yield
    if request.node.get_closest_marker("allow_warnings"):
        return
    problems = [
        f"{record.levelname} {record.name}: {record.getMessage()}"
        for record in caplog.get_records("call")
        if record.levelno >= logging.WARNING and record.name.startswith("floridify_gui")
    ]
    if problems:
        pytest.fail("Unexpected warnings were logged:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture
def shared_wordlist():
    """Return a function that locates a shared word list, skipping the test when it is missing."""

    def locate(name: str) -> Path:
        path = SHARED_WORDLISTS / name
        if not path.is_file():
            pytest.skip(f"shared word list {path} is missing")
        return path

    return locate


def pytest_collection_modifyitems(config, items):
    """Run the desktop app's tests after all others, whatever paths were given.

    Their session-wide qasync loop stays marked as running until the session
    ends, so a test that calls asyncio.run() after one of them fails with
    "cannot be called from a running event loop".
    """
    ui_folder = Path(__file__).resolve().parent / "ui"
    items.sort(key=lambda item: Path(str(item.path)).is_relative_to(ui_folder))
