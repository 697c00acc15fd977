"""What identifies a filled form inside its file: form id, template version, case number.

Carried in custom document properties (which Word, Excel and LibreOffice keep on re-save)
and, as a fallback a person can also read, in one visible line of the form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PROP_FORM = "closedloop.form"
PROP_VERSION = "closedloop.version"
PROP_CASE = "closedloop.case"
CASE_ID = re.compile(r"^CC-\d{4}-\d{4,}$")
_LINE = re.compile(r"Form ([a-z_]+) · version ([\w.]+)(?: · Case (CC-\d{4}-\d{4,}))?")


@dataclass(frozen=True)
class Identity:
    form_id: str
    version: str
    case_id: str | None = None

    def line(self) -> str:
        """The visible identity line, printed on every form."""
        case = f" · Case {self.case_id}" if self.case_id else " · Case number given when filed"
        return f"Form {self.form_id} · version {self.version}{case}"

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
    """Find the visible identity line in text taken from the document."""
    m = _LINE.search(text)
    return Identity(m[1], m[2], m[3]) if m else None
