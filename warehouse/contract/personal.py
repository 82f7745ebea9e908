"""What counts as a personal number, wherever it hides, and how it is shown: the one scrubber.

CONTRACT.md ("Personal data"): a national ID shows its first 3 and last 4 characters, a card
number its first 6 and last 4, a mobile its first 3 and last 4. Files are typed by people, so a
number may sit in any column (a city, a customer id, a note), written with full-width or other
Unicode digits and with any mix of separators between its groups (spaces, double spaces, `-`,
`/`, `_`, `.`). `scrub_text` finds them and masks them; every text value goes through it before
it is stored, logged or printed.

A number is recognised, not guessed:
- national ID (GB 11643-1999): 17 digits and a check character (a digit or `X`) that matches
  the ISO 7064 MOD 11-2 check, the first digit a region (1-9) and digits 7-14 a real birth date;
- card number: 13 to 19 digits passing the Luhn check;
- mainland mobile: 11 digits `1[3-9]…`, also written with `86` or `0086` before it.
Digits count as one number only when their groups are joined by separators, and a number is
made of whole groups: `2024-01-15 13812345678` is a date and a mobile, not a 19-digit card.

Free text (`free_text=True`: contact notes, and the text of errors raised by other libraries)
also loses every other run of 7 digits or more (a mistyped number is still a person's number):
its first 3 and last 4 digits stay when it has more than 7.

`LONE_GROUP`, `SEPARATED_RUN` and `FREE_TEXT_RUN` are regular expressions (Rust syntax, for
Polars) that hold for every text the scrubber could change, so a loader hands only those few
values to Python.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class NumberKind(StrEnum):
    NATIONAL_ID = "national ID"
    CARD_NO = "card number"
    MOBILE = "mobile number"


@dataclass(frozen=True)
class Found:
    """A personal number inside a text: [start, end) in the text, what it is, its masked form."""

    start: int
    end: int
    kind: NumberKind
    masked: str


# Separators people type between digit groups (after folding: see `fold`).
_SEPARATORS = " -/_."
# Unicode forms that fold to those separators (dashes and the full-width forms).
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"
_SEP_CLASS = r"[\s\-/_.\x{2010}-\x{2015}\x{2212}\x{FE63}\x{FF0D}\x{FF0F}\x{FF3F}\x{FF0E}]"

# Prefilters for Polars (Rust regex, Unicode `\d` and `\s`). A text can hold a personal number
# only if it has a lone digit group of such a length (`LONE_GROUP`), or 11 digits or more joined
# by separators (`SEPARATED_RUN`, which only counts when `SEPARATED_DIGITS` holds too: a cheap
# over-approximation). Free text is scrubbed from 7 digits on (`FREE_TEXT_RUN`).
LONE_GROUP = r"(?:^|[^\d])(?:\d{11}|\d{13,19}|\d{17}[Xx\x{FF38}\x{FF58}])(?:[^\d]|$)"
SEPARATED_RUN = rf"\d(?:{_SEP_CLASS}*\d){{10}}"
SEPARATED_DIGITS = rf"\d{_SEP_CLASS}+\d"
FREE_TEXT_RUN = rf"\d(?:{_SEP_CLASS}*\d){{6}}"


class _Fold(dict[int, str]):
    """str.translate table, built lazily: any Unicode decimal digit -> its ASCII digit, every
    space -> ' ', dashes and full-width separators -> ASCII, full-width X -> X. One character
    for one character, so positions in the folded text are positions in the original."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        folded = char
        if code >= 128:
            digit = unicodedata.decimal(char, None)
            if digit is not None:
                folded = str(digit)
            elif char.isspace():
                folded = " "
            elif char in _DASHES:
                folded = "-"
            else:
                compat = unicodedata.normalize("NFKC", char)
                if len(compat) == 1 and compat in "/_.Xx-":
                    folded = compat
        elif char.isspace():
            folded = " "
        self[code] = folded
        return folded


_FOLD = _Fold()
_GROUP = re.compile(r"[0-9]+(?:[Xx](?![0-9A-Za-z]))?")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_MOBILE = re.compile(r"1[3-9][0-9]{9}")


def fold(text: str) -> str:
    """`text` with Unicode digits and separators in their ASCII forms (same length)."""
    return text.translate(_FOLD)


def is_national_id(chars: str) -> bool:
    """18 characters: region, birth date, sequence, and a matching GB 11643 check character."""
    if len(chars) != 18 or not chars[:17].isdigit() or chars[0] == "0":
        return False
    check = _ID_CHECK[sum(int(c) * w for c, w in zip(chars[:17], _ID_WEIGHTS, strict=True)) % 11]
    if chars[17].upper() != check:
        return False
    try:
        born = date(int(chars[6:10]), int(chars[10:12]), int(chars[12:14]))
    except ValueError:
        return False
    return 1900 <= born.year <= 2099


