# The project's two commands are `make demo` and `make test` (README). Both set up first.
# Set-up creates .venv from the lock with uv: the uv on PATH when there is one, else uv
# installed from PyPI into .venv itself (seconds, where pip takes a minute or more).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export UV_PYTHON_DOWNLOADS := never

.PHONY: setup report-deps demo test test-fast browser-deps java-deps lint bench clean help

help:
	@echo "make demo   - set up, generate the demo bank, load it, open the dashboard"
	@echo "make test   - set up, install Debian's chromium if missing, run the whole suite"
	@echo "make setup  - only create/refresh .venv (safe to repeat)"
	@echo "make lint   - ruff (check and format), mypy, the import rules (import-linter)"
	@echo "make bench  - load benchmark (bench/load.py; large, minutes)"

setup: $(STAMP) report-deps

$(STAMP): pyproject.toml uv.lock requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed; found " + sys.version.split()[0])'
	@if command -v uv >/dev/null 2>&1; then \
		echo "setting up $(VENV) with uv"; \
		uv sync --frozen --extra dev --python $(PYTHON); \
	else \
		echo "uv is missing: installing it into $(VENV) from PyPI, then setting up with it"; \
		[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV); \
		[ -x $(BIN)/uv ] || $(BIN)/python -m pip install --quiet --disable-pip-version-check uv; \
		$(BIN)/uv sync --frozen --extra dev --inexact --python $(BIN)/python; \
	fi
	@touch $(STAMP)

# The morning briefing's PDF (`collections report`) is laid out by WeasyPrint (from the lock),
# which needs the system's Pango, and a CJK font for Chinese. Debian's packages, when missing
# and installable (root + apt-get); otherwise it says what is missing.
report-deps:
	@if ! ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0; then \
		if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing Debian's Pango for the briefing's PDF"; \
			{ apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 || { apt-get update -qq && apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0; }; } >/dev/null 2>&1 \
				|| echo "Pango could not be installed: collections report --no-pdf still writes the HTML"; \
		else \
			echo "Pango (libpangoft2-1.0) is missing: collections report needs it for the PDF (--no-pdf writes the HTML only)"; \
		fi; \
	fi
	@if ! fc-list 2>/dev/null | grep -qi "wqy\|noto sans cjk"; then \
		if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing a CJK font (fonts-wqy-microhei) for Chinese briefings"; \
			{ apt-get install -y -qq fonts-wqy-microhei || { apt-get update -qq && apt-get install -y -qq fonts-wqy-microhei; }; } >/dev/null 2>&1 \
				|| echo "no CJK font could be installed: Chinese PDFs will show boxes"; \
		else \
			echo "no CJK font: install fonts-wqy-microhei (or Noto Sans CJK) for Chinese PDFs"; \
		fi; \
	fi

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
# mostly one process waiting on another (loads, the served app, Chromium). Files go out in
# collection order, which tests/conftest.py makes longest first (xdist's own reorder, by the
# number of tests in a file, left the one-test soak and kill files for the end).
PYTEST_WORKERS ?= 2

# The Spark engine's equivalence test (tests/test_spark.py) runs pyspark (from the lock) on Java
# 17+; Debian's headless JRE when it is missing.
java-deps:
	@if ! command -v java >/dev/null 2>&1; then \
		if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing Debian's Java 17 for the Spark engine's tests"; \
			export DEBIAN_FRONTEND=noninteractive; \
			{ apt-get install -y -qq openjdk-17-jre-headless || { apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless; }; } >/dev/null 2>&1 \
				|| echo "Java could not be installed: the Spark tests will be skipped"; \
		else \
			echo "java is missing and cannot be installed here (needs root + apt-get): the Spark tests will be skipped"; \
		fi; \
	fi

test: setup browser-deps java-deps
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder

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
