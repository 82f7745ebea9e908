"""The synthetic bank: files as CONTRACT.md names and shapes them, valid identities, a consistent
delinquency history, the procedure's contacts (with a few rule breaches) and plausible rates."""

from __future__ import annotations

import math
import re
import warnings
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from warehouse.contract import EXTRACTS
from warehouse.demo import GenerateSummary, generate_bank
from warehouse.demo.holidays_cn import CHINA_CALENDAR, covered_years, is_working_day
from warehouse.demo.people import REGIONS, id_check_char, luhn_ok

HEADERS = {
    "holidays": "date,kind,name",
    "agents": "agent_id,agent_name,team,agency,role,active",
    "accounts": "account_id,customer_id,national_id,customer_name,card_no,mobile,email,city,"
    "province,product,branch,open_date,credit_limit,credit_score,employment_type,do_not_contact,"
    "third_party_authorized,timezone",
    "snapshots": "as_of_date,account_id,statement_day,due_date,balance,min_due,overdue_principal,"
    "overdue_interest,overdue_fees,days_past_due,cycles_delinquent,status",
    "payments": "payment_id,account_id,paid_at,amount,channel,is_reversal,reverses_payment_id",
    "contacts": "attempt_id,account_id,agent_id,channel,started_at,duration_s,contact_number,party,"
    "third_party_relation,outcome,notes",
    "promises": "promise_id,account_id,attempt_id,agent_id,created_at,promised_date,"
    "promised_amount",
    "plans": "plan_id,account_id,plan_type,requested_at,approved_by,approved_at,start_date,"
    "instalments,instalment_amount,fee,status",
}
DAILY = ("snapshots", "payments", "contacts", "promises")
MONTHLY = ("accounts", "plans")
START = date(2024, 11, 1)
BANK_HOLIDAYS = {d for d, (kind, _) in CHINA_CALENDAR.items() if kind == "holiday"}


# ---------------------------------------------------------------------------------- fixtures
def _read(folder: Path, extract: str) -> pl.DataFrame:
    """Every file of an extract, all columns as text, plus the file's business date."""
    frame = pl.read_csv(
        str(folder / f"{extract}_*.csv"),
        infer_schema=False,
        include_file_paths="_path",
    )
    return frame.with_columns(
        pl.col("_path").str.extract(r"_(\d{8})\.csv$").str.to_date("%Y%m%d").alias("_file_date")
    ).drop("_path")


class Bank:
    def __init__(self, folder: Path, summary: GenerateSummary) -> None:
        self.folder = folder
        self.summary = summary
        self._cache: dict[str, pl.DataFrame] = {}

    def __getitem__(self, extract: str) -> pl.DataFrame:
        if extract not in self._cache:
            self._cache[extract] = _read(self.folder, extract)
        return self._cache[extract]

    @property
    def snapshots(self) -> pl.DataFrame:
        return self["snapshots"].with_columns(
            pl.col("as_of_date").str.to_date(),
            pl.col("days_past_due").cast(pl.Int64),
            pl.col("cycles_delinquent").cast(pl.Int64),
            pl.col("balance").cast(pl.Float64),
            *(
                pl.col(c).cast(pl.Float64)
                for c in ("min_due", "overdue_principal", "overdue_interest", "overdue_fees")
            ),
        )

    @property
    def payments(self) -> pl.DataFrame:
        return self["payments"].with_columns(
            pl.col("amount").cast(pl.Float64),
            pl.col("paid_at").str.slice(0, 10).str.to_date().alias("paid_date"),
        )

    @property
    def contacts(self) -> pl.DataFrame:
        ts = pl.col("started_at").str.slice(0, 19).str.replace("T", " ")
        return (
            self["contacts"]
            .with_columns(
                ts.str.to_datetime("%Y-%m-%d %H:%M:%S").alias("at"),
            )
            .with_columns(
                pl.col("at").dt.date().alias("day"),
                pl.col("at").dt.hour().alias("hour"),
                pl.col("at").dt.minute().alias("minute"),
            )
        )

    def accounts_as_of(self) -> pl.DataFrame:
        """Account attributes with the first day each file's values apply (the day after a
        month-end file; the opening file applies from the start)."""
        accounts = self["accounts"]
        first = accounts["_file_date"].min()
        return accounts.with_columns(
            pl.when(pl.col("_file_date") == first)
            .then(pl.col("_file_date"))
            .otherwise(pl.col("_file_date") + timedelta(days=1))
            .alias("effective")
        ).sort("effective")


def _generate(tmp_path_factory: pytest.TempPathFactory, name: str, **kwargs) -> Bank:
    folder = tmp_path_factory.mktemp(name)
    summary = generate_bank(folder, **kwargs)
    return Bank(folder, summary)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Bank:
    """2,000 accounts over 6 months: the bank most checks look at."""
    return _generate(tmp_path_factory, "small", accounts=2000, months=6, seed=11)


@pytest.fixture(scope="module")
def medium(tmp_path_factory: pytest.TempPathFactory) -> Bank:
    """5,000 accounts over 12 months: enough history for rates."""
    return _generate(tmp_path_factory, "medium", accounts=5000, months=12, seed=7)


