"""The --version and --self-check entry points that packagers run from a bundle."""

import os
import subprocess
import sys

RUN_MAIN = "import sys; from floridify_gui.ui.app import main; sys.exit(main(['floridify-gui'] + sys.argv[1:]))"


def _run(*arguments, tmp_path):
    env = {key: value for key, value in os.environ.items()
           if key not in ("DISPLAY", "WAYLAND_DISPLAY", "OPENAI_API_KEY", "OPENAI_BASE_URL")}
    env["HOME"] = str(tmp_path)
    return subprocess.run([sys.executable, "-c", RUN_MAIN, *arguments], env=env, capture_output=True,
                          text=True, timeout=180)


def test_version_names_qt_and_sdk(tmp_path):
    result = _run("--version", tmp_path=tmp_path)

    assert result.returncode == 0
    assert result.stdout.startswith("floridify-gui ")
    assert "Qt " in result.stdout
    assert "openai " in result.stdout


def test_self_check_passes_without_display(tmp_path):
    result = _run("--self-check", tmp_path=tmp_path)

    assert result.returncode == 0, result.stderr
    assert "Self-check passed" in result.stdout
