"""The hint printed beside a field: what to write, so nobody has to guess the format."""

from __future__ import annotations

from forms.definition import Field
from forms.values import DATE_EXAMPLE, DATETIME_EXAMPLE

_TYPE_HINTS = {
    "date": f"Date, like {DATE_EXAMPLE}",
    "datetime": f"Date and time, like {DATETIME_EXAMPLE}",
    "integer": "Whole number",
    "decimal": "Number, like 1250.50",
    "yesno": "Yes or No",
}


def hint_lines(f: Field) -> list[str]:
    """The hint as lines of their own: what to write (the format, the choices), then the
    field's help, so that a list of choices and the words after it do not run together."""
    what: list[str] = []
    if f.required:
        what.append("Required.")
    if f.type == "choice":
        what.append("One of: " + " · ".join(c.label for c in f.choices))
    elif f.type == "multichoice":
        what.append("One or more, separated by commas: " + " · ".join(c.label for c in f.choices))
    elif f.type == "table":
        what.append("Fill one row per line; add rows if needed")
    elif f.type in _TYPE_HINTS:
        what.append(_TYPE_HINTS[f.type])
    lines = [" ".join(what)] if what else []
    if f.help:
        lines.append(f.help)
    return lines


def field_hint(f: Field, sep: str = "\n") -> str:
    return sep.join(hint_lines(f))