def is_card_number(digits: str) -> bool:
    """13 to 19 digits passing the Luhn check."""
    if not 13 <= len(digits) <= 19 or not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def is_mobile(digits: str) -> bool:
    return len(digits) == 11 and _MOBILE.fullmatch(digits) is not None


def keep_ends(chars: str, head: int, tail: int) -> str:
    """First `head` and last `tail` characters, stars between (length kept)."""
    if len(chars) <= head + tail:
        return "*" * len(chars)
    return chars[:head] + "*" * (len(chars) - head - tail) + chars[-tail:]


def _recognise(chars: str, lone_group: bool) -> tuple[NumberKind, str] | None:
    """What the characters of a span of whole groups are, and their masked form."""
    if len(chars) == 18 and is_national_id(chars):
        return NumberKind.NATIONAL_ID, keep_ends(chars.upper(), 3, 4)
    if not chars.isdigit():
        return None
    if is_mobile(chars):
        return NumberKind.MOBILE, keep_ends(chars, 3, 4)
    if lone_group:
        for prefix in ("86", "0086"):
            if chars.startswith(prefix) and is_mobile(chars[len(prefix) :]):
                return NumberKind.MOBILE, prefix + keep_ends(chars[len(prefix) :], 3, 4)
    if is_card_number(chars):
        return NumberKind.CARD_NO, keep_ends(chars, 6, 4)
    return None


_PRIORITY = {NumberKind.NATIONAL_ID: 0, NumberKind.MOBILE: 1, NumberKind.CARD_NO: 2}


def _runs(folded: str) -> list[list[tuple[int, int]]]:
    """Digit groups, and which of them are joined by separators into one run."""
    runs: list[list[tuple[int, int]]] = []
    previous_end = -1
    for match in _GROUP.finditer(folded):
        start, end = match.span()
        gap = folded[previous_end:start] if previous_end >= 0 else None
        joined = (
            runs
            and gap
            and all(c in _SEPARATORS for c in gap)
            and folded[previous_end - 1] not in "Xx"
        )
        if joined:
            runs[-1].append((start, end))
        else:
            runs.append([(start, end)])
        previous_end = end
    return runs


def find_numbers(text: str) -> list[Found]:
    """Every personal number in `text`, left to right, none overlapping.

    IDs are taken first, then mobiles, then cards (longest first): a card-length span that
    happens to pass Luhn never swallows a mobile next to it."""
    folded = fold(text)
    chosen: list[Found] = []
    for groups in _runs(folded):
        parts = [folded[start:end] for start, end in groups]
        candidates: list[tuple[int, int, int, Found]] = []
        for i in range(len(groups)):
            chars = ""
            for j in range(i, len(groups)):  # an `X` only ever ends a run's last group
                chars += parts[j]
                if len(chars) > 19:
                    break
                recognised = _recognise(chars, lone_group=i == j) if len(chars) >= 11 else None
                if recognised is not None:
                    kind, masked = recognised
                    found = Found(groups[i][0], groups[j][1], kind, masked)
                    candidates.append((_PRIORITY[kind], i - j, i, found))
        taken: list[tuple[int, int]] = []
        for _, _, _, found in sorted(candidates, key=lambda c: (c[0], c[1], c[2])):
            if all(found.end <= s or found.start >= e for s, e in taken):
                taken.append((found.start, found.end))
                chosen.append(found)
    return sorted(chosen, key=lambda f: f.start)


def _mask_long_runs(text: str, folded: str, start: int, end: int, out: list[str]) -> None:
    """Free text between recognised numbers: runs of 7+ digits keep their first 3 and last 4."""
    position = start
    for groups in _runs(folded[start:end]):
        digits = "".join(folded[start + s : start + e] for s, e in groups)
        digits = "".join(c for c in digits if c.isdigit())
        if len(digits) < 7:
            continue
        run_start, run_end = start + groups[0][0], start + groups[-1][1]
        out.append(text[position:run_start])
        out.append("*" * 7 if len(digits) == 7 else keep_ends(digits, 3, 4))
        position = run_end
    out.append(text[position:end])


def scrub_text(text: str, *, free_text: bool = False) -> str:
    """`text` with every personal number masked as the contract shows it (see module doc)."""
    if not text or not any(c.isdigit() for c in text):
        return text
    found = find_numbers(text)
    if not found and not free_text:
        return text
    folded = fold(text) if free_text else ""
    out: list[str] = []
    position = 0
    for number in found:
        if free_text:
            _mask_long_runs(text, folded, position, number.start, out)
        else:
            out.append(text[position : number.start])
        out.append(number.masked)
        position = number.end
    if free_text:
        _mask_long_runs(text, folded, position, len(text), out)
    else:
        out.append(text[position:])
    return "".join(out)


def personal_number_in(text: str) -> NumberKind | None:
    """The first personal number's kind in `text`, or None (keys and other identifiers)."""
    found = find_numbers(text) if text else []
    return found[0].kind if found else None
