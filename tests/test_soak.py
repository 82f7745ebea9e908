"""The soak, small (issue 13 §3): loads back to back, some killed, while a second process asks for
every dashboard page over HTTP in headless Chromium; not one failed or stale answer.

`bench/soak.py` does the work and prints its figures; this runs it on a small demo bank (300
accounts, 2 months, then a day landed after one killed load; the random kills over several
days are tests/test_kills.py) and reads what it printed.
"""

# ruff: noqa: E501  (the figures' pattern is kept whole)

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from warehouse.config import PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]


@pytest.mark.timeout(1800)
def test_pages_answer_fresh_while_loads_run_and_die(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(PROJECT_ROOT / "bench" / "soak.py"),
            "--accounts",
            "300",
            "--days",
            "1",
            "--kills",
            "1",
            "--out",
            str(tmp_path / "soak"),
        ],  # fmt: skip
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    output = done.stdout + done.stderr
    printed = re.findall(
        r"^(loads survived|kills survived|pages served|failures): (\d+)", done.stdout, re.M
    )
    figures = {name: int(value) for name, value in printed}
    assert done.returncode == 0, output
    assert figures["failures"] == 0, output
    assert figures["loads survived"] == 1, output  # the day landed in the end
    assert figures["pages served"] >= 8, output  # every page, at least once after the last load
