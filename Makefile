# The README's set-up commands. Only Python 3.11 is needed on the machine.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The browser tests drive Debian's Chromium: Playwright's own browser download does not work here.
CHROMIUM := /usr/bin/chromium
SUDO     := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run replay test lint typecheck unit bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# WA_EMULATOR_PORT=9191 make run (any WA_EMULATOR_* variable works: see the README's settings)
run: $(STAMP)
	$(BIN)/wa-emulator serve

# The README's replay command with the virtualenv's executables: the example bot against the example scripts.
replay: $(STAMP)
	$(BIN)/wa-emulator replay fixtures/conversations --junit replay.xml \
	  --bot-command "$(BIN)/python examples/echo_bot/bot.py --api {emulator} --port 8099" \
	  --bot-webhook http://127.0.0.1:8099/webhook

test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy --strict emulator

unit: $(STAMP) $(CHROMIUM)
	$(BIN)/pytest -q

$(CHROMIUM):
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

bench: $(STAMP)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
