"""Personal data never reaches DuckDB in full: masked forms for people, keyed hashes for linking.

National IDs show their first 3 and last 4 characters, card numbers their first 6 and last 4,
phone numbers their first 3 and last 4, names their surname (CONTRACT.md). The keyed hash
(BLAKE2b with a secret key, 128 bits) lets two rows about the same number be joined without
the number itself. The key lives outside the database: `COLLECTIONS_MASK_KEY` (the key
itself), else the file named by `COLLECTIONS_MASK_KEY_FILE`, else
`~/.config/collections/mask.key`, which is created on first use, readable by its owner only.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from functools import lru_cache
from pathlib import Path

import polars as pl

from warehouse.contract.personal import (
    FREE_TEXT_RUN,
    LONE_GROUP,
    SEPARATED_DIGITS,
    SEPARATED_RUN,
    fold,
    personal_number_in,
    scrub_text,
)

KEY_ENV = "COLLECTIONS_MASK_KEY"
KEY_FILE_ENV = "COLLECTIONS_MASK_KEY_FILE"

__all__ = ["scrub_text"]  # the one scrubber (warehouse.contract.personal), for landing's use


def default_key_file() -> Path:
    config_home = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config_home) / "collections" / "mask.key"


def _create_key_file(path: Path) -> None:
    """Write a new random key, owner-only, appearing whole or not at all.

    Two first-time processes may race here (a load and the dashboard, or two loads): the key is
    written to a private temporary file and hard-linked into place, which fails if another
    process won; then that process's key is the one used. A reader never sees a half-written key.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


@lru_cache(maxsize=4)
def _key_from(env_key: str | None, key_file: str) -> bytes:
    if env_key:
        return hashlib.blake2b(env_key.encode("utf-8"), digest_size=32).digest()
    path = Path(key_file)
    if not path.exists():
        _create_key_file(path)
    text = path.read_text().strip()
    if len(text) < 32:
        raise ValueError(f"mask key file {path} holds fewer than 32 characters; expected a hex key")
    return hashlib.blake2b(text.encode("utf-8"), digest_size=32).digest()


def mask_key() -> bytes:
    """The secret key for linking hashes (see module docstring for where it comes from)."""
    return _key_from(
        os.environ.get(KEY_ENV), os.environ.get(KEY_FILE_ENV) or str(default_key_file())
    )


