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
import re
import secrets
from functools import lru_cache
from pathlib import Path

import polars as pl

KEY_ENV = "COLLECTIONS_MASK_KEY"
KEY_FILE_ENV = "COLLECTIONS_MASK_KEY_FILE"

# Digit runs long enough to be an ID, card or phone number (with optional separators and a
# trailing X for national IDs). Free text and quarantined raw records are scrubbed with it.
_LONG_NUMBER = re.compile(r"[0-9](?:[ -]?[0-9]){6,}[Xx]?")


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


def normalize_national_id(expr: pl.Expr) -> pl.Expr:
    return expr.str.replace_all(r"[\s-]", "").str.to_uppercase()


def normalize_card_no(expr: pl.Expr) -> pl.Expr:
    return expr.str.replace_all(r"[\s-]", "")


def normalize_phone(expr: pl.Expr) -> pl.Expr:
    """Digits only, without the +86 / 0086 country prefix: one number links however written."""
    digits = expr.str.replace_all(r"[\s\-().]", "")
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


def scrub_numbers(expr: pl.Expr) -> pl.Expr:
    """Mask every long digit run in free text (a note may quote a phone or card number)."""
    return expr.str.replace_all(_LONG_NUMBER.pattern, "[number removed]")


def scrub_text(text: str) -> str:
    """The same scrub for a Python string (quarantined raw lines, error messages)."""

    def _mask(match: re.Match[str]) -> str:
        digits = re.sub(r"[ -]", "", match.group(0))
        if len(digits) <= 7:
            return "*" * len(digits)
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]

    return _LONG_NUMBER.sub(_mask, text)
