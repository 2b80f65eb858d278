"""How messages name the endpoint in use."""

import pytest

from floridify_gui.ui.settings import SIMULATOR_NAME, endpoint_name


@pytest.mark.parametrize("base_url, expected", [
    (None, "OpenAI"),
    ("", "OpenAI"),
    ("https://api.openai.com/v1", "OpenAI"),
    ("http://127.0.0.1:8765/v1", "127.0.0.1:8765"),
    ("https://user:secret@llm.example.org/v1", "llm.example.org"),
])
def test_endpoint_name_of_base_url(base_url, expected):
    assert endpoint_name(base_url, demo_mode=False) == expected


def test_endpoint_name_reads_environment(monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "http://localhost:8000/v1")

    assert endpoint_name(None, demo_mode=False) == "localhost:8000"


def test_endpoint_name_in_demo_mode():
    assert endpoint_name("http://127.0.0.1:8765/v1", demo_mode=True) == SIMULATOR_NAME