class KeyedHasher:
    """Keyed hashes of normalised values, cached: one load sees the same phone numbers daily."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key if key is not None else mask_key()
        self._cache: dict[str, dict[str, str]] = {}  # domain -> value -> hash

    def hash_one(self, domain: str, value: str) -> str:
        return self.hash_series(domain, pl.Series([value], dtype=pl.String))[0]

    def hash_series(self, domain: str, values: pl.Series) -> pl.Series:
        """Hash a column of normalised values (nulls stay null).

        Each distinct value is hashed once per load: the cache is looked up in one pass and only
        the values it misses are hashed (a tight loop; this runs for millions of phone numbers).
        """
        unique = values.drop_nulls().unique(maintain_order=False).to_list()
        if not unique:
            return pl.Series(values.name, [None] * values.len(), dtype=pl.String)
        cache = self._cache.setdefault(domain, {})
        missing = [value for value in unique if value not in cache]
        if missing:
            blake2b, key, prefix = hashlib.blake2b, self._key, f"{domain}:"
            cache.update(
                zip(
                    missing,
                    [
                        blake2b((prefix + value).encode(), key=key, digest_size=16).hexdigest()
                        for value in missing
                    ],
                    strict=True,
                )
            )
        hashed = [cache[value] for value in unique]
        return values.replace_strict(
            pl.Series(unique, dtype=pl.String), pl.Series(hashed, dtype=pl.String), default=None
        )


# --- normalisation and masking as Polars expressions (vectorised; used by the loaders) -------


# Separators a number may be typed with (`warehouse.contract.personal`); digits are ASCII by
# now (`fold_column`).
_SEPARATORS = r"[\s\-/_.]"


def normalize_national_id(expr: pl.Expr) -> pl.Expr:
    return expr.str.replace_all(_SEPARATORS, "").str.to_uppercase()


def normalize_card_no(expr: pl.Expr) -> pl.Expr:
    return expr.str.replace_all(_SEPARATORS, "")


def normalize_phone(expr: pl.Expr) -> pl.Expr:
    """Digits only, without the +86 / 0086 country prefix: one number links however written."""
    digits = expr.str.replace_all(r"[\s\-()./_]", "")
    return digits.str.replace(r"^(\+86|0086)", "").str.replace(r"^\+", "")


def _keep_ends(expr: pl.Expr, head: int, tail: int) -> pl.Expr:
    """First `head` and last `tail` characters, stars between (length preserved)."""
    length = expr.str.len_chars()
    hidden = (length - head - tail).clip(lower_bound=0)
    stars = pl.lit("*" * 32).str.slice(0, hidden)
    short = pl.lit("*" * 32).str.slice(0, length)
    return (
        pl.when(expr.is_null())
        .then(pl.lit(None, dtype=pl.String))
        .when(length > head + tail)
        .then(pl.concat_str([expr.str.slice(0, head), stars, expr.str.slice(-tail, tail)]))
        .otherwise(short)
    )


def mask_national_id(expr: pl.Expr) -> pl.Expr:
    return _keep_ends(expr, 3, 4)


def mask_card_no(expr: pl.Expr) -> pl.Expr:
    return _keep_ends(expr, 6, 4)


def mask_phone(expr: pl.Expr) -> pl.Expr:
    return _keep_ends(expr, 3, 4)


def mask_name(expr: pl.Expr) -> pl.Expr:
    """Surname plus `*`: the first character of a Chinese name, the first word of a spaced one."""
    first_word = expr.str.split(" ").list.first()
    return (
        pl.when(expr.str.contains(" "))
        .then(first_word + pl.lit(" *"))
        .otherwise(expr.str.slice(0, 1) + pl.lit("*"))
    )


def mask_email(expr: pl.Expr) -> pl.Expr:
    """First character of the mailbox, then the domain: `z***@163.com`."""
    local = expr.str.split("@").list.first()
    domain = expr.str.split("@").list.last()
    return (
        pl.when(expr.str.contains("@"))
        .then(pl.concat_str([local.str.slice(0, 1), pl.lit("***@"), domain]))
        .otherwise(pl.lit("***"))
    )


# --- the scrubber over a column: Polars finds the few values that could hold a number -------


def could_hold_number(expr: pl.Expr, *, free_text: bool = False) -> pl.Expr:
    """True for every value `scrub_text` could change (a cheap, vectorised over-approximation)."""
    if free_text:
        return expr.str.contains(FREE_TEXT_RUN)
    return expr.str.contains(LONE_GROUP) | (
        expr.str.contains(SEPARATED_RUN) & expr.str.contains(SEPARATED_DIGITS)
    )


def scrub_column(values: pl.Series, *, free_text: bool = False) -> tuple[pl.Series, pl.Series]:
    """(the values scrubbed, the kind of the first personal number found in each, else null).

    Only the values the prefilter flags go through Python, each distinct one once."""
    flagged = values.to_frame("v").select(could_hold_number(pl.col("v"), free_text=free_text))
    candidates = values.filter(flagged.to_series().fill_null(False)).unique().to_list()
    if not candidates:
        return values, pl.Series(values.name, [None] * values.len(), dtype=pl.String)
    scrubbed = [scrub_text(v, free_text=free_text) for v in candidates]
    kinds = [personal_number_in(v) for v in candidates]
    old = pl.Series(candidates, dtype=pl.String)
    return (
        values.replace(old, pl.Series(scrubbed, dtype=pl.String)),
        values.replace_strict(
            old, pl.Series([str(k) if k else None for k in kinds], dtype=pl.String), default=None
        ),
    )


def fold_column(values: pl.Series) -> pl.Series:
    """Unicode digits and separators in their ASCII forms, for the personal columns' own
    normalisers (a full-width card number links with the same number typed in ASCII)."""
    exotic = values.filter(values.str.contains(r"[^\x00-\x7F]").fill_null(False)).unique()
    if exotic.is_empty():
        return values
    return values.replace(exotic, pl.Series([fold(v) for v in exotic.to_list()], dtype=pl.String))