# ---------------------------------------------------------------------------------- calendar
def test_calendar_knows_make_up_days_and_holidays() -> None:
    assert {2023, 2024, 2025, 2026} <= set(covered_years())
    # 2024 Spring Festival: Sundays 4 and 18 February worked, 10-17 February off.
    for d in (date(2024, 2, 4), date(2024, 2, 18)):
        assert CHINA_CALENDAR[d][0] == "makeup_workday"
        assert is_working_day(d)
    for day in range(10, 18):
        assert not is_working_day(date(2024, 2, day))
    # 2025 National Day and Mid-Autumn: 1-8 October off, Sunday 28 Sept and Saturday 11 Oct worked.
    for day in range(1, 9):
        assert CHINA_CALENDAR[date(2025, 10, day)][0] == "holiday"
    assert CHINA_CALENDAR[date(2025, 9, 28)][0] == "makeup_workday"
    assert CHINA_CALENDAR[date(2025, 10, 11)][0] == "makeup_workday"
    assert is_working_day(date(2025, 10, 9))
    # 2025 Spring Festival 28 Jan - 4 Feb, worked 26 Jan and 8 Feb; Labour Day 1-5 May, worked
    # 27 Apr.
    assert CHINA_CALENDAR[date(2025, 1, 28)][0] == "holiday"
    assert CHINA_CALENDAR[date(2025, 2, 4)][0] == "holiday"
    assert is_working_day(date(2025, 1, 26)) and is_working_day(date(2025, 2, 8))
    assert is_working_day(date(2025, 4, 27))
    # 2026 (State Council notice of 4 November 2025).
    holidays_2026 = [
        *(date(2026, 1, d) for d in (1, 2, 3)),
        *(date(2026, 2, d) for d in range(15, 24)),
        *(date(2026, 4, d) for d in (4, 5, 6)),
        *(date(2026, 5, d) for d in range(1, 6)),
        *(date(2026, 6, d) for d in (19, 20, 21)),
        *(date(2026, 9, d) for d in (25, 26, 27)),
        *(date(2026, 10, d) for d in range(1, 8)),
    ]
    for d in holidays_2026:
        assert CHINA_CALENDAR[d][0] == "holiday", d
    makeups_2026 = [
        date(2026, 1, 4),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 5, 9),
        date(2026, 9, 20),
        date(2026, 10, 10),
    ]
    for d in makeups_2026:
        assert CHINA_CALENDAR[d][0] == "makeup_workday", d
        assert is_working_day(d)
    assert sum(1 for d in CHINA_CALENDAR if d.year == 2026) == len(holidays_2026) + len(
        makeups_2026
    )
    assert is_working_day(date(2026, 9, 28))  # Mid-Autumn 2026 is 25-27 September only
    # Ordinary days.
    assert not is_working_day(date(2025, 3, 1))  # a Saturday
    assert is_working_day(date(2025, 3, 3))  # a Monday
    assert CHINA_CALENDAR[date(2022, 12, 31)] == ("holiday", "New Year's Day")


def test_uncovered_years_fall_back_to_weekends_with_a_warning(tmp_path: Path) -> None:
    with pytest.warns(UserWarning, match="2030"):
        summary = generate_bank(tmp_path, accounts=200, months=1, start=date(2030, 3, 1))
    assert summary.first_date == date(2030, 3, 1)
    assert summary.last_date == date(2030, 3, 31)
    holidays = pl.read_csv(tmp_path / "holidays_20300301.csv")
    assert holidays.height == len(CHINA_CALENDAR)


# ---------------------------------------------------------------------------------- files
def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    runs = {}
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        folder = tmp_path / name
        generate_bank(folder, accounts=300, months=2, seed=seed)
        runs[name] = {p.name: p.read_bytes() for p in sorted(folder.iterdir())}
    assert runs["a"] == runs["b"]
    assert {k for k in runs["a"] if not k.startswith("agents")} == {
        k for k in runs["c"] if not k.startswith("agents")
    }
    assert runs["a"]["accounts_20241101.csv"] != runs["c"]["accounts_20241101.csv"]
    assert runs["a"]["contacts_20241230.csv"] != runs["c"]["contacts_20241230.csv"]


def test_every_file_is_named_and_headed_as_the_contract_says(small: Bank) -> None:
    names = sorted(p.name for p in small.folder.iterdir())
    assert len(names) == small.summary.files
    pattern = re.compile(r"^(" + "|".join(HEADERS) + r")_(\d{8})\.csv$")
    by_extract: dict[str, list[date]] = {e: [] for e in HEADERS}
    for name in names:
        match = pattern.match(name)
        assert match, name
        raw = (small.folder / name).read_bytes()
        assert b"\r" not in raw, name
        header = raw.split(b"\n", 1)[0].decode("utf-8")
        assert header == HEADERS[match.group(1)], name
        by_extract[match.group(1)].append(
            date.fromisoformat(f"{match.group(2)[:4]}-{match.group(2)[4:6]}-{match.group(2)[6:]}")
        )
    first, last = small.summary.first_date, small.summary.last_date
    assert (first, last) == (date(2024, 11, 1), date(2025, 4, 30))
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    month_ends = [d for d in days if (d + timedelta(days=1)).day == 1]
    for extract in DAILY:
        assert by_extract[extract] == days, extract
    assert by_extract["accounts"] == [first, *month_ends]
    assert by_extract["plans"] == month_ends
    assert by_extract["holidays"] == [first]
    assert by_extract["agents"][0] == first
    assert set(by_extract["agents"][1:]) <= set(month_ends)
    # Row counts in the summary match the files.
    for extract in HEADERS:
        assert small.summary.rows_by_extract[extract] == small[extract].height, extract


def test_columns_and_codes_are_the_contracts(small: Bank) -> None:
    """The generator writes the contract's columns, in its order, and only its codes."""
    for name, extract in EXTRACTS.items():
        frame = small[name]
        assert tuple(frame.columns[:-1]) == tuple(c.name for c in extract.columns), name
        for column in extract.columns:
            if column.codes:
                found = set(frame[column.name].drop_nulls().unique())
                assert found <= set(column.codes), (name, column.name, found - set(column.codes))


