# The project's two commands are `make demo` and `make test` (README). Both set up first.
# Set-up creates .venv from the lock: with uv when it is installed, else venv + pip.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export UV_PYTHON_DOWNLOADS := never

.PHONY: setup demo test test-fast browser-deps lint bench clean help

help:
	@echo "make demo   - set up, generate the demo bank, load it, open the dashboard"
	@echo "make test   - set up, install Debian's chromium if missing, run the whole suite"
	@echo "make setup  - only create/refresh .venv (safe to repeat)"
	@echo "make lint   - ruff (check and format), mypy, the import rules (import-linter)"
	@echo "make bench  - load benchmark (bench/load.py; large, minutes)"

setup: $(STAMP)

$(STAMP): pyproject.toml uv.lock requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed; found " + sys.version.split()[0])'
	@if command -v uv >/dev/null 2>&1; then \
		echo "setting up $(VENV) with uv"; \
		uv sync --frozen --extra dev --python $(PYTHON); \
	else \
		echo "setting up $(VENV) with venv + pip (install uv for a faster set-up)"; \
		[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV); \
		$(BIN)/python -m pip install --quiet --upgrade pip; \
		$(BIN)/python -m pip install --quiet -r requirements.lock; \
		$(BIN)/python -m pip install --quiet --no-deps -e .; \
	fi
	@touch $(STAMP)

# The browser test drives Debian's chromium (Playwright cannot download browsers here); a CJK
# font makes the Chinese screenshots readable (without one they show empty boxes).
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1; then \
		if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing Debian's chromium for the browser tests"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else \
			echo "chromium is missing and cannot be installed here (needs root + apt-get): the browser test will be skipped"; \
		fi; \
	fi
	@if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1 && ! fc-list 2>/dev/null | grep -qi "wqy\|noto sans cjk"; then \
		export DEBIAN_FRONTEND=noninteractive; \
		{ apt-get install -y -qq fonts-wqy-microhei || { apt-get update -qq && apt-get install -y -qq fonts-wqy-microhei; }; } >/dev/null 2>&1 \
			|| echo "no CJK font could be installed: Chinese screenshots will show boxes"; \
	fi

# Two workers, a test file each at a time (its module fixtures are built once): the suite is
# mostly one process waiting on another (loads, the served app, Chromium).
PYTEST_WORKERS ?= 2

test: setup browser-deps
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile

test-fast: setup
	$(BIN)/python -m pytest -m "not browser"

demo: setup
	$(BIN)/collections demo

# The rules of docs/architecture.md and STYLE.md, as CI runs them (.ci/run runs this first).
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: setup
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) data test-artifacts .pytest_cache
