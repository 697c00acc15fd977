"""Dates checked against the world. A form records what happened, so a date it gives may
not be after the day it is filed, nor a time after that day's end (a clock a few hours
off refuses nothing); only a field marked planned (a due date, a date required by) may lie
ahead. The orders that cannot have happened (goods received before delivery) are each
form's own, in its rule; the words for them are here, so that every date problem reads
alike: "<where>: <value> is <what>; <why it cannot be>: <fix>"."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime, time
from typing import Any

from forms.definition import WHEN_TYPES, Field, FormDefinition, get_form
from language import N_, _, current, formats

# What a date after the filing day is, and what to do, by the field's type and whether
# it may be left empty: whole sentences, so that a translator sees each as it is read.
_AHEAD: dict[tuple[bool, bool], str] = {
    (True, True): N_(
        "{where}: {value} is after today ({today}); a time that has not come yet cannot be "
        "recorded: write when it happened"
    ),
    (True, False): N_(
        "{where}: {value} is after today ({today}); a time that has not come yet cannot be "
        "recorded: write when it happened, or leave it empty until then"
    ),
    (False, True): N_(
        "{where}: {value} is after today ({today}); a date that has not happened yet cannot be "
        "recorded: write the date it happened"
    ),
    (False, False): N_(
        "{where}: {value} is after today ({today}); a date that has not happened yet cannot be "
        "recorded: write the date it happened, or leave it empty until then"
    ),
}


def unhappened(form: FormDefinition, values: Mapping[str, Any], now: datetime) -> list[str]:
    """Every date or time on the form, outside a planned field, later than the filing day."""
    today = now.date()
    problems: list[str] = []
    for at, f, value in moments(form, values):
        if f.planned:
            continue
        day = value.date() if isinstance(value, datetime) else value
        if day <= today:
            continue
        problems.append(
            _(_AHEAD[f.type == "datetime", f.required]).format(
                where=where(form, at, f), value=shown_when(value), today=formats.day(today)
            )
        )
    return problems


def moments(
    form: FormDefinition, values: Mapping[str, Any]
) -> Iterator[tuple[tuple[Field, int] | None, Field, date]]:
    """Each date or time filled on the form: the table and row it is in (None: a field of
    its own), its field (or column) and its value. `where` says where it is in words,
    only when a problem is said (a filing says none)."""
    for f in form.fields:
        if f.type == "table":
            rows = values.get(f.id) or []
            for number, row in enumerate(rows, 1):
                for col in f.columns:
                    value = row.get(col.id) if isinstance(row, Mapping) else None
                    if col.type in WHEN_TYPES and isinstance(value, date):
                        yield (f, number), col, value
        elif f.type in WHEN_TYPES:
            value = values.get(f.id)
            if isinstance(value, date):
                yield None, f, value


def where(form: FormDefinition, at: tuple[Field, int] | None, f: Field) -> str:
    """Where a date is, in the reader's words in the language in use: "Corrective
    actions, row 1, Done on", or the field's label."""
    if at is None:
        return f.label_in(current())
    table, number = at
    return in_row(table.label_in(current()), number, f.label_in(current()))


def in_row(table: str, number: int, column: str) -> str:
    return _("{table}, row {row}, {column}").format(table=table, row=number, column=column)


def column_dates(values: Mapping[str, Any], table: str, column: str) -> Iterator[tuple[int, date]]:
    """The dates filled in one column of a table, with their row numbers (from 1)."""
    for number, row in enumerate(values.get(table) or [], 1):
        value = row.get(column) if isinstance(row, Mapping) else None
        if isinstance(value, date):
            yield number, value.date() if isinstance(value, datetime) else value


def label(form_id: str, field_id: str) -> str:
    """A field's label in the language in use."""
    return get_form(form_id).field(field_id).label_in(current())


def column_label(form_id: str, table: str, column: str) -> str:
    """A table column's label in the language in use."""
    return get_form(form_id).field(table).column(column).label_in(current())


def shown_when(value: date) -> str:
    """A date as the language in use writes it (2026-11-30, 2026年11月30日); a time to the
    minute, its date alone at midnight."""
    if isinstance(value, datetime):
        if value.time() == time(0):
            return formats.day(value.date())
        return formats.minute(value)
    return formats.day(value)


def before(where: str, value: date, than: str, fix: str) -> str:
    """A date before one it cannot precede: 'Goods received date: 2026-11-01 is before the
    delivery date (2026-11-05); <fix>' (than and fix said in the language in use)."""
    return _("{where}: {value} is before {than}; {fix}").format(
        where=where, value=shown_when(value), than=than, fix=fix
    )
