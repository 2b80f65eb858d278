# Every target creates .venv and installs the project into it first, so a
# fresh clone needs nothing but python3 (3.11 or newer).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: test run bench crash-test screenshots package package-check clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -m "not slow"

run: $(STAMP)
	$(BIN)/floridify-gui

bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python tests/benchmarks/run_all.py

crash-test: $(STAMP)
	$(BIN)/python -m pytest -q -m slow -s

# Screenshots of the real app under a virtual X server (Debian's xvfb).
screenshots: $(STAMP)
	command -v xvfb-run >/dev/null || (apt-get update -qq && apt-get install -y -qq xvfb xauth)
	xvfb-run -a -s "-screen 0 1600x1000x24" $(BIN)/python packaging/screenshots.py

package: $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,package]'
	$(BIN)/pyinstaller --noconfirm --clean --distpath dist --workpath build/pyinstaller packaging/floridify.spec

package-check:
	dist/floridify/floridify --version
	QT_QPA_PLATFORM=offscreen dist/floridify/floridify-gui --self-check

clean:
	rm -rf $(VENV) build dist .pytest_cache
