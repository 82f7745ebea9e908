"""Red team, sign-in and demo mode: brute force and spraying (locked out, audited), look-alike
and hostile user names, short passwords, weak hashes, a password typed as a name; demo data,
users and automatic sign-in kept to a warehouse created as a demo."""

from __future__ import annotations

from redteam_attacks import Attack, Env
from redteam_support import attacks_of, env, run_attack

__all__ = ["env"]


@attacks_of("signin", "demo")
def test_the_attack_is_refused(found: Attack, env: Env) -> None:
    assert run_attack(found, env) in ("refused", "limited")
