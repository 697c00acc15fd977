"""Typed field values: parsing what people type, formatting what we write, JSON shapes.

One place decides what counts as a date, a number or a yes, so that the .docx reader, the
.xlsx reader and `--set` on the command line accept exactly the same things, and every
refusal is a sentence a clerk can act on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, TypeAlias

from forms.definition import Field
from forms.limits import MAX_CHARS_OTHER, MAX_NUMBER_EXPONENT, max_chars
from forms.moments import narrow, parse_date, parse_datetime
from forms.problems import (
    DATE_EXAMPLE,
    DATETIME_EXAMPLE,
    Problem,
    ValueProblem,
    beyond,
    counted_in,
    not_a_date,
    not_a_number,
    not_whole,
)
from language import _, current

__all__ = [
    "DATETIME_EXAMPLE",
    "DATE_EXAMPLE",
    "Problem",
    "ValueProblem",
    "parse_date",
    "parse_datetime",
]

#: What a reader finds in a cell before it is typed: text, or for .xlsx the cell's own
#: number (kept exact as Decimal), boolean or ISO date.
Raw: TypeAlias = str | Decimal | bool | date | None
#: A typed scalar value. Tables are lists of row dicts of these.
Scalar: TypeAlias = str | int | Decimal | bool | date | datetime | list[str]
Value: TypeAlias = Scalar | list[dict[str, Any]] | None

_INT = re.compile(r"^[+-]?(\d+|\d{1,3}(,\d{3})+)(\.0*)?$")
_DEC = re.compile(r"^[+-]?(\d+|\d{1,3}(,\d{3})+)?(\.\d+)?([eE][+-]?\d+)?$")
_CURRENCY = "¥￥$€£"
_CURRENCY_WORDS = re.compile(r"^(?:人民币|RMB|CNY)|元整?$", re.IGNORECASE)
# A number counted in ten thousands or hundred millions, as Chinese says large amounts.
_COUNTS = {"万": 10_000, "亿": 100_000_000}
_COUNTED = re.compile(r"^([+-]?[\d,]*\.?\d+)(万|亿)$")
_YES = {"yes", "y", "true", "1", "x", "✓", "✔", "☑", "☒", "是", "有", "ja", "oui", "si", "sí"}
_NO = {"no", "n", "false", "0", "✗", "✘", "☐", "否", "无", "無", "nein", "non"}
_SPLIT = re.compile(r"[,;\n、，；]+")
# Characters XML 1.0 cannot carry; a value holding them could not be saved at all.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EXCEL_EPOCH_1900 = datetime(1899, 12, 30)
_EXCEL_EPOCH_1904 = datetime(1904, 1, 1)


def clean_text(text: str) -> str:
    """Normalise text as read: one kind of line break, no stray surrounding blanks."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    return text.strip()


def xml_safe(text: str) -> str:
    """Drop characters that XML cannot hold (they cannot be typed into Word or Excel)."""
    return _XML_ILLEGAL.sub("", text)


def _numeric_text(text: str) -> str:
    """The number in text, without blanks, a currency's sign or name (¥, 人民币, RMB,
    CNY) or 元 after it (1250元, 1250.50 元整). A number counted in 万 or 亿 is refused,
    saying the whole number to write instead."""
    t = narrow(text).strip().replace(" ", "").replace("\u202f", "")
    t = _CURRENCY_WORDS.sub("", t)
    t = t.lstrip(_CURRENCY) if t[:1] in _CURRENCY else t
    m = _COUNTED.match(t)
    if m:
        raise counted_in(text, m[2], _whole(m[1], _COUNTS[m[2]]))
    return t


def _whole(number: str, count: int) -> str | None:
    """number counted in count, as the whole number (1.25万: 12500), if it is one."""
    try:
        return format(normalise_decimal(Decimal(number.replace(",", "")) * count), "f")
    except InvalidOperation:
        return None


def parse_integer(text: str) -> int:
    t = _numeric_text(text)
    if not _INT.match(t):
        raise not_whole(text)
    digits = t.split(".")[0].replace(",", "")
    if len(digits.lstrip("+-0")) > MAX_NUMBER_EXPONENT + 1:
        raise beyond(text, "12")
    return int(digits)


