"""Dates, times, numbers and money as the language in use writes them (Babel's CLDR data),
for what a person reads: `2026年11月30日 10:05` and `¥2,400.00` in Chinese. English keeps
the forms' own unambiguous way (`2026-11-30 10:05`, `CNY 2,400.00`), which a reader in any
country takes the one way. Files meant for machines (JSON, case.json) never use these.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal

from language.codes import babel_locale
from language.current import current

# A day, and a moment to the minute, per language (CLDR patterns); English: ISO 8601.
_DAY = {"en": "yyyy-MM-dd", "zh-CN": "y年M月d日"}
_MINUTE = {"en": "yyyy-MM-dd HH:mm", "zh-CN": "y年M月d日 HH:mm"}


def day(value: date) -> str:
    """A day: `2026-11-30`, `2026年11月30日`."""
    if isinstance(value, datetime):
        value = value.date()
    language = current()
    return format_date(value, _DAY.get(language, "medium"), locale=babel_locale(language))


def minute(value: datetime) -> str:
    """A moment to the minute: `2026-11-30 10:05`, `2026年11月30日 10:05`."""
    language = current()
    return format_datetime(
        value, _MINUTE.get(language, "short"), tzinfo=value.tzinfo, locale=babel_locale(language)
    )


def number(value: int | float | Decimal, places: int | None = None) -> str:
    """A number with the language's grouping: `12,345`, `1,250.5`."""
    language = current()
    if places is None:
        return format_decimal(value, locale=babel_locale(language), group_separator=True)
    pattern = "#,##0." + "0" * places if places else "#,##0"
    return format_decimal(value, format=pattern, locale=babel_locale(language))


def money(amount: Decimal | int | float, currency: str) -> str:
    """An amount of `currency` (ISO 4217): `CNY 2,400.00`, `¥2,400.00`, `€2,400.00`."""
    language = current()
    if language == "en":
        return f"{currency} {Decimal(str(amount)):,.2f}"
    return format_currency(amount, currency, locale=babel_locale(language))
