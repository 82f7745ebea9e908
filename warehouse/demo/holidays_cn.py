"""China's public holidays and make-up working days, as the State Council announced them.

Each year the General Office of the State Council publishes a notice (国务院办公厅关于 YYYY 年部分
节假日安排的通知) naming the days off (放假调休) and the weekend days that become working days
(上班, "make-up working days"). The dates below are transcribed from those notices:

| year | notice | published |
|---|---|---|
| 2022 | 国办发明电〔2021〕11号 | 2021-10-25 |
| 2023 | 国办发明电〔2022〕16号 | 2022-12-08 |
| 2024 | 国办发明电〔2023〕7号 | 2023-10-25 |
| 2025 | 国办发明电〔2024〕12号 (first year under the November 2024 revision of the national holiday
         rules: Spring Festival and Labour Day one day longer) | 2024-11-12 |
| 2026 | 国务院办公厅关于2026年部分节假日安排的通知 | 2025-11-04 |

A holiday range in a notice ("1月1日至3日放假调休") is listed day by day, weekend days included,
so the file says which festival a closed weekend belongs to. Where a notice names a single day
joined to an ordinary weekend ("6月10日放假,与周末连休") only that day is listed; the weekend is an
ordinary one.
The 2023 New Year break began on 2022-12-31 and is listed under the 2023 notice's name.

Outside the covered years `is_working_day` falls back to Monday-Friday; `generate_bank` warns when a
requested range needs that fallback.
"""

from __future__ import annotations

from datetime import date, timedelta

from warehouse.demo.codes import HOLIDAY, MAKEUP_WORKDAY

# (first day, last day, English name) of each break, and the make-up working days that go with it.
_SCHEDULE: dict[int, list[tuple[str, str, str, tuple[str, ...]]]] = {
    2022: [
        ("2022-01-01", "2022-01-03", "New Year's Day", ()),
        ("2022-01-31", "2022-02-06", "Spring Festival", ("2022-01-29", "2022-01-30")),
        ("2022-04-03", "2022-04-05", "Qingming Festival", ("2022-04-02",)),
        ("2022-04-30", "2022-05-04", "Labour Day", ("2022-04-24", "2022-05-07")),
        ("2022-06-03", "2022-06-05", "Dragon Boat Festival", ()),
        ("2022-09-10", "2022-09-12", "Mid-Autumn Festival", ()),
        ("2022-10-01", "2022-10-07", "National Day", ("2022-10-08", "2022-10-09")),
    ],
    2023: [
        ("2022-12-31", "2023-01-02", "New Year's Day", ()),
        ("2023-01-21", "2023-01-27", "Spring Festival", ("2023-01-28", "2023-01-29")),
        ("2023-04-05", "2023-04-05", "Qingming Festival", ()),
        ("2023-04-29", "2023-05-03", "Labour Day", ("2023-04-23", "2023-05-06")),
        ("2023-06-22", "2023-06-24", "Dragon Boat Festival", ("2023-06-25",)),
        (
            "2023-09-29",
            "2023-10-06",
            "Mid-Autumn Festival and National Day",
            ("2023-10-07", "2023-10-08"),
        ),
    ],
    2024: [
        ("2024-01-01", "2024-01-01", "New Year's Day", ()),
        ("2024-02-10", "2024-02-17", "Spring Festival", ("2024-02-04", "2024-02-18")),
        ("2024-04-04", "2024-04-06", "Qingming Festival", ("2024-04-07",)),
        ("2024-05-01", "2024-05-05", "Labour Day", ("2024-04-28", "2024-05-11")),
        ("2024-06-10", "2024-06-10", "Dragon Boat Festival", ()),
        ("2024-09-15", "2024-09-17", "Mid-Autumn Festival", ("2024-09-14",)),
        ("2024-10-01", "2024-10-07", "National Day", ("2024-09-29", "2024-10-12")),
    ],
    2025: [
        ("2025-01-01", "2025-01-01", "New Year's Day", ()),
        ("2025-01-28", "2025-02-04", "Spring Festival", ("2025-01-26", "2025-02-08")),
        ("2025-04-04", "2025-04-06", "Qingming Festival", ()),
        ("2025-05-01", "2025-05-05", "Labour Day", ("2025-04-27",)),
        ("2025-05-31", "2025-06-02", "Dragon Boat Festival", ()),
        (
            "2025-10-01",
            "2025-10-08",
            "National Day and Mid-Autumn Festival",
            ("2025-09-28", "2025-10-11"),
        ),
    ],
    2026: [
        ("2026-01-01", "2026-01-03", "New Year's Day", ("2026-01-04",)),
        ("2026-02-15", "2026-02-23", "Spring Festival", ("2026-02-14", "2026-02-28")),
        ("2026-04-04", "2026-04-06", "Qingming Festival", ()),
        ("2026-05-01", "2026-05-05", "Labour Day", ("2026-05-09",)),
        ("2026-06-19", "2026-06-21", "Dragon Boat Festival", ()),
        ("2026-09-25", "2026-09-27", "Mid-Autumn Festival", ()),
        ("2026-10-01", "2026-10-07", "National Day", ("2026-09-20", "2026-10-10")),
    ],
}


def _build() -> dict[date, tuple[str, str]]:
    calendar: dict[date, tuple[str, str]] = {}
    for year in sorted(_SCHEDULE):
        for first, last, name, makeups in _SCHEDULE[year]:
            day, end = date.fromisoformat(first), date.fromisoformat(last)
            while day <= end:
                calendar[day] = (HOLIDAY, name)
                day += timedelta(days=1)
            for makeup in makeups:
                calendar[date.fromisoformat(makeup)] = (
                    MAKEUP_WORKDAY,
                    f"{name} make-up working day",
                )
    return dict(sorted(calendar.items()))


CHINA_CALENDAR: dict[date, tuple[str, str]] = _build()
"""date -> (kind, English name); kind is "holiday" or "makeup_workday". Sorted by date."""


def covered_years() -> tuple[int, ...]:
    """The years whose State Council schedule is in `CHINA_CALENDAR`."""
    return tuple(sorted(_SCHEDULE))


def is_working_day(d: date) -> bool:
    """A public holiday is not a working day, a make-up working day is, otherwise Monday-Friday."""
    entry = CHINA_CALENDAR.get(d)
    if entry is not None:
        return entry[0] == MAKEUP_WORKDAY
    return d.weekday() < 5


def is_holiday(d: date) -> bool:
    """True on a declared public holiday (not on an ordinary weekend)."""
    entry = CHINA_CALENDAR.get(d)
    return entry is not None and entry[0] == HOLIDAY
