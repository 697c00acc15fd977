"""A record in the words a person reads: labels for the ids a case and its filings hold.

The registry, case.json and every `--json` output keep the ids (`transport_damage`,
`storage_transportation`, `accepted`); the packet cover, the auditor's pages, the status
text, the reports and the mail show what is here instead: a choice by its label in the
form's definition, a department by its outbox's name (the site's settings), a state or a
resolution by the words beside its enum, money with the site's currency, times to the
minute.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from filing.states import RESOLUTION_WORDS, STATE_WORDS
from forms.definition import Field, get_form
from language import N_, _, current, formats

# Money on the forms is a decimal field named for what it is: an amount or a price.
_MONEY = re.compile(r"(_amount|_price)$")
# A history note names a department by its id after "to" or "by" ("established; to
# storage_transportation", "goods received; repair by after_sales"), and the contract
# review's decision by its id in brackets. Notes are recorded as written; they are put in
# words when they are shown.
_DEPARTMENT_IN_NOTE = re.compile(r"\b(to|by) ([a-z][a-z0-9_]*)\b")
_DECISION_IN_NOTE = re.compile(r"review decided \(([a-z][a-z0-9_]*)\)")


def minute(at: datetime | date | str | None) -> str:
    """A moment to the minute (`2026-11-20 10:00`), a day as it is, nothing as ""."""
    if at is None or at == "":
        return ""
    if isinstance(at, str):
        try:
            at = datetime.fromisoformat(at) if "T" in at or " " in at else date.fromisoformat(at)
        except ValueError:
            return str(at)
    if isinstance(at, datetime):
        return formats.minute(at)
    return formats.day(at)


def day_or_minute(at: datetime | str | None) -> str:
    """A moment known only by its day (a date on a form: goods received, actions done on)
    is held as midnight; it is shown as the day, not as 00:00."""
    if isinstance(at, str):
        try:
            at = datetime.fromisoformat(at)
        except ValueError:
            return str(at)
    if at is not None and at.time() == time(0):
        return formats.day(at.date())
    return minute(at)


#: The deadlines of DOMAIN.md (filing/deadlines.py names them by these ids).
DEADLINE_WORDS: dict[str, str] = {
    "confirm": N_("Confirm to the customer"),
    "containment": N_("Containment"),
    "actions": N_("Improvement actions done"),
    "close": N_("Case closed"),
}


def deadline_words(name: str) -> str:
    return _(DEADLINE_WORDS[name]) if name in DEADLINE_WORDS else name


def state_words(state: str) -> str:
    return _(STATE_WORDS[state]) if state in STATE_WORDS else state


def resolution_words(resolution: str | None) -> str:
    if not resolution:
        return ""
    return _(RESOLUTION_WORDS[resolution]) if resolution in RESOLUTION_WORDS else resolution


def where_it_stands(state: str, resolution: str | None) -> str:
    """The state, and how a closed case ended: `Closed: the customer accepts the result`."""
    ended = resolution_words(resolution)
    if not ended:
        return state_words(state)
    if current() != "en":  # lower case is English's way of running on after a colon
        return _("{state}: {ending}").format(state=state_words(state), ending=ended)
    return f"{state_words(state)}: {ended[0].lower()}{ended[1:]}"


def category_label(category: str | None) -> str:
    """The complaint's category as the registration form names it."""
    if not category:
        return ""
    return get_form("registration").field("category").choice_label(category, current())


def department_name(outboxes: Mapping[str, str], department: str | None) -> str:
    """A department by the name of its outbox (the site's settings: `policy.outboxes`)."""
    if not department:
        return ""
    return outboxes.get(department, department)


def form_title(form_id: str | None) -> str:
    if not form_id:
        return ""
    try:
        return get_form(form_id).title_in(current())
    except KeyError:
        return form_id


def money(amount: Decimal, currency: str) -> str:
    """`CNY 2,400.00` (English: the site's currency first, as on an invoice), `¥2,400.00`."""
    return formats.money(amount, currency)


def is_money(field: Field) -> bool:
    return field.type == "decimal" and _MONEY.search(field.id) is not None


def value_text(field: Field, value: Any, currency: str) -> str:
    """A filed value (the JSON a filing holds) as the form shows it: a choice by its label,
    yes or no, a time to the minute, money with the currency; nothing as ""."""
    if value is None or value == "" or value == []:
        return ""
    t = field.type
    if t == "choice" and isinstance(value, str):
        return field.choice_label(value, current())
    if t == "multichoice" and isinstance(value, list):
        return _(", ").join(field.choice_label(str(v), current()) for v in value)
    if t == "yesno" and isinstance(value, bool):
        return _("Yes") if value else _("No")
    if t in ("date", "datetime"):
        return minute(value)
    if t == "decimal":
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            return str(value)
        return money(number, currency) if is_money(field) else f"{number.normalize():f}"
    if t == "table" and isinstance(value, list):
        return "; ".join(
            ", ".join(
                text for c in field.columns if (text := value_text(c, row.get(c.id), currency))
            )
            for row in value
            if isinstance(row, dict)
        )
    return str(value)


def field_text(form_id: str, field_id: str, value: Any, currency: str) -> tuple[str, str] | None:
    """(label, value in words) of a filed field, or None when it is empty or unknown."""
    try:
        field = get_form(form_id).field(field_id)
    except KeyError:
        return None
    text = value_text(field, value, currency)
    return (field.label_in(current()), text) if text else None


def note_words(note: str, outboxes: Mapping[str, str]) -> str:
    """A history note with the ids it names put in words."""

    def department(m: re.Match[str]) -> str:
        name = outboxes.get(m[2])
        return f"{m[1]} {name}" if name else m[0]

    def decision(m: re.Match[str]) -> str:
        label = get_form("contract_review").field("decision").choice_label(m[1], current())
        return _("review decided ({decision})").format(decision=label)

    return _DECISION_IN_NOTE.sub(decision, _DEPARTMENT_IN_NOTE.sub(department, note))


def and_more(count: int) -> str:
    """After a capped list (a case's repeats): how many more there are; "" for none."""
    return " " + _("and {count} more").format(count=count) if count > 0 else ""