def parse_decimal(text: str) -> Decimal:
    t = _numeric_text(text)
    if not t or not _DEC.match(t) or not any(c.isdigit() for c in t):
        raise not_a_number(text)
    try:
        number = Decimal(t.replace(",", ""))
    except InvalidOperation:
        raise not_a_number(text) from None
    return normalise_decimal(bounded_number(number, text))


def bounded_number(d: Decimal, text: str) -> Decimal:
    """d, if it is a number a form can hold: finite, and not so large or small that
    writing it out (normalise_decimal does) would take megabytes."""
    if not d.is_finite():
        raise not_a_number(text)
    if not d.is_zero() and abs(d.adjusted()) > MAX_NUMBER_EXPONENT:
        raise beyond(text, "1250.50")
    return d


def check_length(f: Field, text: str) -> str:
    """text, if it is no longer than a field of f's type takes."""
    limit = max_chars(f.type)
    if len(text) > limit:
        raise ValueProblem(
            _(
                "the text is {length} characters long, more than the {limit} this field holds"
            ).format(length=len(text), limit=limit),
            _("shorten it"),
        )
    return text


def normalise_decimal(d: Decimal) -> Decimal:
    """The one exact form of a number: no exponent (1E-7 from spreadsheets), no trailing
    zeros (a spreadsheet cell keeps none, so 1250.50 and 1250.5 must compare equal), no -0."""
    if d.is_zero():
        return Decimal(0)
    return Decimal(format(d.normalize(), "f"))


def parse_yesno(text: str) -> bool:
    key = text.strip().strip(".!").casefold()
    if key in _YES:
        return True
    if key in _NO:
        return False
    raise ValueProblem(_("'{value}' is not Yes or No").format(value=text), _("write Yes or No"))


def parse_choice(f: Field, text: str) -> str:
    c = f.choice(text)
    if c is None:
        language = current()
        raise ValueProblem(
            _("'{value}' is not one of the choices").format(value=text),
            _("write one of: {choices}").format(
                choices=_(", ").join(ch.label_in(language) for ch in f.choices)
            ),
        )
    return c.id


def parse_multichoice(f: Field, text: str) -> list[str]:
    picked: list[str] = []
    for part in _SPLIT.split(text):
        if part.strip():
            cid = parse_choice(f, part.strip())
            if cid not in picked:
                picked.append(cid)
    return picked


def excel_serial_to_datetime(serial: Decimal, date1904: bool) -> datetime:
    """A spreadsheet date number as a datetime, to the nearest second."""
    epoch = _EXCEL_EPOCH_1904 if date1904 else _EXCEL_EPOCH_1900
    seconds = int((serial * 86400).to_integral_value())
    return epoch + timedelta(seconds=seconds)


#: The years a date of the loop may fall in. A complaint dated 9999-12-31 once overflowed
#: the deadline arithmetic (its close date lies past the last date Python has) on every
#: pass after it was filed; no real complaint, delivery or action is outside these years.
MIN_YEAR, MAX_YEAR = 1900, 2100


def convert(f: Field, raw: Raw, date1904: bool = False) -> Scalar | None:
    """Type one raw cell for field (or column) f; None when empty. Raises ValueProblem."""
    value = _convert(f, raw, date1904)
    if isinstance(value, date) and not MIN_YEAR <= value.year <= MAX_YEAR:
        shown = (
            value.isoformat(sep=" ", timespec="minutes")
            if isinstance(value, datetime)
            else value.isoformat()
        )
        raise ValueProblem(
            _("'{value}' is not a date this loop can hold (years {first} to {last})").format(
                value=shown, first=MIN_YEAR, last=MAX_YEAR
            ),
            _("write it like {example}").format(
                example=DATE_EXAMPLE if f.type == "date" else DATETIME_EXAMPLE
            ),
        )
    return value


