"""Dates, times, numbers and money as the language in use writes them, for what a person
reads: `2026年11月30日 10:05` and `¥2,400.00` in Chinese. English keeps the forms' own
unambiguous way (`2026-11-30 10:05`, `CNY 2,400.00`), which a reader in any country takes
the one way. Files meant for machines (JSON, case.json) never use these.

The patterns are CLDR's (Babel's data): a day `y年M月d日`, a number `#,##0.###`. Days,
moments and numbers are written here directly in those patterns, since a filing writes
dozens of them and Babel's general formatter costs 10-15 µs and 5 MB of locale data for
each language it touches; tests/test_formats.py holds them equal to Babel's output. Money
in Chinese goes through Babel (its currency symbols and placement are CLDR's to know).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal

from language.codes import babel_locale
from language.current import current

# A day per language, as CLDR writes it (English: ISO 8601, the forms' own way).
_DAY = {"en": "{y:04d}-{m:02d}-{d:02d}", "zh-CN": "{y}年{m}月{d}日"}


def day(value: date) -> str:
    """A day: `2026-11-30`, `2026年11月30日`."""
    pattern = _DAY.get(current(), _DAY["en"])
    return pattern.format(y=value.year, m=value.month, d=value.day)


def minute(value: datetime) -> str:
    """A moment to the minute: `2026-11-30 10:05`, `2026年11月30日 10:05`."""
    return f"{day(value)} {value.hour:02d}:{value.minute:02d}"


def number(value: int | float | Decimal, places: int | None = None) -> str:
    """A number with its thousands grouped (`12,345`, `1,250.5`): up to three decimals as
    CLDR's `#,##0.###`, or exactly `places`. Both shipped languages group and point alike."""
    exact = Decimal(str(value))
    if places is None:
        rounded = exact.quantize(Decimal("0.001"), ROUND_HALF_EVEN)
        text = f"{rounded:,f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
    else:
        text = f"{exact.quantize(Decimal(1).scaleb(-places), ROUND_HALF_EVEN):,f}"
    return text


def money(amount: Decimal | int | float, currency: str) -> str:
    """An amount of `currency` (ISO 4217): `CNY 2,400.00`, `¥2,400.00`, `€2,400.00`."""
    language = current()
    if language == "en":
        return f"{currency} {Decimal(str(amount)):,.2f}"
    from babel.numbers import format_currency  # loaded only where a language needs it

    return format_currency(amount, currency, locale=babel_locale(language))
