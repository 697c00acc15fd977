"""The dates and numbers language.formats writes by hand are what Babel (CLDR) writes for
the same patterns, in every shipped language; English days and moments are ISO 8601."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from hypothesis import given
from hypothesis import strategies as st

from language import LANGUAGES, babel_locale, use
from language.formats import day, minute, money, number

CLDR_DAY = {"en": "yyyy-MM-dd", "zh-CN": "y年M月d日"}

moments = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(9999, 12, 31))
amounts = st.decimals(
    min_value=Decimal("-1e12"), max_value=Decimal("1e12"), allow_nan=False, places=4
)


@given(moments)
def test_days_and_moments_are_cldrs(moment: datetime) -> None:
    for language in LANGUAGES:
        with use(language):
            locale = babel_locale(language)
            assert day(moment.date()) == format_date(moment, CLDR_DAY[language], locale=locale)
            pattern = f"{CLDR_DAY[language]} HH:mm"
            assert minute(moment) == format_datetime(moment, pattern, locale=locale)


def test_english_is_iso_and_an_aware_moment_keeps_its_own_clock() -> None:
    moment = datetime(2026, 11, 3, 9, 5, tzinfo=timezone(timedelta(hours=8)))
    with use("en"):
        assert (day(moment.date()), minute(moment)) == ("2026-11-03", "2026-11-03 09:05")
    with use("zh-CN"):
        assert (day(moment.date()), minute(moment)) == ("2026年11月3日", "2026年11月3日 09:05")


@given(amounts | st.integers(-(10**12), 10**12), st.sampled_from([None, 0, 1, 2]))
def test_numbers_are_cldrs(value: Decimal | int, places: int | None) -> None:
    pattern = "#,##0.###" if places is None else "#,##0" + ("." + "0" * places if places else "")
    for language in LANGUAGES:
        with use(language):
            expected = format_decimal(value, format=pattern, locale=babel_locale(language))
            assert number(value, places) == expected


def test_money() -> None:
    with use("en"):
        assert money(Decimal("2400"), "CNY") == "CNY 2,400.00"
    with use("zh-CN"):
        assert money(Decimal("2400"), "CNY") == "¥2,400.00"
        assert money(5, "EUR") == "€5.00"
