"""Fixtures shared by the red-team tests (tests/test_redteam_*.py): the attacks' environment,
built once per module, and the parametrisation over one class of attacks."""

from __future__ import annotations

from pathlib import Path

import pytest
from redteam_attacks import ATTACKS, Env, build_env, by_kind, run_attack


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Env:
    return build_env(tmp_path_factory.mktemp("redteam"))


def attacks_of(*kinds: str) -> pytest.MarkDecorator:
    chosen = [found for kind in kinds for found in by_kind(kind)]
    return pytest.mark.parametrize(
        "found", chosen, ids=[f"{found.kind}: {found.name}" for found in chosen]
    )


__all__ = ["ATTACKS", "Env", "Path", "attacks_of", "env", "run_attack"]
