"""The morning briefing: `collections report --out DIR` writes the day's one-page summary as a
self-contained HTML file and a PDF, in English or Chinese, for the manager who reads it on a
phone before the dashboard.

What it says is `warehouse.app.briefing`'s: the same functions the dashboard's "Since the last
load" page draws (what the last load changed, promises due today and broken, new breaches),
the book at a glance as the Portfolio page adds it up, the worst-rolling buckets as the
Migration page ranks them, and the data quality of the latest run. Numbers are written by
`warehouse.app.numbers` (the dashboard's formatting layer) and words come from the dashboard's
catalogues (`dashboard/locales/*.json`, read as data: the `report.*` texts and the glossary's
code labels), so a label is the same in the briefing and on the page.

The HTML has no external resource at all (styles inline, bars drawn in inline SVG), and every
value from the warehouse is HTML-escaped. The PDF is the same HTML laid out by WeasyPrint (from
PyPI; it uses the system's Pango, and a CJK font such as Debian's fonts-wqy-microhei for
Chinese), so the two always agree.
"""

from __future__ import annotations

import functools
import html
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from warehouse.app import briefing, numbers

LOCALES = Path(__file__).resolve().parents[2] / "dashboard" / "locales"
LANGUAGES = ("en", "zh")
ROWS = 10  # rows of each list in the briefing (the pages have the rest)


@functools.cache
def catalogue(lang: str) -> dict[str, str]:
    """The dashboard's words in `lang` (every area file merged), English where one is missing."""
    if lang not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}; found {lang!r}")
    merged: dict[str, str] = {}
    for chosen in dict.fromkeys(("en", lang)):
        for path in sorted(LOCALES.glob(f"*.{chosen}.json")):
            merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


@dataclass(frozen=True)
class Words:
    lang: str

    def __call__(self, key: str, **fields: object) -> str:
        """The text of `key`, values HTML-escaped (the catalogue's own text is trusted)."""
        text = catalogue(self.lang).get(key, key)
        # The catalogues write Markdown: **bold** is all the briefing keeps of it.
        text = html.escape(text, quote=False)
        if fields:
            text = text.format(**{k: html.escape(str(v), quote=False) for k, v in fields.items()})
        while text.count("**") >= 2:
            text = text.replace("**", "<strong>", 1).replace("**", "</strong>", 1)
        return text

    def code(self, domain: str, value: object) -> str:
        """A code value by its glossary label (escaped), as the pages show it."""
        if value is None:
            return numbers.MISSING
        found = catalogue(self.lang).get(f"code.{domain}.{value}")
        return html.escape(found if found is not None else str(value), quote=False)


@dataclass(frozen=True)
class Briefing:
    """Everything the briefing says, as figures (the HTML and the PDF are drawn from it)."""

    window: briefing.Window
    changes: pl.DataFrame
    counted: dict[str, tuple[int, Any]]
    due: pl.DataFrame
    broken: pl.DataFrame
    breaches: pl.DataFrame
    book: briefing.Book | None
    worst: pl.DataFrame
    quality: briefing.Quality
    bank_timezone: str


def gather(con: duckdb.DuckDBPyConnection) -> Briefing:
    """The briefing's figures from a read-only connection on the published warehouse."""
    window = briefing.load_window(con)
    changes = briefing.day_changes(con, window)
    zone_row = con.execute("SELECT timezone FROM settings.bank_timezone").fetchall()
    return Briefing(
        window=window,
        changes=changes,
        counted=briefing.change_counts(changes),
        due=briefing.promises_due(con, window.today),
        broken=briefing.promises_broken(con, window),
        breaches=briefing.new_breaches(con, window),
        book=briefing.book(con),
        worst=briefing.worst_rolling(con),
        quality=briefing.data_quality(con),
        bank_timezone=zone_row[0][0] if zone_row else "Asia/Shanghai",
    )


STYLE = """
body { font-family: "Noto Sans CJK SC", "WenQuanYi Micro Hei", "PingFang SC", "Microsoft YaHei",
  "Helvetica Neue", Arial, sans-serif; color: #1f2430; margin: 0 auto; padding: 16px;
  max-width: 760px; font-size: 14px; line-height: 1.45; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 18px 0 6px;
  border-bottom: 1px solid #e3e5ea; padding-bottom: 3px; }
.meta { color: #5f6472; font-size: 12px; margin-bottom: 10px; }
.cards { display: flex; flex-wrap: wrap; gap: 8px; }
.card { flex: 1 1 150px; border: 1px solid #e3e5ea; border-radius: 8px; padding: 8px 10px; }
.card .label { color: #5f6472; font-size: 12px; }
.card .value { font-size: 20px; font-weight: 600; }
.card .sub { color: #5f6472; font-size: 12px; }
table { border-collapse: collapse; width: 100%; font-size: 12.5px; }
th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid #eceef2; }
th { color: #5f6472; font-weight: 600; } td.n, th.n { text-align: right; }
.note { color: #5f6472; font-size: 12px; } .ok { color: #1b5e20; } .bad { color: #b71c1c; }
@page { size: A4; margin: 14mm; }
"""


