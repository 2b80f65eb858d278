"""The `floridify-gui` command line: --help and unknown options return without opening a window."""

from floridify_gui.ui import app as app_module


def test_help_describes_app_and_environment(capsys):
    code = app_module.main(["floridify-gui", "--help"])
    output = capsys.readouterr().out

    assert code == 0
    assert output.startswith("usage: floridify-gui")
    assert "dictionary entries" in output
    for option in ("--version", "--self-check"):
        assert option in output
    for variable in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "FLORIDIFY_DB"):
        assert variable in output


def test_unknown_option_exits_with_usage_error(capsys):
    code = app_module.main(["floridify-gui", "--frobnicate"])
    error = capsys.readouterr().err

    assert code == app_module.EXIT_USAGE
    assert "unrecognized arguments: --frobnicate" in error
    assert "usage: floridify-gui" in error
