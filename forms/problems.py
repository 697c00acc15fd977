"""What is wrong with a value as read, in the words of the language in use: the reason
and the fix a clerk acts on ("'31/13/2026' is not a date; write it like 2026-11-30").
The reader puts the field's label in front (forms.reader)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from language import _

DATE_EXAMPLE = "2026-11-30"
DATETIME_EXAMPLE = "2026-11-30 14:30"


@dataclass(frozen=True)
class Problem:
    """Something wrong with one field of a filled form, said so a clerk can fix it."""

    field: str
    message: str
    value: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"field": self.field, "message": self.message}


class ValueProblem(ValueError):
    """Raised by the parsers; the reader turns it into a Problem with the field's label.
    Reason and fix are said in the language in use."""

    def __init__(self, reason: str, fix: str) -> None:
        self.reason = reason
        self.fix = fix
        super().__init__(_("{reason}; {fix}").format(reason=reason, fix=fix))


def not_a_date(text: str) -> ValueProblem:
    return ValueProblem(
        _("'{value}' is not a date").format(value=text),
        _("write it like {example}").format(example=DATE_EXAMPLE),
    )


def not_a_datetime(text: str) -> ValueProblem:
    return ValueProblem(
        _("'{value}' is not a date and time").format(value=text),
        _("write it like {example}").format(example=DATETIME_EXAMPLE),
    )


def not_whole(text: str) -> ValueProblem:
    return ValueProblem(
        _("'{value}' is not a whole number").format(value=text),
        _("write it like {example}").format(example="12"),
    )


def not_a_number(text: str) -> ValueProblem:
    return ValueProblem(
        _("'{value}' is not a number").format(value=text),
        _("write it like {example}").format(example="1250.50"),
    )


def beyond(text: str, example: str) -> ValueProblem:
    return ValueProblem(
        _("'{value}' is beyond the numbers a form holds").format(value=text),
        _("write it like {example}").format(example=example),
    )


def counted_in(text: str, unit: str, whole: str | None) -> ValueProblem:
    """A number counted in 万 or 亿 (1.25万): exact, but a form holds the whole number, and
    a reader should not have to reckon it; the fix says it."""
    return ValueProblem(
        _("'{value}' counts in {unit}").format(value=text, unit=unit),
        _("write the whole number, {number}").format(number=whole)
        if whole
        else _("write the whole number, like {example}").format(example="12500"),
    )
