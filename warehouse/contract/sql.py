"""Writing the contract's names and values into SQL text: the project's one quoting helper.

Values from users or files go into SQL as parameters wherever DuckDB allows one; these are for
the places it does not (ATTACH paths, COMMENT ON texts, identifiers built from declarations).
"""

from __future__ import annotations


def quote_literal(text: str) -> str:
    """A SQL string literal: `it's` -> `'it''s'`."""
    return "'" + text.replace("'", "''") + "'"


def quote_identifier(name: str) -> str:
    """A SQL identifier in double quotes, inner double quotes doubled."""
    return '"' + name.replace('"', '""') + '"'
