"""Red team, exports, the app store and files: formulas in every CSV export (one helper for
all), Excel keeping text as text, exports audited; owner checks; the append-only, hash-chained
audit trail; owner-only files; Streamlit on localhost; no secret in the worker's environment."""

from __future__ import annotations

from redteam_attacks import Attack, Env
from redteam_support import attacks_of, env, run_attack

__all__ = ["env"]


@attacks_of("exports", "store", "files")
def test_the_attack_is_refused(found: Attack, env: Env) -> None:
    assert run_attack(found, env) in ("refused", "limited")
