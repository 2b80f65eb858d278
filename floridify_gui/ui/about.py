"""The text of Help → About."""

import platform

import PySide6
from PySide6.QtCore import qVersion

import floridify_gui
from floridify_gui import paths


def about_text() -> str:
    """Return the app, Qt, PySide6, Python and OpenAI SDK versions and the log folder."""
    try:
        import openai

        openai_version = openai.__version__
    except ImportError:
        openai_version = "not installed"

    return "\n".join([
        f"Floridify Desktop {floridify_gui.__version__}",
        "Enriches dictionary entries with an LLM, immediately or through the OpenAI Batch API.",
        "",
        f"Qt {qVersion()} (PySide6 {PySide6.__version__})",
        f"Python {platform.python_version()} ({platform.python_implementation()})",
        f"OpenAI Python SDK {openai_version}",
        f"Log folder: {paths.log_dir()}",
    ])
