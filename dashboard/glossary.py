"""The glossary the pages link to: the measures of `docs/metrics.md` and the compliance rules in
plain words, in both languages.

`docs/metrics.md` is the one definition of every measure (English definition, Chinese and
English term). The Glossary page shows its tables as they are; the compliance rules get a
plain-language description of their own in both languages (`rulehelp.<rule_set>.<rule>` in the
catalogues). A breach's detail is written by `mart.compliance_breaches` in English; on a Chinese
page `localised_details` words it from the breach's own columns (rule, channel, local time and
zone) instead, so no English code shows there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import polars as pl

from dashboard import format as fmt
from dashboard.i18n import has, language, text

METRICS = Path(__file__).resolve().parents[1] / "docs" / "metrics.md"
ROW = re.compile(r"^\|(?P<cells>.+)\|\s*$")
SEPARATOR = re.compile(r"^\|[\s:|-]+\|\s*$")


@dataclass(frozen=True)
class Entry:
    section: str  # the heading of docs/metrics.md it sits under
    term: str  # English term
    chinese: str  # 中文
    definition: str  # English definition (Markdown of docs/metrics.md: trusted text)

    @property
    def anchor(self) -> str:
        return anchor(self.term)


def anchor(term: str) -> str:
    """A term's anchor on the Glossary page: `RPC rate` -> `rpc-rate`."""
    plain = re.sub(r"[`*_()]", "", term.lower())
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")


@cache
def entries(path: Path = METRICS) -> tuple[Entry, ...]:
    """The term tables of docs/metrics.md (term | 中文 | definition), in the file's order."""
    if not path.exists():
        return ()
    found: list[Entry] = []
    section = ""
    header: list[str] | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            section, header = line[3:].strip(), None
            continue
        row = ROW.match(line)
        if not row:
            header = None
            continue
        if SEPARATOR.match(line):
            continue
        cells = [cell.strip() for cell in row["cells"].split("|")]
        if header is None:
            header = [cell.lower() for cell in cells]
            continue
        if len(cells) == 3 and header[1] == "中文" and header[0] in ("term", "measure"):
            found.append(Entry(section, cells[0], cells[1], cells[2]))
    return tuple(found)


# Terms the pages' help links name, and the glossary entry each opens (by its English term).
LINKED_TERMS = {
    "live_book": "live book",
    "delinquent_book": "delinquent book (M1+)",
    "dpd_ratio": "30+ / 60+ / 90+ ratio",
    "rpc_rate": "RPC rate",
    "promise_rate": "promise rate",
    "promise_kept_rate": "promise-kept rate",
    "pending": "pending",
    "breach": "breach",
    "roll_forward_rate": "roll-forward rate",
    "cure_rate": "cure rate",
    "as_of_date": "as-of date",
}


def rule_help(rule_set: str, rule: str) -> str:
    """The rule in plain words in the page's language (plain text)."""
    key = f"rulehelp.{rule_set}.{rule}"
    return text(key) if has(key) else fmt.code("rule", rule)


def localised_details(breaches: pl.DataFrame) -> pl.DataFrame:
    """Breaches with `detail` in the page's language: the view's English detail on an English
    page; on a Chinese page, the breach worded from its rule, channel, local time and zone."""
    if language() == "en" or breaches.is_empty() or "detail" not in breaches.columns:
        return breaches
    worded = [
        text(
            "compliance.detail_worded",
            rule=fmt.code("rule", row.get("rule")),
            channel=fmt.code("channel", row.get("channel")),
            local_time=(
                row["local_time"].strftime("%Y-%m-%d %H:%M")
                if row.get("local_time") is not None
                else fmt.MISSING
            ),
            zone=row.get("timezone") or fmt.MISSING,
            explain=rule_help(str(row.get("rule_set")), str(row.get("rule"))),
        )
        for row in breaches.iter_rows(named=True)
    ]
    return breaches.with_columns(pl.Series("detail", worded, dtype=pl.String))


# The status of each kind of timeline event is a code of its own domain (mart.account_timeline).
TIMELINE_STATUS = {
    "snapshot": "bucket",
    "contact": "outcome",
    "promise": "promise_status",
    "plan": "plan_status",
    "grade": "risk_grade",
}
DETAIL_DOMAINS = ("channel", "party", "account_status", "cause", "treatment", "payment_channel")
DAYS_PAST_DUE = re.compile(r"^(\d+) dpd$")
DUE = re.compile(r"^due (\S+)$")
PAID = re.compile(r"^paid (\S+)$")
REVERSES = re.compile(r"^reverses (\S+)$")


def _status(kind: str, status: str | None) -> str:
    if status is None:
        return fmt.MISSING
    if kind == "breach" and "." in status:
        rule_set, _, rule = status.partition(".")
        return f"{fmt.code('rule_set', rule_set)} · {fmt.code('rule', rule)}"
    domain = TIMELINE_STATUS.get(kind)
    return fmt.code(domain, status) if domain else status


def _part(part: str) -> str:
    for domain in DETAIL_DOMAINS:
        if has(f"code.{domain}.{part}"):
            return fmt.code(domain, part)
    for pattern, key in (
        (DAYS_PAST_DUE, "accounts.detail.dpd"),
        (DUE, "accounts.detail.due"),
        (PAID, "accounts.detail.paid"),
        (REVERSES, "accounts.detail.reverses"),
    ):
        matched = pattern.match(part)
        if matched:
            return text(key, value=matched[1])
    return part


def localised_timeline(timeline: pl.DataFrame) -> pl.DataFrame:
    """An account's timeline as the page shows it: each status by its label, each detail's codes
    (channel, party, status, cause, treatment) and phrases in the page's language; breach details
    as `localised_details` words them."""
    if timeline.is_empty():
        return timeline
    statuses, details = [], []
    for row in timeline.iter_rows(named=True):
        kind = row["kind"]
        statuses.append(_status(kind, row["status"]))
        detail = row["detail"]
        if detail is None:
            details.append(fmt.MISSING)
        elif kind == "breach":
            rule_set, _, rule = (row["status"] or "").partition(".")
            details.append(detail if language() == "en" else rule_help(rule_set, rule))
        else:
            details.append(" · ".join(_part(part.strip()) for part in detail.split(" · ")))
    return timeline.with_columns(
        pl.Series("status", statuses, dtype=pl.String),
        pl.Series("detail", details, dtype=pl.String),
    )
