"""What counts as a date, a number, a yes: the same for .docx, .xlsx and --set."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from forms.definition import Field, get_form
from forms.values import ValueProblem, convert, excel_serial_to_datetime, parse_date

DATE = Field("d", "D", "date")
DATETIME = Field("t", "T", "datetime")
INTEGER = Field("i", "I", "integer")
DECIMAL = Field("n", "N", "decimal")
YESNO = Field("y", "Y", "yesno")
TEXT = Field("x", "X", "text")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2026-11-30", date(2026, 11, 30)),
        ("2026/1/5", date(2026, 1, 5)),
        ("2026.11.30", date(2026, 11, 30)),
        ("2026年11月30日", date(2026, 11, 30)),
        ("30 Nov 2026", date(2026, 11, 30)),
        ("November 30, 2026", date(2026, 11, 30)),
        ("2026-11-30 00:00:00", date(2026, 11, 30)),
        (" 2024-02-29 ", date(2024, 2, 29)),
    ],
)
def test_dates_people_write(typed: str, expected: date) -> None:
    assert convert(DATE, typed) == expected


@pytest.mark.parametrize(
    "typed", ["31/13/2026", "11/30/2026", "30/11/2026", "2026-02-30", "soon", "2026-11-30 14:00"]
)
def test_ambiguous_or_impossible_dates_are_refused(typed: str) -> None:
    with pytest.raises(ValueProblem) as exc:
        parse_date(typed)
    assert str(exc.value) == f"'{typed}' is not a date; write it like 2026-11-30"


def test_datetimes() -> None:
    assert convert(DATETIME, "2026-11-30 14:05") == datetime(2026, 11, 30, 14, 5)
    assert convert(DATETIME, "2026-11-30T14:05:09") == datetime(2026, 11, 30, 14, 5, 9)
    assert convert(DATETIME, "2026-11-30") == datetime(2026, 11, 30)
    with pytest.raises(ValueProblem, match="write it like 2026-11-30 14:30"):
        convert(DATETIME, "2026-11-30 24:10")


def test_spreadsheet_serials_in_both_date_systems() -> None:
    assert convert(DATE, Decimal(46356)) == date(2026, 11, 30)
    assert convert(DATE, Decimal(44894), date1904=True) == date(2026, 11, 30)
    assert excel_serial_to_datetime(Decimal("46356.5833333333"), False) == datetime(
        2026, 11, 30, 14, 0
    )


@pytest.mark.parametrize(
    ("field", "typed", "expected"),
    [
        (INTEGER, "12", 12),
        (INTEGER, "1,200", 1200),
        (INTEGER, "15.0", 15),
        (INTEGER, Decimal("5"), 5),
        (DECIMAL, "1250.50", Decimal("1250.5")),
        (DECIMAL, "¥1,234.5", Decimal("1234.5")),
        (DECIMAL, "-0.02", Decimal("-0.02")),
        (DECIMAL, Decimal("1E-7"), Decimal("0.0000001")),
        (DECIMAL, "12345678901234567890.123", Decimal("12345678901234567890.123")),
        (YESNO, "Yes", True),
        (YESNO, "n", False),
        (YESNO, "☒", True),
        (YESNO, "否", False),
        (YESNO, True, True),
        (TEXT, Decimal("12345"), "12345"),
        (TEXT, "  two\r\nlines ", "two lines"),
    ],
)
def test_numbers_yes_and_text(field: Field, typed: object, expected: object) -> None:
    assert convert(field, typed) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        (INTEGER, "5.5", "'5.5' is not a whole number; write it like 12"),
        (INTEGER, Decimal("5.5"), "'5.5' is not a whole number; write it like 12"),
        (DECIMAL, "12,5", "'12,5' is not a number; write it like 1250.50"),
        (DECIMAL, "about 3", "'about 3' is not a number; write it like 1250.50"),
        (YESNO, "perhaps", "'perhaps' is not Yes or No; write Yes or No"),
    ],
)
def test_refusals_say_what_to_write(field: Field, typed: object, message: str) -> None:
    with pytest.raises(ValueProblem) as exc:
        convert(field, typed)  # type: ignore[arg-type]
    assert str(exc.value) == message


def test_multichoice_splits_and_deduplicates() -> None:
    f = get_form("registration").field("customer_requirement")
    assert convert(f, "Return; repair，Return\nexplanation") == ["return", "repair", "explanation"]
    with pytest.raises(
        ValueProblem, match="'refund' is not one of the choices; write one of: Return, "
    ):
        convert(f, "return, refund")


def test_empty_is_none() -> None:
    for f in (DATE, INTEGER, TEXT, YESNO):
        assert convert(f, "  ") is None
        assert convert(f, None) is None


MULTILINE = Field("m", "M", "multiline")


@pytest.mark.parametrize(
    ("field", "length", "limit"),
    [(TEXT, 9 * 2**20, 2000), (TEXT, 2001, 2000), (MULTILINE, 30_001, 30_000), (DATE, 101, 100)],
)
def test_over_long_values_name_their_length_the_limit_and_the_fix(
    field: Field, length: int, limit: int
) -> None:
    with pytest.raises(ValueProblem) as exc:
        convert(field, "x" * length)
    assert str(exc.value) == (
        f"the text is {length} characters long, more than the {limit} this field holds; shorten it"
    )
    assert convert(field, "2026-11-30" if field is DATE else "x" * limit) is not None


def test_long_values_given_on_the_command_line_are_refused_too() -> None:
    from forms.values import coerce

    with pytest.raises(ValueProblem, match="the text is 2001 characters long"):
        coerce(TEXT, "x" * 2001)


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        # written out (as normalise_decimal does), 1E+999999999 is a gigabyte
        (DECIMAL, "1e999999999", "'1e999999999' is beyond the numbers a form holds"),
        (DECIMAL, "1e-999999999", "'1e-999999999' is beyond the numbers a form holds"),
        (DECIMAL, Decimal("1E+999999"), "'1E+999999' is beyond the numbers a form holds"),
        (INTEGER, Decimal("1E+999999"), "'1E+999999' is beyond the numbers a form holds"),
        (DATE, Decimal("1E+999999"), "'1E+999999' is beyond the numbers a form holds"),
        (TEXT, Decimal("1E+999999"), "'1E+999999' is beyond the numbers a form holds"),
        (INTEGER, Decimal("Infinity"), "'Infinity' is not a number"),
        # int() of more than 4300 digits raises ValueError, not a problem
        (INTEGER, "9" * 99, "'" + "9" * 99 + "' is beyond the numbers a form holds"),
        (INTEGER, "9" * 5000, "the text is 5000 characters long"),
    ],
)
def test_numbers_no_form_holds_are_problems_not_costs(
    field: Field, typed: object, message: str
) -> None:
    with pytest.raises(ValueProblem) as exc:
        convert(field, typed)  # type: ignore[arg-type]
    assert str(exc.value).startswith(message)


def test_no_field_type_takes_less_than_the_length_every_value_may_have() -> None:
    # convert() looks a limit up only for text past MAX_CHARS_OTHER characters
    from forms.definition import FIELD_TYPES
    from forms.limits import MAX_CHARS_OTHER, max_chars

    assert min(max_chars(t) for t in FIELD_TYPES) == MAX_CHARS_OTHER
