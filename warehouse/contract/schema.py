"""How an extract is declared: one `Extract` per loader module, the single source of its columns.

The declaration drives everything about the extract: which columns a file must have, how each
value is parsed and checked, what a quarantine message says, how the raw table is created in
DuckDB, and how personal data is masked on the way in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    """What a column holds, in the contract's words."""

    TEXT = "text"  # an identifier or a label, kept as given (personal numbers in it masked)
    FREE_TEXT = "free_text"  # notes typed by people: every digit run of 7 or more is masked
    INTEGER = "integer"
    MONEY = "money"  # yuan, up to 2 decimals, DECIMAL(18,2)
    DATE = "date"  # YYYY-MM-DD
    TIMESTAMP = "timestamp"  # local bank time, or ISO 8601 with an offset; stored as an instant
    BOOLEAN = "boolean"  # true/false, 1/0, Y/N, yes/no, any case
    CODE = "code"  # one of a fixed set
    TIMEZONE = "timezone"  # an IANA zone name
    NATIONAL_ID = "national_id"  # personal: stored masked + keyed hash
    CARD_NO = "card_no"  # personal: stored masked + keyed hash
    PHONE = "phone"  # personal: stored masked + keyed hash
    PERSON_NAME = "person_name"  # personal: stored as surname + *
    EMAIL = "email"  # personal: stored with the mailbox masked


# The DuckDB type each kind lands as (personal kinds land as masked text plus a hash column).
DUCKDB_TYPE: dict[Kind, str] = {
    Kind.TEXT: "VARCHAR",
    Kind.FREE_TEXT: "VARCHAR",
    Kind.INTEGER: "BIGINT",
    Kind.MONEY: "DECIMAL(18,2)",
    Kind.DATE: "DATE",
    Kind.TIMESTAMP: "TIMESTAMPTZ",
    Kind.BOOLEAN: "BOOLEAN",
    Kind.CODE: "VARCHAR",
    Kind.TIMEZONE: "VARCHAR",
    Kind.NATIONAL_ID: "VARCHAR",
    Kind.CARD_NO: "VARCHAR",
    Kind.PHONE: "VARCHAR",
    Kind.PERSON_NAME: "VARCHAR",
    Kind.EMAIL: "VARCHAR",
}

# Personal kinds: (hash domain or None) — the masked value lands as `<name>_masked`.
PERSONAL: dict[Kind, str | None] = {
    Kind.NATIONAL_ID: "national_id",
    Kind.CARD_NO: "card_no",
    Kind.PHONE: "phone",  # one domain for mobile and contact_number, so they link
    Kind.PERSON_NAME: None,
    Kind.EMAIL: None,
}


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    description: str
    required: bool = False
    key: bool = False
    codes: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False  # amounts that must be > 0
    default: bool | None = None  # booleans that default to false when empty
    # An id that links rows (a reference to another extract's key, or a customer number). Like
    # a key, it is never stored with a personal number in it (`warehouse.contract.personal`):
    # masking would break the link, so such a row is quarantined.
    reference: bool = False

    @property
    def identifier(self) -> bool:
        """A key or a reference: a personal number in it quarantines the row."""
        return self.key or self.reference

    @property
    def is_personal(self) -> bool:
        return self.kind in PERSONAL

    def stored_columns(self) -> list[tuple[str, str, str]]:
        """(name, DuckDB type, description) of what this column becomes in the raw table."""
        if not self.is_personal:
            return [(self.name, DUCKDB_TYPE[self.kind], self.description)]
        stored = [(f"{self.name}_masked", "VARCHAR", f"{self.description} (masked)")]
        if PERSONAL[self.kind] is not None:
            stored.append(
                (f"{self.name}_hash", "VARCHAR", f"keyed hash of {self.name}, for linking")
            )
        return stored


@dataclass(frozen=True)
class History:
    """Every record of an extract whose raw table keeps only the latest one per key, reduced to
    the columns whose past values matter (`raw.<table>`): one row per key per business date.

    The raw table answers "what is true now"; the history answers "what was true on a day": a
    month's picture, a contact or a promise is judged by the record in force on its date, not by
    today's (the first record also stands for the time before it). So a record changes the
    marts from its business date on, and a key seen for the first time changes the months of
    the rows that name it (`warehouse.landing.writing`)."""

    table: str  # raw.<name>
    grain: str
    columns: tuple[str, ...]  # the extract's columns kept (besides its key)


@dataclass(frozen=True)
class Extract:
    """One card-system extract: its file stem, grain, and columns (keys in bold in CONTRACT.md)."""

    name: str
    grain: str
    columns: tuple[Column, ...]
    load_order: int
    # Key columns whose value is a date: a replacement only needs to look at that date range.
    date_key: str | None = None
    extra_rules: tuple[RowRule, ...] = field(default_factory=tuple)
    history: History | None = None
    # The column that dates a row (a date, or an instant taken in the bank's zone): the marts
    # change from that row's month on. None: a row of this extract may change any month.
    dated_by: str | None = None
    # A row that cancels an earlier one (a payment reversal) changes that row's month too.
    cancels: Cancels | None = None

    @property
    def dated_by_key(self) -> bool:
        """Whether the dating column is part of the key: a correction cannot move a row to
        another month (it replaces its own business date's rows)."""
        return self.dated_by is not None and self.dated_by in self.key

    @property
    def key(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.key)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required or c.key)

    @property
    def table(self) -> str:
        return f"raw.{self.name}"

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"extract {self.name!r} has no column {name!r}")

    def stored_columns(self) -> list[tuple[str, str, str]]:
        out: list[tuple[str, str, str]] = []
        for column in self.columns:
            out.extend(column.stored_columns())
        return out

    def history_columns(self) -> list[tuple[str, str, str]]:
        """(name, DuckDB type, description) of the history table's columns before the lineage:
        the key, then the kept columns, as the raw table stores them."""
        if self.history is None:
            return []
        kept = set(self.key) | set(self.history.columns)
        out: list[tuple[str, str, str]] = []
        for column in self.columns:
            if column.name in kept:
                out.extend(column.stored_columns())
        return out


@dataclass(frozen=True)
class Cancels:
    """Rows where `when` holds cancel the row whose `key` equals their `column`."""

    column: str
    key: str
    when: str


@dataclass(frozen=True)
class RowRule:
    """A rule across columns of one row, checked after each value parsed.

    `check(value)` returns a Polars expression that is True where the row breaks the rule;
    `value(name)` gives the parsed value of a column.
    """

    column: str
    message: str
    check: object  # Callable[[Callable[[str], pl.Expr]], pl.Expr]


LINEAGE_COLUMNS: list[tuple[str, str, str]] = [
    ("_file_name", "VARCHAR", "the extract file the row came from"),
    ("_business_date", "DATE", "the business date in that file's name"),
    ("_line_number", "BIGINT", "the row's line in that file (1 = header)"),
    ("_load_id", "BIGINT", "the load run that landed it (ops.load_runs)"),
]
