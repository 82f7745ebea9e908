"""Reading an extract file into text columns, record by record, without losing a single row.

Every value is read as text: parsing and checking belong to `validation`, which can then say
exactly which value was wrong. CSV goes through Arrow's reader because it reports rows with the
wrong number of fields (which other fast readers pad or drop silently); Parquet through Polars.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import itertools
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO, cast

import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv

from warehouse.contract.files import FileRefused
from warehouse.landing.masking import scrub_text

LINE = "__line"


@dataclass
class BadRecord:
    line_number: int | None
    reason: str
    raw_record: str  # scrubbed of long numbers
    # The record's fields, for masking by column: a malformed record's values cannot be trusted
    # to sit under their header names, so `validation` masks every value near a personal column.
    fields: list[str] = field(default_factory=list)


@dataclass
class RawBatch:
    """A file's records as text columns (lower-case names) plus each record's line number."""

    frame: pl.DataFrame
    bad_records: list[BadRecord] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return self.frame.height + len(self.bad_records)


def _where(line: int, column: int, name: str | None = None) -> str:
    """`line L, column C ('name')`: where in a file a refusal points (1 = the header line)."""
    named = f" ({scrub_text(name)!r})" if name else ""
    return f"line {line}, column {column}{named}"


def _normalise_header(names: list[str], path: Path) -> list[str]:
    """Header names in lower case, each checked; a personal number in one is masked (a data row
    taken for the header must not carry it into a message)."""
    cleaned = [name.replace("\ufeff", "").strip().lower() for name in names]
    seen: dict[str, int] = {}
    for position, name in enumerate(cleaned, start=1):
        if "\x00" in name:
            raise FileRefused(
                f"{path.name}: {_where(1, position)}: the header holds a NUL byte (\\x00): the "
                "file is damaged, or not UTF-8 text (UTF-16?)"
            )
        if name in seen:
            raise FileRefused(
                f"{path.name}: {_where(1, position)}: column {scrub_text(name)!r} appears twice "
                f"in the header (first in column {seen[name]})"
            )
        if not name:
            raise FileRefused(
                f"{path.name}: {_where(1, position)}: the header has an empty column name"
            )
        seen[name] = position
    return [scrub_text(name) for name in cleaned]


def _open_binary(path: Path) -> BinaryIO:
    if path.name.endswith(".gz"):
        return cast(BinaryIO, gzip.open(path, "rb"))  # noqa: SIM115
    return open(path, "rb")  # noqa: SIM115


def _text_encoding(encoding: str) -> str:
    if encoding.lower().replace("-", "").replace("_", "") == "utf8":
        return "utf-8-sig"  # drops a BOM, so a quoted first header name still parses
    return encoding


def _open_text(path: Path, encoding: str) -> io.TextIOBase:
    return io.TextIOWrapper(_open_binary(path), encoding=_text_encoding(encoding), newline="")


def _undecodable(path: Path, encoding: str) -> str | None:
    """Where the text first stops being valid `encoding`: `line L, column C (byte 0x..)`."""
    decoder = codecs.getincrementaldecoder(_text_encoding(encoding))()
    line, column = 1, 1
    try:
        with _open_binary(path) as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                try:
                    text = decoder.decode(block)
                except UnicodeDecodeError as exc:
                    text = decoder.decode(block[: exc.start]) if exc.start else ""
                    before = text.rsplit("\n", 1)
                    line += text.count("\n")
                    column = (len(before[-1]) + 1) if len(before) > 1 else column + len(text)
                    bad = block[exc.start : exc.start + 1].hex()
                    return f"{_where(line, column)} (byte 0x{bad})"
                newlines = text.count("\n")
                line += newlines
                column = len(text) - text.rfind("\n") if newlines else column + len(text)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return f"{_where(line, column)} (the file ends inside a character)"
    except (OSError, EOFError):
        return None
    return None


def _read_header(path: Path, encoding: str) -> list[str]:
    try:
        with _open_text(path, encoding) as handle:
            header = next(csv.reader(handle), None)
    except UnicodeDecodeError as exc:
        raise FileRefused(
            f"{path.name}: {_undecodable(path, encoding) or _where(1, 1)}: {_why(exc, encoding)}"
        ) from None
    except (gzip.BadGzipFile, EOFError, OSError) as exc:
        raise FileRefused(f"{path.name}: cannot read the header ({_why(exc, encoding)})") from None
    if not header:
        raise FileRefused(
            f"{path.name}: {_where(1, 1)}: no header row (the file holds no text on its first line)"
        )
    return header


def _why(exc: Exception, encoding: str) -> str:
    if isinstance(exc, UnicodeDecodeError) or "UTF8" in str(exc) or "utf-8" in str(exc).lower():
        hint = (
            " — if the file is GBK-encoded, load it with --encoding gbk"
            if encoding.lower().replace("-", "") == "utf8"
            else ""
        )
        return f"the text is not valid {encoding}{hint}"
    # Another library's words: they may quote a record, so they are scrubbed as free text.
    return scrub_text(str(exc).splitlines()[0], free_text=True)


def read_csv_file(path: Path, *, encoding: str = "utf-8") -> RawBatch:
    if path.stat().st_size == 0:
        raise FileRefused(
            f"{path.name}: {_where(1, 1)}: the file is empty (0 bytes); a day with no rows "
            "still has a header"
        )
    header = _normalise_header(_read_header(path, encoding), path)
    positional = [f"c{i}" for i in range(len(header))]
    bad: list[tuple[int, int, str]] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        bad.append((row.expected_columns, row.actual_columns, row.text))
        return "skip"

    try:
        # The header is read as a record and dropped below: `skip_rows=1` fails on a header-only
        # file without a final line break.
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                column_names=positional, encoding=encoding, block_size=1 << 24
            ),
            parse_options=pacsv.ParseOptions(
                newlines_in_values=True, invalid_row_handler=on_invalid
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in positional},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError, OSError) as exc:
        where = _undecodable(path, encoding) if "UTF8" in str(exc) else None
        if where is None:
            where = _where(1, 1)
        what = (
            _why(exc, encoding)
            if "UTF8" in str(exc)
            else f"cannot be parsed as CSV ({_why(exc, encoding)})"
        )
        raise FileRefused(f"{path.name}: {where}: {what}") from None

    frame = pl.from_arrow(table.slice(1))
    assert isinstance(frame, pl.DataFrame)
    frame.columns = header
    lines = None
    if not bad:
        # Before trimming: a value may end with a line break.
        header_lines = 1 + sum(name.count("\n") for name in header)
        lines = _line_numbers_without_bad_records(frame, path, header_lines)
    frame = _blank_to_null(frame)
    if lines is not None:
        return RawBatch(frame.with_columns(lines.alias(LINE)), [], header)
    return _with_bad_records(path, encoding, frame, header, bad)


_BLANKS = (" ", "\t", "\n", "\r")  # a quoted value may also begin or end with a line break


@lru_cache(maxsize=256)
def _padding_checks(columns: tuple[str, ...]) -> tuple[pl.Expr, ...]:
    return tuple(
        pl.any_horizontal(
            [pl.col(c).str.starts_with(b) | pl.col(c).str.ends_with(b) for b in _BLANKS]
        )
        .any()
        .alias(c)
        for c in columns
    )


def _blank_to_null(frame: pl.DataFrame) -> pl.DataFrame:
    """Trim surrounding blanks; an empty field is a missing value (CONTRACT.md).

    Trimming every value costs as much as parsing, so only columns that have a value starting or
    ending in a blank are trimmed.
    """
    if frame.height == 0:
        return frame
    padded = frame.select(_padding_checks(tuple(frame.columns))).row(0, named=True)
    return frame.with_columns(
        (pl.col(c).str.strip_chars() if padded[c] else pl.col(c)).replace("", None)
        for c in frame.columns
    )


def _physical_lines(path: Path) -> int:
    """Lines in the (decompressed) file: its line feeds, plus a last line without one."""
    count, last = 0, b""
    with _open_binary(path) as handle:
        for block in iter(lambda: handle.read(1 << 24), b""):
            count += block.count(b"\n")
            last = block[-1:]
    return count + (1 if last not in (b"", b"\n") else 0)


def _line_numbers_without_bad_records(
    frame: pl.DataFrame, path: Path, header_lines: int
) -> pl.Series | None:
    """Record i starts on line header_lines + 1 + i, plus every line break inside earlier quoted
    values. None when the records do not fill the file line for line (blank lines, which Arrow
    skips, or bare-CR line ends): then only a re-walk of the file gives the true lines."""
    index = pl.int_range(0, pl.len(), dtype=pl.Int64)
    lines_in_file = _physical_lines(path)
    if frame.height == 0:
        # A header and nothing else; any more lines (blank, or a record Arrow swallowed into an
        # unclosed quote) are for the re-walk to judge.
        return pl.Series(LINE, [], dtype=pl.Int64) if lines_in_file <= header_lines else None
    first = header_lines + 1
    # One line per record: no break inside a value and no blank line, the index gives the line.
    if lines_in_file == header_lines + frame.height:
        return frame.select((index + first).alias(LINE)).to_series()
    breaks = [pl.col(c).str.count_matches("\n").fill_null(0) for c in frame.columns]
    per_row = frame.select(pl.sum_horizontal(breaks).cast(pl.Int64).alias("b")).to_series()
    if lines_in_file != header_lines + frame.height + int(per_row.sum()):
        return None
    starts = pl.Series(range(frame.height)) + first + per_row.cum_sum().shift(1, fill_value=0)
    return starts.cast(pl.Int64).alias(LINE)


def _opening_quote(text: str) -> int | None:
    """The field (1-based) of a line whose quoted value is still open at the line's end."""
    field, quoted, at_start, opened = 1, False, True, None
    for char in text.rstrip("\r\n"):
        if quoted:
            quoted = char != '"'
        elif char == '"' and at_start:
            quoted, opened = True, field
        elif char == ",":
            field, at_start = field + 1, True
            continue
        at_start = False
    return opened if quoted else None


