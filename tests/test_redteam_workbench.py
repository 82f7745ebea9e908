"""Red team, the SQL workbench: what may run (read a file, the warehouse's own included; change
data; unlock the engine; several statements; a PIVOT), the locked connection on its own, and
errors that must not escape `run_as` (each one audited, each said cleanly). Every attack must
be refused or handled: tests/redteam_attacks.py holds them."""

from __future__ import annotations

from redteam_attacks import Attack, Env
from redteam_support import attacks_of, env, run_attack

__all__ = ["env"]


@attacks_of("workbench", "engine", "errors")
def test_the_attack_is_refused_or_handled(found: Attack, env: Env) -> None:
    assert run_attack(found, env) in ("refused", "limited")


def test_no_attack_wrote_a_file(env: Env) -> None:
    """Whatever ran before in this module: nothing outside the warehouse was written."""
    written = {p.name for p in env.root.iterdir()}
    assert not written & {"out.csv", "o.parquet", "dump", "other.duckdb", "engine.csv",
                          "engine.duckdb"}  # fmt: skip
