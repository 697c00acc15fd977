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


def unhappened(form: FormDefinition, values: Mapping[str, Any], now: datetime) -> list[str]:
    """Every date or time on the form, outside a planned field, later than the filing day."""
    today = now.date()
    problems: list[str] = []
    for where, f, value in moments(form, values):
        if f.planned:
            continue
        day = value.date() if isinstance(value, datetime) else value
        if day <= today:
            continue
        if f.type == "datetime":
            what, fix = "a time that has not come yet", "write when it happened"
        else:
            what, fix = "a date that has not happened yet", "write the date it happened"
        if not f.required:
            fix += ", or leave it empty until then"
        problems.append(
            f"{where}: {shown_when(value)} is after today ({today.isoformat()}); "
            f"{what} cannot be recorded: {fix}"
        )
    return problems


def moments(form: FormDefinition, values: Mapping[str, Any]) -> Iterator[tuple[str, Field, date]]:
    """Each date or time filled on the form: where it is in the reader's words ("Corrective
    actions, row 1, Done on"), its field (or column) and its value."""
    for f in form.fields:
        if f.type == "table":
            rows = values.get(f.id) or []
            for number, row in enumerate(rows, 1):
                for col in f.columns:
                    value = row.get(col.id) if isinstance(row, Mapping) else None
                    if col.type in WHEN_TYPES and isinstance(value, date):
                        yield f"{f.label}, row {number}, {col.label}", col, value
        elif f.type in WHEN_TYPES:
            value = values.get(f.id)
            if isinstance(value, date):
                yield f.label, f, value


def column_dates(values: Mapping[str, Any], table: str, column: str) -> Iterator[tuple[int, date]]:
    """The dates filled in one column of a table, with their row numbers (from 1)."""
    for number, row in enumerate(values.get(table) or [], 1):
        value = row.get(column) if isinstance(row, Mapping) else None
        if isinstance(value, date):
            yield number, value.date() if isinstance(value, datetime) else value


def label(form_id: str, field_id: str) -> str:
    return get_form(form_id).field(field_id).label


def column_label(form_id: str, table: str, column: str) -> str:
    return get_form(form_id).field(table).column(column).label


def shown_when(value: date) -> str:
    """A date as 2026-11-30; a time to the minute, its date alone at midnight."""
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return f"{value:%Y-%m-%d %H:%M}"
    return value.isoformat()


def before(where: str, value: date, than: str, fix: str) -> str:
    """A date before one it cannot precede: 'Goods received date: 2026-11-01 is before the
    delivery date (2026-11-05); <fix>'."""
    return f"{where}: {shown_when(value)} is before {than}; {fix}"
