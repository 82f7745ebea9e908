"""The account book: who opens an account, how each is graded, and the state every account carries.

The book is a set of numpy arrays with one slot per account (account_id = slot + 1). The opening
book is drawn when the bank is created; each month's new accounts are drawn when that month
starts, from a stream of their own, and get their slots then (switched on on their open date).
Nothing is drawn for months the run has not reached, so a bank's first months are the same however
long it runs. The other parts of the bank (statements, payments, plans, the collections
procedure) read and move this state; the book itself opens accounts, grades them, and applies the
attribute changes a card system reports at a month end.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from warehouse.demo import people
from warehouse.demo.codes import (
    EMPLOYMENT,
    FROZEN,
    NOT_OPEN,
    OPEN,
    RELATIONS,
    RETIRED,
    UNEMPLOYED,
    weights,
)
from warehouse.demo.columns import identifier, labels_of
from warehouse.demo.days import day_date, day_number, month_end
from warehouse.demo.draws import choice
from warehouse.demo.rates import Rates

PRODUCTS = ("Classic", "Gold", "Platinum", "Youth")
PRODUCT_P = np.array([0.45, 0.30, 0.10, 0.15])
YOUTH = 3
LIMIT_YUAN = np.array([[5_000, 20_000], [20_000, 50_000], [50_000, 150_000], [2_000, 10_000]])
EMP_P = weights(
    EMPLOYMENT,
    salaried=0.66,
    self_employed=0.18,
    unemployed=0.04,
    retired=0.06,
    student=0.01,
    other=0.05,
)
EMP_P_YOUTH = weights(
    EMPLOYMENT, salaried=0.40, self_employed=0.08, unemployed=0.04, student=0.45, other=0.03
)
TIMEZONES = ("", "America/Los_Angeles", "Europe/London")
# Emergency contacts' relation to the customer (contacts.third_party_relation).
RELATION_P = weights(
    RELATIONS, spouse=0.32, parent=0.30, sibling=0.16, friend=0.12, employer=0.06, other=0.04
)

# Why an account falls behind: it drives self-cure, promise and plan behaviour.
FORGETFUL, UNABLE, WILFUL = range(3)
# Risk grade from the bureau score and employment.
LOW, MEDIUM, HIGH = range(3)
CAUSE_P = np.array([[0.62, 0.25, 0.13], [0.45, 0.35, 0.20], [0.25, 0.40, 0.35]])  # by grade


def grade(score: np.ndarray, emp: np.ndarray) -> np.ndarray:
    """Risk grade: below 600 high, below 700 medium, else low; the unemployed are high."""
    risk = np.where(score < 600, HIGH, np.where(score < 700, MEDIUM, LOW))
    return np.where(emp == UNEMPLOYED, HIGH, risk).astype(np.int8)


def _new_state(n: int) -> dict[str, np.ndarray]:
    """The running state of `n` slots not yet open (amounts are cents)."""
    return {
        "status": np.full(n, NOT_OPEN, dtype=np.int8),
        "end_day": np.full(n, 10**9, dtype=np.int64),  # closed or charged off on
        "balance": np.zeros(n, dtype=np.int64),
        "min_due": np.zeros(n, dtype=np.int64),
        "due_day": np.full(n, -1, dtype=np.int64),
        "due_paid": np.ones(n, dtype=bool),
        "cycle_paid": np.zeros(n, dtype=np.int64),
        # The response drawn at the statement: when and how much the customer will pay.
        "pay_day": np.full(n, -1, dtype=np.int64),
        "pay_amt": np.zeros(n, dtype=np.int64),
        "pay_chan": np.zeros(n, dtype=np.int8),
        # A statement payment that will be reversed (and the payment it reverses, once made).
        "rev_day": np.full(n, -1, dtype=np.int64),
        "rev_pid": np.full(n, -1, dtype=np.int64),
        "rev_amt": np.zeros(n, dtype=np.int64),
        "rev_chan": np.zeros(n, dtype=np.int8),
        # Arrears.
        "dpd": np.zeros(n, dtype=np.int64),
        "ov_p": np.zeros(n, dtype=np.int64),
        "ov_i": np.zeros(n, dtype=np.int64),
        "ov_f": np.zeros(n, dtype=np.int64),
        "cured_day": np.full(n, -(10**6), dtype=np.int64),
        "first_stmt": np.full(n, 10**9, dtype=np.int64),
        # Promises: the promise window, and the payment a kept or partly kept promise brings.
        "prom_until": np.full(n, -1, dtype=np.int64),
        "sched_day": np.full(n, -1, dtype=np.int64),
        "sched_sec": np.zeros(n, dtype=np.int64),
        "sched_amt": np.zeros(n, dtype=np.int64),
        "last_letter": np.full(n, -(10**6), dtype=np.int64),
        # The account's open repayment plan (a row of the plans table) and whether it is running.
        "plan_row": np.full(n, -1, dtype=np.int64),
        "plan_active": np.zeros(n, dtype=bool),
    }


class Book:
    """Every account's attributes and state, one array slot per account."""

    # Who the customers are (drawn when the account opens; some change at month ends).
    open_day: np.ndarray
    product: np.ndarray
    emp: np.ndarray
    score: np.ndarray
    risk: np.ndarray
    cause: np.ndarray
    limit: np.ndarray
    dnc: np.ndarray  # do not contact
    tpa: np.ndarray  # third parties authorised
    tz: np.ndarray
    stmt_day: np.ndarray
    spend: np.ndarray
    style: np.ndarray  # 0 pays in full, 1 revolves, 2 pays the minimum
    autopay: np.ndarray
    hash: np.ndarray  # spreads accounts over collectors, stably
    mobile: np.ndarray
    ec_num: np.ndarray  # two emergency contacts' numbers and relations
    ec_rel: np.ndarray
    people: pl.DataFrame  # the identity columns of the accounts file
    # The running state (see `_new_state`).
    status: np.ndarray
    end_day: np.ndarray
    balance: np.ndarray
    min_due: np.ndarray
    due_day: np.ndarray
    due_paid: np.ndarray
    cycle_paid: np.ndarray
    pay_day: np.ndarray
    pay_amt: np.ndarray
    pay_chan: np.ndarray
    rev_day: np.ndarray
    rev_pid: np.ndarray
    rev_amt: np.ndarray
    rev_chan: np.ndarray
    dpd: np.ndarray
    ov_p: np.ndarray
    ov_i: np.ndarray
    ov_f: np.ndarray
    cured_day: np.ndarray
    first_stmt: np.ndarray
    prom_until: np.ndarray
    sched_day: np.ndarray
    sched_sec: np.ndarray
    sched_amt: np.ndarray
    last_letter: np.ndarray
    plan_row: np.ndarray
    plan_active: np.ndarray

    def __init__(self, n0: int, t0: int, rates: Rates, rng: np.random.Generator) -> None:
        """The opening book: `n0` accounts open on day `t0`, opened over the ten years before."""
        self.R = rates
        self.n0 = n0
        self.t0 = t0
        self.n = 0
        self.issuer = people.Issuer(rng)
        age_days = 30 + (rng.exponential(3.0 * 365, n0) % (10 * 365)).astype(np.int64)
        open_day = np.sort(t0 - age_days)
        # Ages are drawn for the start date, not the (earlier) open date.
        self._add(rng, open_day, np.full(n0, t0, dtype=np.int64))
        self.status[:n0] = OPEN

    def open_month(self, t: int, rng: np.random.Generator) -> None:
        """The accounts that will open this month (from day t, the month's first simulated day,
        or the day after the start), about 1.1% of the opening book, spread over the month."""
        lo = max(t, self.t0 + 1)
        hi = day_number(month_end(day_date(t)))
        if hi < lo:
            return
        k = int(rng.poisson(self.n0 * self.R.new_accounts_per_month))
        open_day = np.sort(rng.integers(lo, hi + 1, k)).astype(np.int64)
        self._add(rng, open_day, open_day)

    def _add(self, rng: np.random.Generator, open_day: np.ndarray, ref_day: np.ndarray) -> None:
        """Draw the customers of new slots (aged 20-65 on `ref_day`) and give them a state."""
        n = len(open_day)
        index = np.arange(self.n, self.n + n)
        product = choice(rng, PRODUCT_P, n).astype(np.int8)
        youth = product == YOUTH
        emp = choice(rng, EMP_P, n)
        emp[youth] = choice(rng, EMP_P_YOUTH, int(youth.sum()))
        emp = emp.astype(np.int8)
        age_years = np.where(youth, rng.uniform(20, 29, n), rng.uniform(22, 66, n))
        age_years = np.where(emp == RETIRED, rng.uniform(55, 66, n), age_years)
        # Nobody opened a card before turning 20.
        tenure = (ref_day - open_day) / 365.25
        age_years = np.minimum(np.maximum(age_years, 20.2 + tenure + rng.uniform(0, 3, n)), 65.0)
        birth = ref_day - (age_years * 365.25).astype(np.int64)
        score = rng.normal(690, 70, n) - 40 * (emp == UNEMPLOYED) - 15 * youth
        score = np.clip(np.round(score), 300, 850).astype(np.int64)
        lo, hi = LIMIT_YUAN[product, 0], LIMIT_YUAN[product, 1]
        limit = lo + rng.random(n) * (hi - lo) * np.clip((score - 450) / 350, 0.1, 1.0)
        limit = np.maximum((np.round(limit / 1000) * 1000 * 100).astype(np.int64), 100_000)
        drawn = {
            "open_day": open_day,
            "product": product,
            "emp": emp,
            "score": score,
            "limit": limit,
            "dnc": rng.random(n) < 0.005,
            "tpa": rng.random(n) < 0.30,
            "tz": choice(rng, np.array([0.99, 0.006, 0.004]), n).astype(np.int8),
            "stmt_day": rng.integers(1, 29, n).astype(np.int64),
            "spend": np.clip(rng.lognormal(np.log(0.16), 0.6, n), 0.01, 0.8),
            "style": choice(rng, np.array([0.45, 0.35, 0.20]), n).astype(np.int8),
            "autopay": rng.random(n) < 0.35,
            "hash": rng.integers(0, 2**31 - 1, n).astype(np.int64),
        }
        drawn["risk"] = grade(score, emp)
        drawn["cause"] = choice(rng, CAUSE_P[drawn["risk"]], n).astype(np.int8)

        region = choice(rng, people.REGION_WEIGHTS, n)
        birth_region = np.where(rng.random(n) < 0.8, region, choice(rng, people.REGION_WEIGHTS, n))
        male = rng.random(n) < 0.52
        codes = np.array([r[0] for r in people.REGIONS], dtype=np.int64)
        names, surname = people.names(rng, n)
        drawn["mobile"] = self.issuer.mobiles(rng, index)
        drawn["ec_num"] = np.stack(
            [people.random_mobiles(rng, n), people.random_mobiles(rng, n)], 1
        )
        drawn["ec_rel"] = np.stack([choice(rng, RELATION_P, n), choice(rng, RELATION_P, n)], 1)
        serials = pl.DataFrame({"i": index + 1})
        identities = pl.DataFrame(
            {
                "account_id": serials.select(identifier("i", "A", 9)).to_series(),
                "customer_id": serials.select(identifier("i", "C", 9)).to_series(),
                "national_id": self.issuer.national_ids(rng, codes[birth_region], birth, male),
                "customer_name": names,
                "card_no": self.issuer.card_numbers(rng, index),
                "email": people.emails(rng, surname),
                "city": labels_of([r[1] for r in people.REGIONS], region),
                "province": labels_of([r[2] for r in people.REGIONS], region),
                "product": labels_of(PRODUCTS, product),
                "branch": labels_of([r[3] for r in people.REGIONS], region),
            }
        )
        # A few mailboxes are missing, as in any real extract.
        no_mail = rng.random(n) < 0.04
        identities = identities.with_columns(
            pl.when(pl.Series(no_mail)).then(None).otherwise(pl.col("email")).alias("email")
        )
        first = self.n == 0
        for name, values in (drawn | _new_state(n)).items():
            setattr(self, name, values if first else np.concatenate([getattr(self, name), values]))
        self.people = identities if first else pl.concat([self.people, identities], rechunk=False)
        self.n += n

    def regrade(self, idx: np.ndarray) -> None:
        """Grade the given accounts again (after their score or employment changed)."""
        self.risk[idx] = grade(self.score[idx], self.emp[idx])

    def last_statement_before(self, idx: np.ndarray, t: int) -> np.ndarray:
        """The latest statement date strictly before day t, per account."""
        d = np.datetime64(day_date(t), "D")
        month = d.astype("datetime64[M]")
        this = (month.astype("datetime64[D]") + (self.stmt_day[idx] - 1)).astype(np.int64)
        prev = ((month - 1).astype("datetime64[D]") + (self.stmt_day[idx] - 1)).astype(np.int64)
        return np.where(this < t, this, prev)

    def first_statement_after(self, idx: np.ndarray, t: int, gap: int) -> np.ndarray:
        """The first statement date in a later month than day t and at least `gap` days after it
        (so nothing happens on a new account before the month-end file that introduces it)."""
        month = np.datetime64(day_date(t), "M")
        best = np.full(len(idx), 10**9, dtype=np.int64)
        for k in (2, 1):
            cand = ((month + k).astype("datetime64[D]") + (self.stmt_day[idx] - 1)).astype(np.int64)
            best = np.where(cand >= t + gap, cand, best)
        return best

    def activate(self, t: int) -> None:
        """Accounts opened today go live; their first statement comes at least 25 days later."""
        idx = np.flatnonzero(self.open_day == t)
        idx = idx[self.status[idx] == NOT_OPEN]
        if idx.size == 0:
            return
        self.status[idx] = OPEN
        self.first_stmt[idx] = self.first_statement_after(idx, t, 25)

    # ------------------------------------------------------------------ month end
    def month_end_changes(self, rng: np.random.Generator) -> np.ndarray:
        """Attribute changes the card system reports at a month end; returns changed accounts."""
        alive = np.flatnonzero(self.status <= FROZEN)
        n = len(alive)
        changed = np.zeros(self.n, dtype=bool)
        if n == 0:
            return changed
        # Bureau score refresh.
        s = alive[rng.random(n) < 0.04]
        delta = rng.normal(0, 20, len(s)) - 35 * (self.dpd[s] > 30)
        self.score[s] = np.clip(self.score[s] + delta.astype(np.int64), 300, 850)
        changed[s] = True
        # Limit increases for good customers, cuts for delinquent ones.
        up = alive[(self.dpd[alive] == 0) & (self.risk[alive] == LOW) & (rng.random(n) < 0.008)]
        self.limit[up] = (
            np.round(self.limit[up] * rng.uniform(1.1, 1.5, len(up)) / 100_000) * 100_000
        ).astype(np.int64)
        down = alive[(self.dpd[alive] > 30) & (rng.random(n) < 0.03)]
        self.limit[down] = np.maximum(
            (self.limit[down] * rng.uniform(0.5, 0.8, len(down)) // 100_000) * 100_000, 100_000
        ).astype(np.int64)
        changed[up] = True
        changed[down] = True
        # New phone numbers, jobs, authorisations.
        mob = alive[rng.random(n) < 0.002]
        self.mobile[mob] = people.random_mobiles(rng, len(mob))
        emp = alive[rng.random(n) < 0.0015]
        self.emp[emp] = choice(rng, EMP_P, len(emp))
        tpa = alive[rng.random(n) < 0.002]
        self.tpa[tpa] = ~self.tpa[tpa]
        changed[mob] = changed[emp] = changed[tpa] = True
        # Do-not-contact requests, mostly from customers already in collections.
        cand = alive[(self.dpd[alive] > 30) & ~self.dnc[alive]]
        want = max(1, int(round(n * 0.0003)))
        if cand.size:
            flip = cand[rng.permutation(len(cand))[: min(want, len(cand))]]
            flip = np.sort(flip)
            self.dnc[flip] = True
            changed[flip] = True
        # Frozen cards of customers current for a while are released.
        thaw = alive[
            (self.status[alive] == FROZEN) & (self.dpd[alive] == 0) & (rng.random(n) < 0.3)
        ]
        self.status[thaw] = OPEN
        self.regrade(np.flatnonzero(changed))
        return changed
