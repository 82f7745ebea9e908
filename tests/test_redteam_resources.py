"""Red team, the workbench's limits: a scalar or list function that escapes DuckDB's own
memory limit and interrupt, a gigabyte string, a result of many megabytes, a query of minutes.
Each is stopped by a limit the OS or the worker enforces (or cut at a cap), the dashboard's
process survives, the stop is audited and the user is told which limit it was."""

from __future__ import annotations

from redteam_attacks import Attack, Env
from redteam_support import attacks_of, env, run_attack

__all__ = ["env"]


@attacks_of("resources")
def test_the_attack_is_stopped_by_a_limit(found: Attack, env: Env) -> None:
    assert run_attack(found, env) == "limited"
