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


def field_hint(f: Field) -> str:
    parts: list[str] = []
    if f.required:
        parts.append("Required.")
    if f.type == "choice":
        parts.append("One of: " + " · ".join(c.label for c in f.choices))
    elif f.type == "multichoice":
        parts.append("One or more, separated by commas: " + " · ".join(c.label for c in f.choices))
    elif f.type == "table":
        parts.append("Fill one row per line; add rows if needed")
    elif f.type in _TYPE_HINTS:
        parts.append(_TYPE_HINTS[f.type])
    if f.help:
        parts.append(f.help)
    return " ".join(parts)