def _unclosed_quote(path: Path, encoding: str, header: list[str]) -> str | None:
    """`line L, column C: ...` when a quoted value opens and never closes: Arrow then reads the
    rest of the file as that one value (or drops it), and its lines would be lost unseen."""
    start = 1
    with _open_text(path, encoding) as handle:
        reader = csv.reader(handle, strict=True)
        try:
            for _ in reader:
                start = reader.line_num + 1
        except csv.Error as exc:
            if "unexpected end of data" not in str(exc):
                return None  # another quirk (`"a"b`): the lenient walk below handles it
        else:
            return None
    with _open_text(path, encoding) as handle:
        line_text = next(itertools.islice(handle, start - 1, None), "")
    field = _opening_quote(line_text) or 1
    name = header[field - 1] if field <= len(header) else None
    return (
        f"{_where(start, field, name)}: a quoted value opens here and is never closed, so every "
        "line after it would be read as part of it (close the quote, or remove it)"
    )


def _with_bad_records(
    path: Path,
    encoding: str,
    frame: pl.DataFrame,
    header: list[str],
    bad: list[tuple[int, int, str]],
) -> RawBatch:
    """Rare path: re-walk the file record by record to give every record its true line number."""
    unclosed = _unclosed_quote(path, encoding, header)
    if unclosed:
        raise FileRefused(f"{path.name}: {unclosed}")
    good_lines: list[int] = []
    bad_records: list[BadRecord] = []
    expected = len(header)
    with _open_text(path, encoding) as handle:
        reader = csv.reader(handle)
        next(reader, None)
        start = reader.line_num + 1
        for record in reader:
            if record:  # Arrow skips blank lines too
                if len(record) == expected:
                    good_lines.append(start)
                else:
                    found = len(record)
                    kind = "too few fields" if found < expected else "too many fields"
                    bad_records.append(
                        BadRecord(
                            start,
                            f"{kind}: expected {expected}, found {found}",
                            scrub_text(",".join(record))[:2000],
                            record,
                        )
                    )
            start = reader.line_num + 1
    if len(good_lines) != frame.height or len(bad_records) != len(bad):
        # The two readers disagree about record boundaries (e.g. a stray quote): keep every row,
        # and say the line numbers are positions.
        good_lines = list(range(2, 2 + frame.height))
        bad_records = [
            BadRecord(
                None,
                f"{'too few' if found < exp else 'too many'} fields: expected {exp}, found {found}",
                scrub_text(text)[:2000],
                next(csv.reader(io.StringIO(text)), []),
            )
            for exp, found, text in bad
        ]
    return RawBatch(
        frame.with_columns(pl.Series(LINE, good_lines, dtype=pl.Int64)), bad_records, header
    )


