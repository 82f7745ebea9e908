"""Great Expectations itself: imported lazily, only here, only when checks run.

`import great_expectations` takes 5-8 s of CPU (seconds of it for scipy.stats and pyspark, which
GX imports for expectations and datasources the checks never use: made lazy or hidden, `_import`),
so `preload()` starts it on a background thread as a load begins, to overlap the reading of the
files (and the first batch waits only for what is left of it). Analytics and progress bars are
off; nothing touches the network.

Each run gets its own ephemeral Data Context (milliseconds) with one pandas datasource. A frame
is validated against a suite through a whole-dataframe batch definition
(`batch_parameters={"dataframe": df}`), with result_format COMPLETE: the pandas index of every
row that broke an expectation comes back in `unexpected_index_list`, and the caller maps those
positions to its rows (files and line numbers). That is what `unexpected_index_column_names`
would do, minus its cost: GX builds one dict per offending row for it, about 40 µs each (20 s
for 500,000 bad rows), where positions cost next to nothing. Besides, GX's own cost is mostly
per expectation (about 10 ms each, whatever the size of the frame), which is why the callers
hand it small frames. The results kept for Data Docs are trimmed to summaries and samples.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import numbers
import os
import re
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from checks.rules import Check

if TYPE_CHECKING:
    import pandas as pd

_import_thread: threading.Thread | None = None
_import_lock = threading.Lock()
IMPORT_SECONDS: dict[str, float] = {}

# Result keys that can hold one entry per offending row: summaries only go to Data Docs.
_BULKY = (
    "unexpected_list",
    "unexpected_index_list",
    "unexpected_index_query",
    "partial_unexpected_index_list",
)


def _environment() -> None:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    # GX narrates its plugin registry at INFO; the load's own log stays readable.
    logging.getLogger("great_expectations").setLevel(logging.WARNING)


# Modules GX imports at its own import for expectations the checks never use (the distribution
# tests): scipy.stats alone is 2-3 s of CPU. Each is made lazy: the module exists, and runs the
# first time anything reads from it (the checks never do; on Python 3.11 that first read must not
# come from two threads at once). altair, the same expectations' charts, is read from at GX's
# import, so making it lazy saves nothing.
_LAZY = ("scipy.stats",)


def _make_lazy(name: str) -> None:
    """Put a lazily executed `name` in sys.modules (nothing when it is imported or missing)."""
    if name in sys.modules:
        return
    parent, _, child = name.rpartition(".")
    try:
        if parent:
            importlib.import_module(parent)
        spec = importlib.util.find_spec(name)
    except ImportError:
        return
    if spec is None or spec.loader is None:
        return
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    if parent:
        setattr(sys.modules[parent], child, module)


def _import() -> None:
    started = time.perf_counter()
    for name in _LAZY:
        _make_lazy(name)
    # GX imports pyspark (and pyspark.ml, pandas' Spark glue) whenever it is installed, for Spark
    # datasources the checks never use: seconds more per process since pyspark is in the `spark`
    # and `dev` extras (the mart runner's Spark engine). It is hidden from GX's import unless the
    # process already uses it (the engine imports it before any check runs).
    hide_pyspark = "pyspark" not in sys.modules
    if hide_pyspark:
        sys.modules["pyspark"] = None  # type: ignore[assignment]
    try:
        import great_expectations  # noqa: F401
        import great_expectations.expectations  # noqa: F401
    finally:
        if hide_pyspark and "pyspark" in sys.modules and sys.modules["pyspark"] is None:
            del sys.modules["pyspark"]

    IMPORT_SECONDS.setdefault("great_expectations", time.perf_counter() - started)


def preload() -> None:
    """Start importing Great Expectations in the background (once per process)."""
    global _import_thread
    with _import_lock:
        if _import_thread is not None or "great_expectations.expectations" in sys.modules:
            return
        _environment()
        _import_thread = threading.Thread(
            target=_import, name="import-great-expectations", daemon=True
        )
        _import_thread.start()


def ready() -> bool:
    """Whether Great Expectations is imported (so validating now costs no wait)."""
    thread_done = _import_thread is None or not _import_thread.is_alive()
    return thread_done and "great_expectations.expectations" in sys.modules


def _gx() -> Any:
    _environment()
    if _import_thread is not None:
        _import_thread.join()
    if "great_expectations.expectations" not in sys.modules:
        _import()  # not preloaded: the same import, here
    started = time.perf_counter()
    import great_expectations as gx

    IMPORT_SECONDS.setdefault("great_expectations", time.perf_counter() - started)
    # One GX module pins its own logger at INFO (its temporary docs site); quiet it too.
    logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)
    return gx


@dataclass
class Outcome:
    """What Great Expectations found for one expectation on one frame."""

    success: bool
    expectation_type: str
    element_count: int | None = None
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    positions: list[int] = field(default_factory=list)  # frame rows that broke it
    observed_value: Any = None
    partial_values: list[Any] = field(default_factory=list)
    exception: str | None = None


def _expectation(gxe: Any, check: Check, meta: Mapping[str, Any], notes: str) -> Any:
    common = {"meta": dict(meta), "notes": notes}
    if check.kind == "not_null":
        return gxe.ExpectColumnValuesToNotBeNull(column=check.column, **common)
    if check.kind == "in_set":
        return gxe.ExpectColumnValuesToBeInSet(
            column=check.column, value_set=list(check.value_set), **common
        )
    if check.kind == "between":
        return gxe.ExpectColumnValuesToBeBetween(
            column=check.column,
            min_value=check.min_value,
            max_value=check.max_value,
            strict_min=check.strict_min,
            **common,
        )
    if check.kind == "unique_together":
        return gxe.ExpectCompoundColumnsToBeUnique(column_list=list(check.columns), **common)
    if check.kind == "match_regex":
        return gxe.ExpectColumnValuesToMatchRegex(column=check.column, regex=check.regex, **common)
    if check.kind == "row_count_equal":
        return gxe.ExpectTableRowCountToEqual(value=check.value, **common)
    raise ValueError(f"unknown check kind {check.kind!r}")


@dataclass(frozen=True)
class Planned:
    """One expectation to run: its id in the results, the check, and how it is labelled."""

    key: str
    check: Check
    severity: str
    description: str


class Engine:
    """One run's Great Expectations: an ephemeral context, its suites, its validation results."""

    def __init__(self, *, run_name: str, run_time: datetime) -> None:
        gx = _gx()
        from great_expectations.core.run_identifier import RunIdentifier
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self.gx = gx
        self.version: str = gx.__version__
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        # One whole-dataframe batch definition serves every frame: the suite names what it is.
        self.batch_definition = (
            self.context.data_sources.add_pandas("collections_warehouse")
            .add_dataframe_asset(name="frames")
            .add_batch_definition_whole_dataframe("whole frame")
        )
        self.run_id = RunIdentifier(run_name=run_name, run_time=run_time)
        self._suites: dict[str, tuple[Any, tuple[str, ...]]] = {}
        self.validations = 0
        self.seconds = 0.0

    def _suite(self, name: str, planned: Sequence[Planned]) -> Any:
        keys = tuple(p.key for p in planned)
        if name in self._suites:
            suite, known = self._suites[name]
            if known != keys:
                raise ValueError(f"suite {name} was built with other expectations in this run")
            return suite
        import great_expectations.expectations as gxe

        suite = self.gx.ExpectationSuite(name=name)
        for p in planned:
            meta = {"rule": p.key, "severity": p.severity}
            suite.add_expectation(
                _expectation(gxe, p.check, meta, f"**{p.severity}**: {p.description}")
            )
        suite = self.context.suites.add(suite)
        self._suites[name] = (suite, keys)
        return suite

    def validate(
        self, suite_name: str, batch_label: str, frame: pd.DataFrame, planned: Sequence[Planned]
    ) -> dict[str, Outcome]:
        """Validate `frame` (index 0..n-1) against the planned expectations as `suite_name`."""
        from great_expectations.data_context.types.resource_identifiers import (
            ExpectationSuiteIdentifier,
            ValidationResultIdentifier,
        )
        from great_expectations.validator.v1_validator import Validator

        started = time.perf_counter()
        suite = self._suite(suite_name, planned)
        # What ValidationDefinition.run does, minus storing untrimmed results: the batch is
        # fetched (and fingerprinted) once, where Batch.validate would fetch it twice.
        validator = Validator(
            batch_definition=self.batch_definition,
            batch_parameters={"dataframe": frame},
            result_format={
                "result_format": "COMPLETE",
                "partial_unexpected_count": 20,
                "return_unexpected_index_query": False,
            },
        )
        result = validator.validate_expectation_suite(suite)
        outcomes: dict[str, Outcome] = {}
        for item in result.results:
            config = item.expectation_config
            if config is None:  # not ours to name: its rule is reported as without a result
                continue
            key = config.meta["rule"]
            found = item.result or {}
            exception = None
            if item.exception_info and item.exception_info.get("raised_exception"):
                exception = str(item.exception_info.get("exception_message"))
            positions = found.get("unexpected_index_list") or []
            outcomes[key] = Outcome(
                success=bool(item.success),
                expectation_type=config.type,
                element_count=found.get("element_count"),
                unexpected_count=found.get("unexpected_count"),
                unexpected_percent=found.get("unexpected_percent"),
                # Labels of the frame's RangeIndex: integers (numpy's among them).
                positions=[int(p) for p in positions if isinstance(p, numbers.Integral)],
                observed_value=found.get("observed_value"),
                partial_values=list(found.get("partial_unexpected_list") or [])[:20],
                exception=exception,
            )
            for bulky in _BULKY:
                found.pop(bulky, None)
        identifier = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite.name),
            run_id=self.run_id,
            batch_identifier=re.sub(r"[^A-Za-z0-9_.-]+", "-", batch_label),
        )
        # GX types `meta` as a closed TypedDict; it is a plain dict, stored with the result.
        cast("dict[str, Any]", result.meta)["batch_label"] = batch_label
        self.context.validation_results_store.set(identifier, result)
        self.validations += 1
        self.seconds += time.perf_counter() - started
        return outcomes
