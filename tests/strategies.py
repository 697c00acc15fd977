"""Hypothesis strategies for form values: what a clerk could type, edge cases included."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from forms.definition import Field, FormDefinition
from forms.values import clean_text, normalise_decimal

SPECIAL_TEXT = [
    "±0.02mm",
    '& < > "',
    "=1+1",
    "+86 21 5555 0100",
    "-5 units",
    "@supplier",
    "客户投诉：质量问题（批次 A-17）",
    "Ünïcödé façade — naïve",
    "Tab\tseparated",
    "x" * 1500,
]
_chars = st.characters(
    codec="utf-8",
    exclude_categories=("Cs", "Cc", "Zl", "Zp", "Co", "Cn"),
    exclude_characters="\u00a0\ufeff",
)
_line = st.one_of(st.text(_chars, min_size=1, max_size=80), st.sampled_from(SPECIAL_TEXT))
text_values = _line.map(clean_text).filter(bool)
multiline_values = (
    st.lists(st.one_of(_line, st.just("")), min_size=1, max_size=6)
    .map(lambda lines: clean_text("\n".join(lines)))
    .filter(bool)
)
# Spreadsheets count days from 1900 with a famous leap-year bug before March 1900.
dates = st.one_of(
    # The years a date of the loop may fall in (forms.values MIN_YEAR, MAX_YEAR).
    st.dates(min_value=date(1900, 3, 1), max_value=date(2100, 12, 31)),
    st.sampled_from([date(1900, 3, 1), date(2024, 2, 29), date(2026, 12, 31), date(2100, 12, 31)]),
)
datetimes = st.builds(
    datetime.combine,
    dates,
    st.times().map(lambda t: time(t.hour, t.minute, t.second)),
)
integers = st.one_of(
    st.integers(min_value=-(10**18), max_value=10**18),
    st.sampled_from([0, 4, 5, 14, 15, 10**15 - 1, 10**15 + 1]),
)
decimals = st.one_of(
    st.decimals(
        min_value=Decimal("-1e15"),
        max_value=Decimal("1e15"),
        allow_nan=False,
        allow_infinity=False,
        places=4,
    ),
    st.sampled_from(
        [
            Decimal("0.1"),
            Decimal("2.675"),
            Decimal("1234567.891"),
            Decimal("0.0000001"),
            Decimal("99999999999999.99"),
            Decimal("-0.00"),
            Decimal("12345678901234567890.123"),
        ]
    ),
).map(normalise_decimal)


def value_for(f: Field) -> st.SearchStrategy[Any]:
    t = f.type
    if t == "text":
        return text_values
    if t == "multiline":
        return multiline_values
    if t == "date":
        return dates
    if t == "datetime":
        return datetimes
    if t == "integer":
        return integers
    if t == "decimal":
        return decimals
    if t == "yesno":
        return st.booleans()
    if t == "choice":
        return st.sampled_from([c.id for c in f.choices])
    if t == "multichoice":
        return st.lists(st.sampled_from([c.id for c in f.choices]), min_size=1, unique=True)
    if t == "table":
        row = st.fixed_dictionaries(
            {c.id: value_for(c) if c.required else st.none() | value_for(c) for c in f.columns}
        )
        return st.lists(row, min_size=1, max_size=f.rows + 2)
    raise AssertionError(t)


def form_values(form: FormDefinition) -> st.SearchStrategy[dict[str, Any]]:
    """Values for every field of the form, each present or left blank."""
    return st.fixed_dictionaries({f.id: st.none() | value_for(f) for f in form.fields})