def read_parquet_file(path: Path) -> RawBatch:
    if path.stat().st_size == 0:
        raise FileRefused(f"{path.name}: {_where(1, 1)}: the file is empty (0 bytes)")
    try:
        frame = pl.read_parquet(path)
    except Exception as exc:  # Polars raises several types for a damaged file
        raise FileRefused(
            f"{path.name}: cannot be read as Parquet "
            f"({scrub_text(str(exc).splitlines()[0], free_text=True)})"
        ) from None
    header = _normalise_header(frame.columns, path)
    frame.columns = header
    as_text = []
    for name, dtype in frame.schema.items():
        column = pl.col(name)
        if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
            as_text.append(column.dt.strftime("%Y-%m-%dT%H:%M:%S%.f%:z"))
        elif isinstance(dtype, pl.Datetime):
            as_text.append(column.dt.strftime("%Y-%m-%d %H:%M:%S%.f"))
        else:
            as_text.append(column.cast(pl.String))
    frame = frame.select(as_text).with_columns(pl.all().str.strip_chars().replace("", None))
    frame = frame.with_columns(pl.int_range(2, frame.height + 2, dtype=pl.Int64).alias(LINE))
    return RawBatch(frame, [], header)


def read_extract_file(path: Path, *, encoding: str = "utf-8") -> RawBatch:
    if path.name.endswith(".parquet"):
        return read_parquet_file(path)
    return read_csv_file(path, encoding=encoding)