def test_values_are_formatted_per_contract(small: Bank) -> None:
    snap = small["snapshots"]
    money = r"^-?\d+\.\d{2}$"
    for column in ("balance", "min_due", "overdue_principal", "overdue_interest", "overdue_fees"):
        assert snap[column].str.contains(money).all(), column
    assert snap["as_of_date"].str.contains(r"^\d{4}-\d{2}-\d{2}$").all()
    pay = small["payments"]
    assert pay["paid_at"].str.contains(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$").all()
    assert set(pay["is_reversal"].unique()) <= {"true", "false"}
    started = small["contacts"]["started_at"]
    plain = started.str.contains(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
    iso = started.str.contains(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$")
    assert (plain | iso).all()
    assert 0.01 < iso.mean() < 0.03  # a few dialer rows carry an explicit offset
    accounts = small["accounts"]
    assert set(accounts["do_not_contact"].unique()) <= {"true", "false"}
    assert accounts["credit_limit"].str.contains(money).all()


def test_other_formats_hold_the_same_rows(tmp_path: Path) -> None:
    counts = {}
    for fmt in ("csv", "csv.gz", "parquet"):
        folder = tmp_path / fmt.replace(".", "_")
        summary = generate_bank(folder, accounts=200, months=1, seed=5, file_format=fmt)
        counts[fmt] = summary.rows_by_extract
        files = sorted(folder.iterdir())
        assert all(p.name.endswith("." + fmt) for p in files)
    assert counts["csv"] == counts["csv.gz"] == counts["parquet"]
    for fmt in ("csv.gz", "parquet"):  # compressed output is deterministic too
        again = tmp_path / ("again_" + fmt.replace(".", "_"))
        generate_bank(again, accounts=200, months=1, seed=5, file_format=fmt)
        first = tmp_path / fmt.replace(".", "_")
        for path in sorted(first.iterdir()):
            assert path.read_bytes() == (again / path.name).read_bytes(), path.name
    gz = pl.read_csv(tmp_path / "csv_gz" / "snapshots_20241130.csv.gz", infer_schema=False)
    plain = pl.read_csv(tmp_path / "csv" / "snapshots_20241130.csv", infer_schema=False)
    assert gz.equals(plain)
    parquet = pl.read_parquet(tmp_path / "parquet" / "snapshots_20241130.parquet")
    assert parquet.schema["balance"] == pl.Decimal(18, 2)
    assert parquet.schema["as_of_date"] == pl.Date
    assert parquet.columns == plain.columns
    assert parquet["balance"].cast(pl.Utf8).to_list() == plain["balance"].to_list()


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _business_date(name: str) -> date:
    """The business date in an extract file's name (`<extract>_<YYYYMMDD>.<ext>`)."""
    stamp = name.split(".", 1)[0].rsplit("_", 1)[1]
    return date(int(stamp[:4]), int(stamp[4:6]), int(stamp[6:]))


def test_the_first_months_do_not_depend_on_the_horizon(tmp_path: Path) -> None:
    """Nothing is drawn ahead of its day: two months are the first two months of three."""
    generate_bank(tmp_path / "two", accounts=300, months=2, seed=5)
    generate_bank(tmp_path / "three", accounts=300, months=3, seed=5)
    three = _files(tmp_path / "three")
    assert _files(tmp_path / "two") == {
        name: data for name, data in three.items() if _business_date(name) <= date(2024, 12, 31)
    }


def test_following_days_land_one_inbox_per_day(tmp_path: Path) -> None:
    """Two months, then 40 days (past the January month end) each in DIR/<YYYYMMDD>/: the
    months' inbox is what two months alone write, and inbox plus days are one longer run."""
    alone = generate_bank(tmp_path / "alone", accounts=300, months=2, seed=5)
    summary = generate_bank(
        tmp_path / "inbox",
        accounts=300,
        months=2,
        seed=5,
        then_days=40,
        days_out=tmp_path / "days",
    )
    inbox = _files(tmp_path / "inbox")
    assert inbox == _files(tmp_path / "alone")
    assert (summary.files, summary.rows_by_extract) == (alone.files, alone.rows_by_extract)
    assert summary.last_date == date(2024, 12, 31)

    days = [date(2025, 1, 1) + timedelta(days=i) for i in range(40)]
    assert [d.business_date for d in summary.following_days] == days
    assert sorted(p.name for p in (tmp_path / "days").iterdir()) == [f"{d:%Y%m%d}" for d in days]
    combined = dict(inbox)
    for day in summary.following_days:
        assert day.out_dir == tmp_path / "days" / f"{day.business_date:%Y%m%d}"
        files = _files(day.out_dir)
        assert {_business_date(name) for name in files} == {day.business_date}
        month_end = day.business_date == date(2025, 1, 31)
        extracts = {name.split("_2")[0] for name in files}
        assert set(DAILY) <= extracts
        assert (set(MONTHLY) <= extracts) == month_end, day.business_date
        assert day.files == len(files)
        for extract in HEADERS:
            rows = _read(day.out_dir, extract).height if extract in extracts else 0
            assert day.rows_by_extract[extract] == rows, (day.business_date, extract)
        assert not set(files) & set(combined)
        combined.update(files)

    # The month end inside the following days sends the full snapshot: every account known by
    # then, less those that ended in an earlier month.
    accounts = pl.concat(
        [_read(tmp_path / "inbox", "accounts"), _read(tmp_path / "days" / "20250131", "accounts")]
    )
    snapshots = _read(tmp_path / "inbox", "snapshots")
    ended_before = snapshots.filter(pl.col("status").is_in(["closed", "charged_off"]))
    month_end = _read(tmp_path / "days" / "20250131", "snapshots")
    assert set(month_end["account_id"]) == set(accounts["account_id"]) - set(
        ended_before["account_id"]
    )

    # One longer run writes the same files up to the last following day.
    generate_bank(tmp_path / "longer", accounts=300, months=4, seed=5)
    longer = _files(tmp_path / "longer")
    assert combined == {k: v for k, v in longer.items() if _business_date(k) <= days[-1]}


def test_following_days_need_a_folder(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="days_out"):
        generate_bank(tmp_path, accounts=100, months=1, then_days=3)
    with pytest.raises(ValueError, match="then_days"):
        generate_bank(tmp_path, accounts=100, months=1, then_days=-1, days_out=tmp_path)


def test_the_command_line_continues_day_by_day(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from warehouse.cli import app

    args = ["generate", "--out", str(tmp_path / "inbox"), "--accounts", "50", "--months", "1"]
    done = CliRunner().invoke(
        app,
        [*args, "--then-days", "2", "--days-out", str(tmp_path / "days")],
        env={"COLUMNS": "200"},
    )
    assert done.exit_code == 0, done.output
    assert sorted(p.name for p in (tmp_path / "days").iterdir()) == ["20241201", "20241202"]
    assert "2024-12-02" in done.output and "snapshots" in done.output
    refused = CliRunner().invoke(app, [*args, "--then-days", "2"])
    assert refused.exit_code == 2


def test_progress_reports_each_month(tmp_path: Path) -> None:
    calls: list[tuple[str, int, int]] = []
    generate_bank(
        tmp_path, accounts=100, months=3, progress=lambda s, d, n: calls.append((s, d, n))
    )
    assert calls[0][1:] == (0, 3)
    assert [c[1:] for c in calls[1:]] == [(1, 3), (2, 3), (3, 3)]
    assert [c[0] for c in calls[1:]] == ["2024-11", "2024-12", "2025-01"]


# ---------------------------------------------------------------------------------- accounts
def test_identities_are_valid(small: Bank) -> None:
    accounts = small["accounts"].unique("account_id", keep="last")
    regions = {str(r[0]) for r in REGIONS}
    for nid in accounts["national_id"].to_list():
        assert re.fullmatch(r"\d{17}[\dX]", nid), nid
        assert id_check_char(nid[:17]) == nid[17], nid
        assert nid[:6] in regions
        date(int(nid[6:10]), int(nid[10:12]), int(nid[12:14]))  # a real date
    for card in accounts["card_no"].to_list():
        assert re.fullmatch(r"62\d{14}", card), card
        assert luhn_ok(card), card
    assert accounts["mobile"].str.contains(r"^1[3-9]\d{9}$").all()
    for column in ("account_id", "national_id", "card_no", "mobile", "customer_id"):
        assert accounts[column].n_unique() == accounts.height, column
    names = accounts["customer_name"]
    assert names.str.contains(r"^[\u4e00-\u9fff]{2,3}$").all()
    # Ages 20-65 for the opening book, at the start date.
    opening = small["accounts"].filter(pl.col("_file_date") == START)
    births = opening["national_id"].str.slice(6, 8).str.to_date("%Y%m%d")
    ages = (pl.lit(START) - births).dt.total_days() / 365.25
    ages = opening.select(((pl.lit(START) - births).dt.total_days() / 365.25).alias("a"))["a"]
    assert ages.min() >= 20 and ages.max() <= 66
    # Nobody opened an account before turning 20.
    at_open = opening.select(
        ((pl.col("open_date").str.to_date() - births).dt.total_days() / 365.25).alias("a")
    )["a"]
    assert at_open.min() >= 19.9
    del ages


def test_accounts_look_like_a_card_book(small: Bank) -> None:
    opening = small["accounts"].filter(pl.col("_file_date") == START)
    assert opening.height == 2000
    assert 0.001 <= (opening["do_not_contact"] == "true").mean() <= 0.015
    assert 0.25 <= (opening["third_party_authorized"] == "true").mean() <= 0.35
    zones = opening["timezone"].drop_nulls()
    assert set(zones.unique()) <= {"America/Los_Angeles", "Europe/London"}
    assert 0.002 <= zones.len() / opening.height <= 0.025
    assert set(opening["employment_type"].unique()) == {
        "salaried",
        "self_employed",
        "unemployed",
        "retired",
        "student",
        "other",
    }
    assert set(opening["product"].unique()) == {"Classic", "Gold", "Platinum", "Youth"}
    assert opening["branch"].n_unique() == 8
    scores = opening["credit_score"].cast(pl.Int64)
    assert scores.min() >= 300 and scores.max() <= 850
    open_dates = opening["open_date"].str.to_date()
    assert open_dates.max() < START
    assert open_dates.min() <= date(2019, 11, 1)  # vintages over several years
    # Every month end brings the accounts opened that month plus changed ones.
    later = (
        small["accounts"]
        .filter(pl.col("_file_date") > START)
        .with_columns(pl.col("open_date").str.to_date())
    )
    for file_date, rows in later.group_by("_file_date"):
        month_first = file_date[0].replace(day=1)
        opened = rows.filter(pl.col("open_date") >= month_first)
        assert opened.height >= 5, file_date
        assert opened["open_date"].max() <= file_date[0]
    # A few customers ask not to be contacted later on.
    flipped = later.filter(pl.col("do_not_contact") == "true")["account_id"]
    assert flipped.is_in(
        opening.filter(pl.col("do_not_contact") == "false")["account_id"].implode()
    ).any()


def test_agents_teams_and_agencies(small: Bank) -> None:
    agents = small["agents"]
    first = agents.filter(pl.col("_file_date") == START)
    assert first.height >= 12
    assert set(first["team"].unique()) == {
        "M1 Early A",
        "M1 Early B",
        "M2-M3 Mid",
        "M4+ Late",
        "Supervisors",
    }
    vendors = set(first["agency"].unique()) - {"in_house"}
    assert 2 <= len(vendors) <= 3
    assert set(first.filter(pl.col("agency") != "in_house")["team"].unique()) == {"M4+ Late"}
    assert set(first.filter(pl.col("team") == "Supervisors")["role"].unique()) == {"supervisor"}
    assert (first["active"] == "true").all()
    later = agents.filter(pl.col("_file_date") > START)
    assert (later["active"] == "false").any()  # someone left; the change was sent


def test_holidays_file_lists_the_calendar(small: Bank) -> None:
    holidays = small["holidays"]
    assert holidays.height == len(CHINA_CALENDAR)
    assert set(holidays["kind"].unique()) == {"holiday", "makeup_workday"}
    row = holidays.filter(pl.col("date") == "2024-02-04").row(0, named=True)
    assert row["kind"] == "makeup_workday"


def test_every_reference_is_already_known(small: Bank) -> None:
    """Accounts and agents are sent before (or with) the first row that names them, and an agent
    who left makes no more contacts."""
    accounts = (
        small["accounts"].group_by("account_id").agg(pl.col("_file_date").min().alias("known"))
    )
    for extract in DAILY:
        rows = small[extract].join(accounts, on="account_id", how="left")
        assert rows["known"].is_not_null().all(), extract
        assert (rows["known"] <= rows["_file_date"]).all(), extract
    agents = small["agents"]
    hired = agents.group_by("agent_id").agg(pl.col("_file_date").min().alias("hired"))
    left = (
        agents.filter(pl.col("active") == "false")
        .group_by("agent_id")
        .agg(pl.col("_file_date").min().alias("left"))
    )
    for extract, column in (("contacts", "agent_id"), ("promises", "agent_id")):
        rows = (
            small[extract]
            .drop_nulls(column)
            .join(hired, left_on=column, right_on="agent_id", how="left")
            .join(left, left_on=column, right_on="agent_id", how="left")
        )
        assert rows["hired"].is_not_null().all(), extract
        assert (rows["hired"] <= rows["_file_date"]).all(), extract
        assert ((rows["left"] >= rows["_file_date"]) | rows["left"].is_null()).all(), extract


# ---------------------------------------------------------------------------------- snapshots
def test_days_past_due_advance_one_day_at_a_time(small: Bank) -> None:
    snap = small.snapshots.select("as_of_date", "account_id", "days_past_due", "status")
    pay = (
        small.payments.filter(pl.col("is_reversal") == "false")
        .select(pl.col("paid_date").alias("as_of_date"), "account_id")
        .unique()
    )
    pay = pay.with_columns(pl.lit(True).alias("paid"))
    delinquent = snap.filter(pl.col("days_past_due") > 0)
    prev = snap.with_columns((pl.col("as_of_date") + timedelta(days=1)).alias("as_of_date"))
    prev = prev.rename({"days_past_due": "prev_dpd", "status": "prev_status"})
    joined = (
        delinquent.join(prev, on=["as_of_date", "account_id"], how="left")
        .join(pay, on=["as_of_date", "account_id"], how="left")
        .filter(pl.col("as_of_date") > START)
    )
    # Yesterday delinquent (every daily file lists every delinquent account) or current at a
    # month end: today's value is yesterday's + 1, or lower on a day money arrived.
    known = joined.filter(pl.col("prev_dpd").is_not_null(), pl.col("prev_status") != "charged_off")
    grew = known["days_past_due"] == known["prev_dpd"] + 1
    fell = (known["days_past_due"] < known["prev_dpd"]) & known["paid"].fill_null(False)
    assert (grew | fell).all(), known.filter(~(grew | fell)).head()
    # Not in yesterday's file means current yesterday: a new episode starts at 1.
    # (A month-end file still lists an account charged off earlier that month.)
    new = joined.filter(pl.col("prev_dpd").is_null(), pl.col("status") != "charged_off")
    assert (new["days_past_due"] == 1).all(), new.filter(pl.col("days_past_due") != 1).head()
    # Delinquent yesterday and absent today: cured by a payment today.
    gone = prev.filter(
        pl.col("prev_dpd") > 0,
        pl.col("prev_status").is_in(["open", "frozen"]),
        pl.col("as_of_date") <= small.summary.last_date,
    )
    gone = gone.join(snap, on=["as_of_date", "account_id"], how="anti").join(
        pay, on=["as_of_date", "account_id"], how="left"
    )
    assert gone.height > 50
    assert gone["paid"].fill_null(False).all()
    # The opening day starts no wave of new delinquencies.
    starts = snap.filter(pl.col("days_past_due") == 1).group_by("as_of_date").len()
    first_day = starts.filter(pl.col("as_of_date") == START)["len"].sum()
    assert first_day <= 3 * starts["len"].median() + 3
    # Month-end rows of current accounts with dpd 0 are the only dpd-0 rows.
    assert (
        snap.filter(pl.col("days_past_due") == 0)["as_of_date"]
        .dt.month_end()
        .eq(snap.filter(pl.col("days_past_due") == 0)["as_of_date"])
        .all()
    )


def test_snapshot_amounts_hold_together(small: Bank) -> None:
    snap = small.snapshots
    overdue = snap["overdue_principal"] + snap["overdue_interest"] + snap["overdue_fees"]
    positive = snap["balance"] > 0
    assert ((overdue <= snap["balance"] + 0.001) | ~positive).all()
    assert (snap["cycles_delinquent"] == (snap["days_past_due"] + 29) // 30).all()
    assert ((snap["days_past_due"] > 0) == (overdue > 0)).all()
    assert (snap["balance"] < 0).sum() >= 3  # a few overpayments
    assert snap["days_past_due"].max() == 180
    assert set(snap["status"].unique()) == {"open", "frozen", "closed", "charged_off"}
    statement_day = snap["statement_day"].cast(pl.Int64)
    assert statement_day.min() >= 1 and statement_day.max() <= 28
    assert (snap["min_due"] >= 0).all()


def test_month_end_files_hold_every_open_account(small: Bank) -> None:
    snap = small.snapshots
    accounts = small["accounts"]
    month_ends = sorted(d for d in snap["as_of_date"].unique() if (d + timedelta(days=1)).day == 1)
    gone: set[str] = set()
    for month_end in month_ends:
        known = set(accounts.filter(pl.col("_file_date") <= month_end)["account_id"])
        rows = snap.filter(pl.col("as_of_date") == month_end)
        assert rows["account_id"].n_unique() == rows.height
        assert set(rows["account_id"]) == known - gone, month_end
        ended = rows.filter(pl.col("status").is_in(["closed", "charged_off"]))
        assert ended.height > 0
        gone |= set(ended["account_id"])


def test_charged_off_and_closed_accounts_disappear(small: Bank) -> None:
    snap = small.snapshots
    ended = snap.filter(pl.col("status").is_in(["charged_off", "closed"]))
    assert ended.filter(pl.col("status") == "charged_off").height > 5
    # One day with the final status in the daily file (charge-off) and the month-end file.
    last = ended.group_by("account_id").agg(
        pl.col("as_of_date").max().alias("end"), pl.col("as_of_date").min().alias("first_end")
    )
    later = snap.join(last, on="account_id").filter(pl.col("as_of_date") > pl.col("end"))
    assert later.height == 0
    same_month = last.filter(
        pl.col("end").dt.month_end() == pl.col("end"),
        pl.col("first_end").dt.month() == pl.col("end").dt.month(),
    )
    assert same_month.height == last.height
    charged = snap.filter(pl.col("status") == "charged_off")
    assert (charged["days_past_due"] == 180).all()
    closed = snap.filter(pl.col("status") == "closed")
    assert (closed["balance"] == 0).all() and (closed["days_past_due"] == 0).all()


# ---------------------------------------------------------------------------------- money
def test_payments_and_reversals(small: Bank) -> None:
    pay = small.payments
    assert pay["payment_id"].n_unique() == pay.height
    assert (pay["amount"] > 0).all()
    assert set(pay["channel"].unique()) == {
        "app",
        "bank_transfer",
        "branch",
        "autopay",
        "agency",
        "other",
    }
    reversals = pay.filter(pl.col("is_reversal") == "true")
    assert 0.002 < reversals.height / pay.height < 0.012
    originals = pay.filter(pl.col("is_reversal") == "false").select(
        pl.col("payment_id").alias("reverses_payment_id"),
        pl.col("account_id").alias("orig_account"),
        pl.col("amount").alias("orig_amount"),
        pl.col("paid_at").alias("orig_at"),
    )
    matched = reversals.join(originals, on="reverses_payment_id", how="left")
    assert matched["orig_account"].is_not_null().all()
    assert (matched["orig_account"] == matched["account_id"]).all()
    assert (matched["orig_amount"] == matched["amount"]).all()
    assert (matched["orig_at"] < matched["paid_at"]).all()
    assert pay.filter(pl.col("is_reversal") == "false")["reverses_payment_id"].is_null().all()


def test_promises_come_from_calls_and_payments_agree(medium: Bank) -> None:
    promises = medium["promises"].with_columns(
        pl.col("promised_date").str.to_date(),
        pl.col("promised_amount").cast(pl.Float64),
        pl.col("created_at").str.slice(0, 10).str.to_date().alias("created"),
    )
    attempts = medium["contacts"].select(
        "attempt_id",
        pl.col("account_id").alias("a_account"),
        pl.col("agent_id").alias("a_agent"),
        "outcome",
    )
    joined = promises.join(attempts, on="attempt_id", how="left")
    assert (joined["outcome"] == "promise_to_pay").all()
    assert (joined["a_account"] == joined["account_id"]).all()
    assert (joined["a_agent"] == joined["agent_id"]).all()
    assert promises["promise_id"].n_unique() == promises.height
    days = (promises["promised_date"] - promises["created"]).dt.total_days()
    assert days.min() >= 1 and days.max() <= 10
    assert (promises["promised_amount"] > 0).all()
    # Kept / partly kept / broken, as the warehouse will judge them (grace 3 days, reversals void).
    pay = medium.payments
    reversed_ids = pay.filter(pl.col("is_reversal") == "true")["reverses_payment_id"]
    good = pay.filter(
        pl.col("is_reversal") == "false", ~pl.col("payment_id").is_in(reversed_ids.implode())
    )
    window = promises.join(
        good.select("account_id", "paid_date", "amount"), on="account_id"
    ).filter(
        pl.col("paid_date") >= pl.col("created"),
        pl.col("paid_date") <= pl.col("promised_date") + timedelta(days=3),
    )
    paid = window.group_by("promise_id").agg(pl.col("amount").sum().alias("paid"))
    outcome = promises.join(paid, on="promise_id", how="left").with_columns(
        pl.col("paid").fill_null(0.0)
    )
    kept = (outcome["paid"] >= outcome["promised_amount"] - 0.001).mean()
    broken = (outcome["paid"] == 0).mean()
    partial = 1 - kept - broken
    assert 0.50 <= kept <= 0.72, kept
    assert 0.04 <= partial <= 0.18, partial
    assert 0.20 <= broken <= 0.40, broken
    # Occasionally a second promise while the first is still running.
    spans = (
        promises.sort("created")
        .group_by("account_id")
        .agg(pl.col("created"), pl.col("promised_date"))
    )
    overlapping = 0
    for created, promised in zip(
        spans["created"].to_list(), spans["promised_date"].to_list(), strict=True
    ):
        overlapping += sum(1 for i in range(1, len(created)) if created[i] <= promised[i - 1])
    assert overlapping >= 1


def test_plans_move_through_their_states(medium: Bank) -> None:
    plans = medium["plans"]
    assert set(plans["plan_type"].unique()) == {"extension", "instalment", "min_payment_reduction"}
    assert set(plans["status"].unique()) == {
        "proposed",
        "active",
        "completed",
        "broken",
        "cancelled",
    }
    # The latest state wins; a plan is re-sent when it changes.
    assert plans["plan_id"].n_unique() < plans.height
    approved = plans.filter(pl.col("approved_by").is_not_null())
    agents = medium["agents"].filter(pl.col("team") == "Supervisors")["agent_id"]
    assert approved["approved_by"].is_in(agents.implode()).all()
    assert approved["instalments"].cast(pl.Int64).min() >= 1
    proposed = plans.filter(pl.col("status") == "proposed")
    assert proposed["approved_by"].is_null().all()
    # Plans are for M2-M3 accounts: the account was 31-90 days past due when it asked.
    snap = medium.snapshots.select("as_of_date", "account_id", "days_past_due")
    first = (
        plans.sort("_file_date")
        .unique("plan_id", keep="first")
        .with_columns(pl.col("requested_at").str.slice(0, 10).str.to_date().alias("as_of_date"))
    )
    at_request = first.join(snap, on=["as_of_date", "account_id"], how="left")
    assert at_request["days_past_due"].is_between(31, 90).all()


# ---------------------------------------------------------------------------------- contacts
def test_contacts_follow_the_procedure(small: Bank) -> None:
    contacts = small.contacts
    assert contacts["attempt_id"].n_unique() == contacts.height
    assert set(contacts["channel"].unique()) == {"call", "sms", "letter", "visit", "ivr"}
    assert set(contacts["outcome"].unique()) >= {
        "no_answer",
        "busy",
        "voicemail",
        "right_party",
        "third_party",
        "promise_to_pay",
        "refused",
        "dispute",
        "callback",
        "sms_delivered",
        "sms_failed",
        "letter_sent",
        "visit_done",
        "wrong_number",
    }
    # Outcomes and parties agree.
    unanswered = contacts.filter(pl.col("outcome").is_in(["no_answer", "busy"]))
    assert (unanswered["party"] == "none").all()
    assert (unanswered["duration_s"].cast(pl.Int64) == 0).all()
    third = contacts.filter(pl.col("party") == "third_party")
    assert third["third_party_relation"].is_not_null().all()
    assert contacts.filter(pl.col("party") != "third_party")["third_party_relation"].is_null().all()
    spoke = contacts.filter(pl.col("outcome").is_in(["promise_to_pay", "dispute"]))
    assert (spoke["party"] == "debtor").all()
    assert (spoke["duration_s"].cast(pl.Int64) > 0).all()
    # An SMS on the first day overdue.
    snap = small.snapshots.filter(pl.col("days_past_due") == 1).select(
        pl.col("as_of_date").alias("day"), "account_id"
    )
    sms = contacts.filter(pl.col("channel") == "sms").select("day", "account_id", "outcome")
    first_day = snap.join(sms, on=["day", "account_id"], how="left")
    assert first_day["outcome"].is_not_null().mean() > 0.97  # all but do-not-contact accounts
    # Calls mostly within the procedure's windows on working days.
    calls = contacts.filter(pl.col("channel") == "call")
    in_window = calls["hour"].is_between(9, 11) | calls["hour"].is_between(14, 17)
    assert in_window.mean() > 0.9
    # The debtor is called on the mobile the bank holds; third parties on another number.
    accounts = small.accounts_as_of().select("account_id", "effective", "mobile")
    debtor_calls = calls.filter(pl.col("party") == "debtor").sort("day")
    numbers = debtor_calls.join_asof(
        accounts,
        left_on="day",
        right_on="effective",
        by="account_id",
        strategy="backward",
        check_sortedness=False,
    )
    assert (numbers["contact_number"] == numbers["mobile"]).all()
    third_calls = calls.filter(pl.col("party") == "third_party").sort("day")
    numbers = third_calls.join_asof(
        accounts,
        left_on="day",
        right_on="effective",
        by="account_id",
        strategy="backward",
        check_sortedness=False,
    )
    assert (numbers["contact_number"] != numbers["mobile"]).all()


def test_buckets_are_worked_by_the_right_teams(small: Bank) -> None:
    agents = small["agents"].unique("agent_id", keep="last").select("agent_id", "team", "agency")
    snap = small.snapshots.select(pl.col("as_of_date").alias("day"), "account_id", "days_past_due")
    # End-of-day days past due is the calling-time value unless money arrived that day.
    paid = small.payments.select(pl.col("paid_date").alias("day"), "account_id").unique()
    calls = (
        small.contacts.filter(pl.col("channel") == "call")
        .join(snap, on=["day", "account_id"])
        .join(paid, on=["day", "account_id"], how="anti")
        .join(agents, on="agent_id")
    )
    early = calls.filter(pl.col("days_past_due") <= 30)
    assert set(early["team"].unique()) <= {"M1 Early A", "M1 Early B"}
    mid = calls.filter(pl.col("days_past_due").is_between(31, 90))
    assert set(mid["team"].unique()) == {"M2-M3 Mid"}
    late = calls.filter(pl.col("days_past_due") > 90)
    assert set(late["team"].unique()) == {"M4+ Late"}
    assert (late["agency"] != "in_house").mean() > 0.6
    # More pressure the later the bucket: calls per delinquent account-day.
    per_day = snap.filter(pl.col("days_past_due") > 0).with_columns(
        pl.when(pl.col("days_past_due") <= 30)
        .then(pl.lit("M1"))
        .otherwise(pl.lit("M2+"))
        .alias("b")
    )
    sessions = calls.select("day", "account_id").unique().join(per_day, on=["day", "account_id"])
    rate = sessions.group_by("b").len().join(per_day.group_by("b").len(), on="b")
    rates = dict(zip(rate["b"], rate["len"] / rate["len_right"], strict=True))
    assert rates["M2+"] > rates["M1"]
    late_channels = small.contacts.join(snap, on=["day", "account_id"]).filter(
        pl.col("days_past_due") > 90
    )["channel"]
    assert {"letter", "visit"} <= set(late_channels.unique())


def test_connect_rates_vary_by_hour(medium: Bank) -> None:
    calls = medium.contacts.filter(pl.col("channel") == "call")
    answered = ~pl.col("outcome").is_in(["no_answer", "busy", "voicemail"])
    by_hour = calls.group_by("hour").agg(answered.mean().alias("rate"), pl.len().alias("n"))
    rate = dict(zip(by_hour["hour"], by_hour["rate"], strict=True))
    assert rate[10] > rate[12] and rate[10] > rate[15]
    assert rate[19] > rate[15]


def test_each_kind_of_breach_is_present_and_rare(small: Bank) -> None:
    contacts = small.contacts
    attempts = contacts.height
    calls = contacts.filter(pl.col("channel") == "call")
    late = calls.filter((pl.col("hour") >= 22) | (pl.col("hour") == 7))
    holiday = calls.filter(pl.col("day").is_in(sorted(BANK_HOLIDAYS)))
    weekend = calls.filter(
        pl.col("day").dt.weekday() >= 6,
        ~pl.col("day").map_elements(is_working_day, return_dtype=pl.Boolean),
        ~pl.col("day").is_in(sorted(BANK_HOLIDAYS)),
    )
    per_number = contacts.drop_nulls("contact_number").group_by("day", "contact_number").len()
    over_cap = per_number.filter(pl.col("len") > 6)
    accounts = small.accounts_as_of().select(
        "account_id", "effective", "do_not_contact", "third_party_authorized"
    )
    as_of = contacts.sort("day").join_asof(
        accounts,
        left_on="day",
        right_on="effective",
        by="account_id",
        strategy="backward",
        check_sortedness=False,
    )
    unauthorised = as_of.filter(
        pl.col("party") == "third_party", pl.col("third_party_authorized") == "false"
    )
    do_not_contact = as_of.filter(pl.col("do_not_contact") == "true")
    found = {
        "late or early call": late.height,
        "call on a public holiday": holiday.height,
        "call on an ordinary weekend": weekend.height,
        "more than 6 attempts a day to one number": over_cap.height,
        "unauthorised third party": unauthorised.height,
        "do-not-contact account": do_not_contact.height,
    }
    for kind, count in found.items():
        assert count >= 1, kind
        assert count / attempts < 0.015, (kind, count / attempts)
    # Like a bank's dialer: the breaches together are a small share of the attempts (the sum
    # counts an attempt that breaks two rules twice, so it bounds the share from above).
    assert sum(found.values()) / attempts < 0.03, {k: v / attempts for k, v in found.items()}
    # Make-up working days are ordinary working days for the dialer.
    makeup = [
        d
        for d, (k, _) in CHINA_CALENDAR.items()
        if k == "makeup_workday" and small.summary.first_date <= d <= small.summary.last_date
    ]
    assert calls.filter(pl.col("day").is_in(makeup)).height > 20


# ---------------------------------------------------------------------------------- rates
def _migration(bank: Bank) -> pl.DataFrame:
    snap = bank.snapshots.filter(pl.col("as_of_date") == pl.col("as_of_date").dt.month_end())
    dpd = pl.col("days_past_due")
    bucket = (
        pl.when(pl.col("status") == "charged_off")
        .then(pl.lit("WO"))
        .when(pl.col("status") == "closed")
        .then(pl.lit("CL"))
        .when(dpd == 0)
        .then(pl.lit("C"))
        .when(dpd <= 30)
        .then(pl.lit("M1"))
        .when(dpd <= 60)
        .then(pl.lit("M2"))
        .when(dpd <= 90)
        .then(pl.lit("M3"))
        .otherwise(pl.lit("M4+"))
    )
    snap = snap.with_columns(
        bucket.alias("bucket"),
        pl.col("as_of_date").dt.offset_by("1mo").dt.month_end().alias("next"),
    )
    frm = snap.filter(
        ~pl.col("bucket").is_in(["WO", "CL"]), pl.col("next") <= bank.summary.last_date
    )
    to = snap.select(
        pl.col("as_of_date").alias("next"),
        "account_id",
        pl.col("bucket").alias("to"),
        pl.col("days_past_due").alias("to_dpd"),
    )
    return frm.join(to, on=["next", "account_id"], how="left")


def test_roll_and_cure_rates_are_plausible(medium: Bank) -> None:
    moves = _migration(medium)

    def share(frm: str, cond: pl.Expr) -> float:
        rows = moves.filter(pl.col("bucket") == frm)
        return rows.select(cond.mean()).item()

    entering = share("C", pl.col("to") == "M1")
    assert 0.02 <= entering <= 0.07, entering
    m1_cure = share("M1", pl.col("to") == "C")
    assert 0.40 <= m1_cure <= 0.80, m1_cure
    m1_roll = share("M1", pl.col("to") == "M2")
    assert 0.15 <= m1_roll <= 0.40, m1_roll
    m2_roll = share("M2", pl.col("to") == "M3")
    assert 0.30 <= m2_roll <= 0.65, m2_roll
    m3_roll = share("M3", pl.col("to") == "M4+")
    assert 0.45 <= m3_roll <= 0.80, m3_roll
    late = moves.filter(pl.col("bucket") == "M4+")
    onward = late.select(
        ((pl.col("to") == "WO") | (pl.col("to_dpd") > pl.col("days_past_due"))).mean()
    ).item()
    assert 0.70 <= onward <= 0.95, onward
    closing = share("C", pl.col("to") == "CL")
    assert 0.002 <= closing <= 0.01, closing
    # Riskier customers go delinquent more often.
    accounts = (
        medium["accounts"]
        .unique("account_id", keep="first")
        .select("account_id", pl.col("credit_score").cast(pl.Int64))
    )
    current = moves.filter(pl.col("bucket") == "C").join(accounts, on="account_id")
    low = current.filter(pl.col("credit_score") < 600).select((pl.col("to") == "M1").mean()).item()
    high = (
        current.filter(pl.col("credit_score") >= 700).select((pl.col("to") == "M1").mean()).item()
    )
    assert low > 2 * high


def test_a_delinquent_book_of_plausible_size(medium: Bank) -> None:
    snap = medium.snapshots.filter(pl.col("as_of_date") == date(2025, 10, 31))
    live = snap.filter(pl.col("status").is_in(["open", "frozen"]))
    delinquent = (live["days_past_due"] > 0).mean()
    assert 0.04 <= delinquent <= 0.12, delinquent
    over_90 = (live["days_past_due"] > 90).mean()
    assert 0.005 <= over_90 <= 0.04, over_90
    agents = medium["agents"].filter(pl.col("_file_date") == START)
    assert agents.height == max(12, math.floor(agents.height))


def test_generation_warns_nothing_inside_the_calendar(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        summary = generate_bank(tmp_path, accounts=100, months=1, start=date(2026, 10, 1))
    assert summary.last_date == date(2026, 10, 31)
