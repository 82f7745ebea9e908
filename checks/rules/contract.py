"""The contract's rules, derived from the extract schemas in `warehouse.contract`: a required
value present, a code in its set, a value inside its range, a key once per file.

The loader already enforces them row by row (a breaking row is quarantined); the suites state
them again on every landed batch because they prove what landed. Column lists and code sets
exist only in the contract.
"""

from __future__ import annotations

from checks.rules.expectation import BATCH, FILE, Check, Rule, fixed
from warehouse.contract import Extract
from warehouse.contract.schema import Column, Kind


def stored_name(column: Column) -> str:
    """The column's name in the raw table (personal values land masked, as `<name>_masked`)."""
    return column.stored_columns()[0][0]


def _range_words(column: Column) -> str:
    low = (
        ""
        if column.minimum is None
        else f"{'>' if column.exclusive_minimum else '>='} {column.minimum:g}"
    )
    high = "" if column.maximum is None else f"<= {column.maximum:g}"
    return " and ".join(part for part in (low, high) if part)


def contract_rules(extract: Extract) -> list[Rule]:
    """The contract's rules for one extract, as expectations on its landed batch."""
    suite = extract.table
    rules: list[Rule] = []
    for column in extract.columns:
        name = stored_name(column)
        if column.required or column.key:
            rules.append(
                Rule(
                    suite,
                    f"{column.name}_not_null",
                    f"{column.name} is present (the contract requires it)",
                    BATCH,
                    fixed(Check("not_null", column=name)),
                    "error",
                    column.name,
                )
            )
        if column.kind == Kind.CODE:
            rules.append(
                Rule(
                    suite,
                    f"{column.name}_in_set",
                    f"{column.name} is one of: {', '.join(column.codes)}",
                    BATCH,
                    fixed(Check("in_set", column=name, value_set=column.codes)),
                    "error",
                    column.name,
                )
            )
        if column.minimum is not None or column.maximum is not None:
            check = Check(
                "between",
                column=name,
                min_value=column.minimum,
                max_value=column.maximum,
                strict_min=column.exclusive_minimum,
            )
            rules.append(
                Rule(
                    suite,
                    f"{column.name}_in_range",
                    f"{column.name} {_range_words(column)} (the contract's range)",
                    BATCH,
                    fixed(check),
                    "error",
                    column.name,
                )
            )
    key = ", ".join(extract.key)
    rules.append(
        Rule(
            suite,
            "key_unique_in_file",
            f"each key ({key}) appears once per file",
            BATCH,
            fixed(Check("unique_together", columns=(FILE, *extract.key))),
            "error",
            extract.key[0],
        )
    )
    return rules
