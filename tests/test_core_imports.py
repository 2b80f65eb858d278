"""The core (engine, connector, storage, CLI …) runs without Qt.

The CLI and the engine must work on a headless server, so only
floridify_gui/ui/ may import PySide6 or qasync.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "floridify_gui"

CORE_MODULES = [
    "floridify_gui.engine",
    "floridify_gui.connector",
    "floridify_gui.storage",
    "floridify_gui.simulator",
    "floridify_gui.wordlist",
    "floridify_gui.cli",
    "floridify_gui.logs",
    "floridify_gui.components",
]

QT_IMPORT = re.compile(r"^\s*(import|from)\s+(PySide6|qasync)\b", re.MULTILINE)

# Runs in a fresh interpreter, because this test process may already have imported Qt for the UI tests.
PROBE = """
import importlib, json, sys
for name in {modules!r}:
    importlib.import_module(name)
print(json.dumps(sorted(m for m in sys.modules if m.startswith(("PySide6", "qasync")))))
"""


def _qt_modules_after_importing_core() -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(modules=CORE_MODULES)],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_core_imports_without_qt():
    assert _qt_modules_after_importing_core() == []


def test_core_sources_have_no_qt_import():
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.relative_to(PACKAGE).parts[0] != "ui"
        and QT_IMPORT.search(path.read_text(encoding="utf-8"))
    ]

    assert offenders == []


def test_qt_import_pattern_matches_both_forms():
    # Guards the pattern itself, so the source check above can fail.
    assert QT_IMPORT.search("import PySide6.QtCore\n")
    assert QT_IMPORT.search("    from PySide6 import QtWidgets\n")
    assert QT_IMPORT.search("from qasync import QEventLoop\n")
    assert not QT_IMPORT.search("# PySide6 is imported only by ui/\n")