def _table(headers: list[tuple[str, bool]], rows: list[list[str]]) -> str:
    """A table; each header says whether its column is a number (right-aligned)."""
    head = "".join(f'<th class="n">{h}</th>' if n else f"<th>{h}</th>" for h, n in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{cell}</td>' if numeric else f"<td>{cell}</td>"
            for cell, (_, numeric) in zip(row, headers, strict=True)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _bar(share: float | None, *, width: int = 120) -> str:
    """A small horizontal bar (inline SVG) for a rate between 0 and 1."""
    filled = 0 if share is None else max(0, min(width, round(share * width)))
    return (
        f'<svg width="{width}" height="10" role="img"><rect width="{width}" height="10" '
        f'fill="#eceef2"/><rect width="{filled}" height="10" fill="#c62828"/></svg>'
    )


def _card(label: str, value: str, sub: str = "") -> str:
    sub_html = f'<div class="sub">{sub}</div>' if sub else ""
    return (
        f'<div class="card"><div class="label">{label}</div>'
        f'<div class="value">{value}</div>{sub_html}</div>'
    )


def _e(value: object) -> str:
    return html.escape(numbers.MISSING if value is None else str(value), quote=False)


def render_html(figures: Briefing, *, lang: str, generated_at: datetime | None = None) -> str:
    """The briefing as one self-contained HTML page in `lang`."""
    w = Words(lang)
    window = figures.window
    generated = (generated_at or datetime.now(UTC)).astimezone(UTC)
    parts: list[str] = [
        f"<h1>{w('report.title')}</h1>",
        '<div class="meta">'
        + w("common.data_through", day=numbers.long_day(window.as_of, lang))
        + " · "
        + (
            w(
                "report.window",
                first=numbers.long_day(window.first, lang),
                last=numbers.long_day(window.last, lang),
                load=window.load_id if window.load_id is not None else numbers.MISSING,
            )
            if window.first is not None
            else w("today.nothing")
        )
        + " · "
        + w("report.generated", at=generated.strftime("%Y-%m-%d %H:%M UTC"))
        + "</div>",
    ]

    # The book at a glance.
    book = figures.book
    parts.append(f"<h2>{w('report.book')}</h2>")
    if book is None:
        parts.append(f'<p class="note">{w("report.no_book")}</p>')
    else:
        month = numbers.month(book.month, lang)
        if not book.is_complete:
            month = w("filters.so_far", month=month)
        cards = [
            _card(w("portfolio.kpi.accounts"), numbers.count(book.accounts), _e(month)),
            _card(w("portfolio.kpi.balance"), numbers.money(book.balance)),
            _card(w("portfolio.kpi.delinquent_balance"), numbers.money(book.delinquent_balance)),
        ]
        cards += [
            _card(w("portfolio.kpi.ratio", measure=measure), numbers.percent(ratio))
            for measure, ratio in book.ratios.items()
        ]
        parts.append('<div class="cards">' + "".join(cards) + "</div>")
        parts.append(f'<p class="note">{w("portfolio.ratios_note")}</p>')

    # What the last load changed.
    parts.append(f"<h2>{w('report.since')}</h2>")
    change_cards = []
    for change in briefing.CHANGES:
        accounts, balance = figures.counted[change]
        change_cards.append(
            _card(
                w(f"today.card.{change}"),
                numbers.count(accounts),
                numbers.money(balance) if accounts else "",
            )
        )
    change_cards.append(
        _card(
            w("today.card.due", day=numbers.day(window.today)),
            numbers.count(figures.due.height),
            numbers.money(sum(figures.due["promised_amount"].to_list()))
            if figures.due.height
            else "",
        )
    )
    change_cards.append(_card(w("report.broken_card"), numbers.count(figures.broken.height)))
    change_cards.append(_card(w("today.card.breaches"), numbers.count(figures.breaches.height)))
    parts.append('<div class="cards">' + "".join(change_cards) + "</div>")
    if figures.changes.height:
        rows = [
            [
                _e(r["account_id"]),
                w.code("change", r["change"]),
                f"{w.code('bucket', r['from_bucket'])} → {w.code('bucket', r['to_bucket'])}",
                numbers.money(r["balance"]),
            ]
            for r in figures.changes.head(ROWS).iter_rows(named=True)
        ]
        parts.append(
            _table(
                [
                    (w("col.account_id"), False),
                    (w("col.change"), False),
                    (w("col.bucket"), False),
                    (w("col.balance"), True),
                ],
                rows,
            )  # fmt: skip
        )
        if figures.changes.height > ROWS:
            parts.append(
                f'<p class="note">{w("report.more", count=figures.changes.height - ROWS)}</p>'
            )

    # Roll-forwards: the worst-rolling buckets of the latest complete month.
    parts.append(f"<h2>{w('migration.worst')}</h2>")
    if figures.worst.is_empty():
        parts.append(f'<p class="note">{w("common.no_data")}</p>')
    else:
        latest = figures.worst["month"].max()
        parts.append(
            f'<p class="note">{w("migration.worst_note", month=numbers.month(latest, lang))}</p>'  # type: ignore[arg-type]
        )
        parts.append(
            _table(
                [
                    (w("col.bucket"), False),
                    (w("col.accounts"), True),
                    (w("col.rolled_forward"), True),
                    (w("migration.rate.roll_forward"), True),
                    ("", False),
                    (w("migration.rate.cure"), True),
                ],
                [
                    [
                        w.code("bucket", r["bucket"]),
                        numbers.count(r["accounts"]),
                        numbers.count(r["rolled_forward"]),
                        numbers.percent(r["roll_forward_rate"]),
                        _bar(r["roll_forward_rate"]),
                        numbers.percent(r["cure_rate"]),
                    ]
                    for r in figures.worst.iter_rows(named=True)
                ],
            )  # fmt: skip
        )

    # Promises due today and broken.
    parts.append(f"<h2>{w('today.promises')}</h2>")
    for title, frame in ((w("today.due", day=numbers.long_day(window.today, lang)), figures.due),
                         (w("today.broken"), figures.broken)):  # fmt: skip
        if frame.is_empty():
            continue
        parts.append(f"<p>{title}</p>")
        parts.append(
            _table(
                [
                    (w("col.promise_id"), False),
                    (w("col.account_id"), False),
                    (w("col.agent"), False),
                    (w("col.promised_date"), False),
                    (w("col.promised_amount"), True),
                ],
                [
                    [
                        _e(r["promise_id"]),
                        _e(r["account_id"]),
                        _e(r["agent_name"] or r["agent_id"]),
                        numbers.day(r["promised_date"]),
                        numbers.money(r["promised_amount"]),
                    ]
                    for r in frame.head(ROWS).iter_rows(named=True)
                ],
            )  # fmt: skip
        )
    if figures.due.is_empty() and figures.broken.is_empty():
        parts.append(f'<p class="note">{w("today.no_promises", day=numbers.day(window.today))}</p>')

    # New breaches.
    parts.append(f"<h2>{w('today.breaches')}</h2>")
    if figures.breaches.is_empty():
        parts.append(f'<p class="ok">{w("today.no_breaches")}</p>')
    else:
        parts.append(
            _table(
                [
                    (w("compliance.rule_set"), False),
                    (w("compliance.rule"), False),
                    (w("col.agent"), False),
                    (w("col.account_id"), False),
                    (w("compliance.local_time"), False),
                ],
                [
                    [
                        w.code("rule_set", r["rule_set"]),
                        w.code("rule", r["rule"]),
                        _e(r["agent_name"] or r["agent_id"]),
                        _e(r["account_id"]),
                        _e(r["local_time"].strftime("%Y-%m-%d %H:%M") if r["local_time"] else None)
                        + f" ({_e(r['timezone'])})",
                    ]
                    for r in figures.breaches.head(ROWS).iter_rows(named=True)
                ],
            )  # fmt: skip
        )
        if figures.breaches.height > ROWS:
            parts.append(
                f'<p class="note">{w("report.more", count=figures.breaches.height - ROWS)}</p>'
            )

    # Data quality.
    quality = figures.quality
    parts.append(f"<h2>{w('page.data_quality')}</h2>")
    status = w.code("run_status", quality.run_status) if quality.run_status else numbers.MISSING
    css = "bad" if quality.failed_errors or quality.files_refused else "ok"
    parts.append(
        f'<p class="{css}">'
        + w(
            "report.quality",
            status=status,
            errors=numbers.count(quality.failed_errors),
            warnings=numbers.count(quality.failed_warnings),
            refused=numbers.count(quality.files_refused),
            quarantined=numbers.count(quality.rows_quarantined),
        )
        + "</p>"
    )
    body = "\n".join(parts)
    title = w("report.title")
    return (
        f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}"><head>'
        '<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>{STYLE}</style></head><body>\n{body}\n</body></html>\n"
    )


def render_pdf(page: str) -> bytes:
    """The same page as a PDF (WeasyPrint; imported here, so the HTML needs nothing of it)."""
    from weasyprint import HTML

    pdf = HTML(string=page).write_pdf()
    assert pdf is not None
    return bytes(pdf)


@dataclass(frozen=True)
class Written:
    html: Path
    pdf: Path | None


def write(
    con: duckdb.DuckDBPyConnection,
    out: Path,
    *,
    lang: str = "en",
    pdf: bool = True,
    generated_at: datetime | None = None,
) -> Written:
    """Write `briefing_<as-of date>.<lang>.html` (and `.pdf`) into `out`."""
    figures = gather(con)
    page = render_html(figures, lang=lang, generated_at=generated_at)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"briefing_{figures.window.as_of or 'empty'}.{lang}"
    html_path = out / f"{stem}.html"
    html_path.write_text(page, encoding="utf-8")
    pdf_path = None
    if pdf:
        pdf_path = out / f"{stem}.pdf"
        pdf_path.write_bytes(render_pdf(page))
    return Written(html_path, pdf_path)