def _convert(f: Field, raw: Raw, date1904: bool) -> Scalar | None:
    if raw is None or (isinstance(raw, str) and not clean_text(raw)):
        return None
    t = f.type
    if isinstance(raw, bool):
        if t == "yesno":
            return raw
        raw = "Yes" if raw else "No"
    if isinstance(raw, Decimal):
        raw = bounded_number(raw, str(raw))
        if t == "decimal":
            return normalise_decimal(raw)
        if t == "integer":
            if raw != raw.to_integral_value():
                raise not_whole(format(raw, "f"))
            return int(raw)
        if t in ("date", "datetime"):
            try:
                moment = excel_serial_to_datetime(raw, date1904)
            except (OverflowError, ValueError, InvalidOperation):
                raise not_a_date(str(raw)) from None
            return moment if t == "datetime" else moment.date()
        if t == "yesno" and raw in (0, 1):
            return raw == 1
        raw = format(normalise_decimal(raw), "f")
    if isinstance(raw, date):
        if t == "datetime":
            return raw if isinstance(raw, datetime) else datetime(raw.year, raw.month, raw.day)
        if t == "date":
            return raw.date() if isinstance(raw, datetime) else raw
        raw = format_value(
            Field("_", "_", "datetime" if isinstance(raw, datetime) else "date"), raw
        )
    text = clean_text(raw)
    if len(text) > MAX_CHARS_OTHER:  # the smallest limit: most values need no look-up
        check_length(f, text)
    if t == "text":
        return " ".join(text.split("\n")) if "\n" in text else text
    if t == "multiline":
        return text
    if t == "date":
        return parse_date(text)
    if t == "datetime":
        return parse_datetime(text)
    if t == "integer":
        return parse_integer(text)
    if t == "decimal":
        return parse_decimal(text)
    if t == "yesno":
        return parse_yesno(text)
    if t == "choice":
        return parse_choice(f, text)
    if t == "multichoice":
        return parse_multichoice(f, text) or None
    raise ValueError(f"field type {t} has no scalar conversion")


def format_value(f: Field, value: Any) -> str:
    """A typed value as the text a person reads in the form."""
    if value is None:
        return ""
    t = f.type
    if t == "datetime" and isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M" if value.second == 0 else "%Y-%m-%d %H:%M:%S")
    if t == "date" and isinstance(value, date):
        return value.isoformat()
    if t == "decimal" and isinstance(value, Decimal):
        return format(normalise_decimal(value), "f")
    if t == "yesno" and isinstance(value, bool):
        return "Yes" if value else "No"
    if t == "choice" and isinstance(value, str):
        return f.choice_label(value)
    if t == "multichoice" and isinstance(value, list):
        return ", ".join(f.choice_label(v) for v in value)
    return xml_safe(str(value))


def to_json(f: Field, value: Any) -> Any:
    """A typed value in the JSON shape of `closedloop read --json`."""
    if value is None:
        return None
    if f.type == "table":
        return [{c.id: to_json(c, row.get(c.id)) for c in f.columns} for row in value]
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(normalise_decimal(value), "f")
    return value


def coerce(f: Field, value: Any) -> Value:
    """A value given by a program or on the command line, checked and typed for field f.

    Strings are parsed as a clerk's typing would be; typed values must fit the field.
    Raises ValueProblem.
    """
    if value is None or value == "":
        return None
    if f.type == "table":
        if not isinstance(value, Sequence) or isinstance(value, str):
            raise ValueProblem(_("a table takes a list of rows"), _("give a list of objects"))
        rows: list[dict[str, Any]] = []
        for row in value:
            if not isinstance(row, Mapping):
                raise ValueProblem(
                    _("each table row must be an object"), _("give column: value pairs")
                )
            unknown = set(row) - {c.id for c in f.columns}
            if unknown:
                raise ValueProblem(
                    _("unknown columns {columns}").format(columns=sorted(unknown)),
                    _("use: {columns}").format(columns=", ".join(c.id for c in f.columns)),
                )
            rows.append({c.id: coerce(c, row.get(c.id)) for c in f.columns})
        return rows
    if isinstance(value, str):
        return convert(f, value)
    return _coerce_typed(f, value)


def _coerce_typed(f: Field, value: object) -> Value:
    t = f.type
    if t in ("text", "multiline") and isinstance(value, str):
        return check_length(f, clean_text(xml_safe(value))) or None
    if t == "multichoice" and isinstance(value, list | tuple):
        return [parse_choice(f, str(v)) for v in value]
    if t == "datetime" and isinstance(value, datetime):
        return value
    if t == "date" and isinstance(value, date) and not isinstance(value, datetime):
        return value
    if t == "integer" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if t == "decimal" and isinstance(value, Decimal | int) and not isinstance(value, bool):
        return normalise_decimal(bounded_number(Decimal(value), str(value)))
    if t == "yesno" and isinstance(value, bool):
        return value
    raise ValueProblem(
        _("{value} does not fit a {type} field").format(value=repr(value), type=t),
        _("give a {type} value").format(type=t),
    )
