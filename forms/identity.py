"""What identifies a filled form inside its file: form id, template version, case number.

Carried in custom document properties (which Word, Excel and LibreOffice keep on re-save)
and, as a fallback a person can also read, in one visible line of the form, in the form's
language (forms.hints.identity_line writes it; from_text reads it in any language).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from language import LANGUAGES, in_language

PROP_FORM = "closedloop.form"
PROP_VERSION = "closedloop.version"
PROP_CASE = "closedloop.case"
CASE_ID = re.compile(r"^CC-\d{4}-\d{4,}$")


@dataclass(frozen=True)
class Identity:
    form_id: str
    version: str
    case_id: str | None = None

    def properties(self) -> dict[str, str]:
        props = {PROP_FORM: self.form_id, PROP_VERSION: self.version}
        if self.case_id:
            props[PROP_CASE] = self.case_id
        return props


def from_properties(props: dict[str, str]) -> Identity | None:
    form_id = props.get(PROP_FORM, "").strip()
    if not form_id:
        return None
    case = props.get(PROP_CASE, "").strip() or None
    return Identity(form_id, props.get(PROP_VERSION, "").strip(), case)


def from_text(text: str) -> Identity | None:
    """Find the visible identity line, in any language, in text taken from the document."""
    for line in _lines():
        m = line.search(text)
        if m:
            return Identity(m["form"], m["version"], m["case"])
    return None


@cache
def _lines() -> tuple[re.Pattern[str], ...]:
    """The identity line as each language prints it, its values as named groups."""
    # The words are the form writer's (catalog domain forms); imported here, not above,
    # because the writer's module imports this one.
    from forms.hints import CASE_PART, IDENTITY_LINE

    def pattern(template: str) -> str:
        out = re.escape(template)
        for name, group in (
            ("form", r"(?P<form>[a-z_]+)"),
            ("version", r"(?P<version>[\w.]+)"),
            ("case", r"(?P<case>CC-\d{4}-\d{4,})"),
        ):
            out = out.replace(re.escape("{" + name + "}"), group)
        return out

    return tuple(
        re.compile(
            pattern(in_language(language, IDENTITY_LINE))
            + f"(?:{pattern(in_language(language, CASE_PART))})?"
        )
        for language in LANGUAGES
    )
