"""Times and amounts as Chinese clerks write them (issue #14): 2026年11月3日14:30,
14时30分, 下午2:30, 1250元, ￥1,250.50, full-width digits from the input method. A date is a
date and an amount a Decimal whatever language wrote them; what cannot be read is refused
in words the clerk can act on."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from forms.definition import Field, get_form
from forms.reader import read_form
from forms.values import ValueProblem, convert, to_json
from forms.writer import write_form
from language import use
from tests.office import fill_docx, fill_xlsx

DATE = Field("d", "D", "date")
DATETIME = Field("t", "T", "datetime")
INTEGER = Field("i", "I", "integer")
DECIMAL = Field("n", "N", "decimal")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2026年11月3日14:30", datetime(2026, 11, 3, 14, 30)),
        ("2026年11月3日 14:30", datetime(2026, 11, 3, 14, 30)),
        ("2026年11月3日 14时30分", datetime(2026, 11, 3, 14, 30)),
        ("2026年11月3日14时30分15秒", datetime(2026, 11, 3, 14, 30, 15)),
        ("2026年11月3日 14点30", datetime(2026, 11, 3, 14, 30)),
        ("2026-11-03 14时", datetime(2026, 11, 3, 14, 0)),
        ("2026/11/3 9时5分", datetime(2026, 11, 3, 9, 5)),
        ("2026年11月3号 9:05", datetime(2026, 11, 3, 9, 5)),
        ("2026年11月3日 下午2:30", datetime(2026, 11, 3, 14, 30)),
        ("2026年11月3日下午2点半", datetime(2026, 11, 3, 14, 30)),
        ("2026-11-03 上午9:30", datetime(2026, 11, 3, 9, 30)),
        ("2026-11-03 下午 12:30", datetime(2026, 11, 3, 12, 30)),  # noon, as CLDR writes it
        ("2026-11-03 上午12:30", datetime(2026, 11, 3, 0, 30)),  # half past midnight
        ("2026-11-03 下午14:30", datetime(2026, 11, 3, 14, 30)),  # said twice, meant once
        ("２０２６－１１－０３\u3000１４：３０", datetime(2026, 11, 3, 14, 30)),  # full width
        ("2026年11月3日", datetime(2026, 11, 3)),
    ],
)
def test_chinese_times_of_day_are_read(typed: str, expected: datetime) -> None:
    assert convert(DATETIME, typed) == expected
    assert to_json(DATETIME, expected) == expected.isoformat(timespec="seconds")


@pytest.mark.parametrize(
    "typed",
    [
        "2026-11-03 上午14:30",  # morning and a 24-hour afternoon time: which was meant?
        "2026-11-03 下午0:30",
        "2026年11月3日 14时60分",
        "2026年11月3日 25时",
        "2026年11月3日 晚上8点",  # only 上午 and 下午 say which half of the day
        "2026-11-0314:30",  # a day number runs into the hour
        "14时30分",  # a time with no date
    ],
)
def test_times_that_cannot_be_read_are_refused_in_chinese(typed: str) -> None:
    with use("zh-CN"), pytest.raises(ValueProblem) as exc:
        convert(DATETIME, typed)
    assert str(exc.value) == f"“{typed}”不是日期和时间；请按 2026-11-30 14:30 的格式填写"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("2026年11月3号", date(2026, 11, 3)), ("２０２６年１１月３日", date(2026, 11, 3))],
)
def test_chinese_dates_are_read(typed: str, expected: date) -> None:
    assert convert(DATE, typed) == expected


def test_a_date_field_still_refuses_a_time_of_day() -> None:
    with use("zh-CN"), pytest.raises(ValueProblem) as exc:
        convert(DATE, "2026年11月3日 14:30")
    assert str(exc.value) == "“2026年11月3日 14:30”不是日期；请按 2026-11-30 的格式填写"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1250元", Decimal("1250")),
        ("1250.50 元", Decimal("1250.5")),
        ("1,250.50元整", Decimal("1250.5")),
        ("￥1,250.50", Decimal("1250.5")),
        ("¥1,250.50", Decimal("1250.5")),
        ("人民币1,250.50元", Decimal("1250.5")),
        ("RMB 1,250.50", Decimal("1250.5")),
        ("CNY 2,400.00", Decimal("2400")),  # as an English page writes money
        ("１２５０．５０", Decimal("1250.5")),
        ("－３.５", Decimal("-3.5")),
    ],
)
def test_amounts_as_chinese_clerks_write_them_are_decimals(typed: str, expected: Decimal) -> None:
    assert convert(DECIMAL, typed) == expected
    assert to_json(DECIMAL, expected) == format(expected, "f")


def test_a_whole_number_in_yuan_is_whole() -> None:
    assert convert(INTEGER, "1250元") == 1250
    assert convert(INTEGER, "１，２５０") == 1250


@pytest.mark.parametrize(
    ("field", "typed", "said"),
    [
        (DECIMAL, "1.25万", "“1.25万”以“万”为单位；请写出完整的数字：12500"),
        (DECIMAL, "1.25万元", "“1.25万元”以“万”为单位；请写出完整的数字：12500"),
        (INTEGER, "3亿", "“3亿”以“亿”为单位；请写出完整的数字：300000000"),
        (DECIMAL, "1250元5角", "“1250元5角”不是数字；请按 1250.50 的格式填写"),
        (DECIMAL, "壹仟贰佰伍拾元整", "“壹仟贰佰伍拾元整”不是数字；请按 1250.50 的格式填写"),
        (DECIMAL, "12,5", "“12,5”不是数字；请按 1250.50 的格式填写"),
    ],
)
def test_amounts_that_cannot_be_read_are_refused_saying_what_to_write(
    field: Field, typed: str, said: str
) -> None:
    with use("zh-CN"), pytest.raises(ValueProblem) as exc:
        convert(field, typed)
    assert str(exc.value) == said


def test_a_number_counted_in_wan_is_refused_in_english_too() -> None:
    with pytest.raises(ValueProblem) as exc:
        convert(DECIMAL, "1.25万")
    assert str(exc.value) == "'1.25万' counts in 万; write the whole number, 12500"


@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
def test_a_chinese_form_filled_so_reads_back_the_same_values(fmt: str, tmp_path: Path) -> None:
    """Typed into a real form by its Chinese labels, read by a reader that speaks English."""
    blank = write_form(get_form("registration"), fmt, tmp_path / f"blank.{fmt}", language="zh-CN")  # type: ignore[arg-type]
    typed = {
        "投诉日期": "2026年11月3号",
        "接收时间（日期及时间）": "2026年11月3日下午2:30",
        "回复客户确认时间": "2026年11月3日 16时05分",
        "交货数量": "１２",
    }
    filled = (fill_docx if fmt == "docx" else fill_xlsx)(blank, typed, tmp_path / f"filled.{fmt}")
    fields = read_form(filled).to_json()["fields"]
    assert fields["complaint_date"] == "2026-11-03"
    assert fields["received_at"] == "2026-11-03T14:30:00"
    assert fields["confirmed_to_customer_at"] == "2026-11-03T16:05:00"
    assert fields["quantity_delivered"] == 12
