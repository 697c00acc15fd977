"""Where an issued form goes: the one place its outbox location is built, and the form
to write there, typed, so that nobody parses the location back into what it came from."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from filing.policy import Policy
from forms.definition import get_form
from forms.writer import FORMATS, Format
from language import current


def outbox_file(
    policy: Policy, case_id: str, form_id: str, department: str, fmt: Format
) -> PurePosixPath:
    """Outbox/<department's folder>/<case> <form title>.<fmt>, relative to the shared
    folder (the text the registry keeps for the issued form); the folders as the settings
    name them, the form's title in the language in use."""
    folder = policy.outboxes.get(department, department)
    title = get_form(form_id).title_in(current())
    return PurePosixPath(policy.folders.outbox, folder, f"{case_id} {title}.{fmt}")


def as_format(text: str) -> Format:
    """A file format read from a form, as the format forms are written in."""
    for fmt in FORMATS:
        if fmt == text:
            return fmt
    raise ValueError(f"{text!r} is not a format forms are written in ({', '.join(FORMATS)})")


@dataclass(frozen=True)
class IssuedForm:
    """A form to write, pre-filled, into a department's outbox."""

    case_id: str
    form: str
    department: str
    format: Format  # the format the sender used: an Excel user gets Excel
    outbox: PurePosixPath  # relative to the shared folder, from outbox_file
    values: dict[str, Any]
    why: str

    @property
    def file(self) -> str:
        """The outbox location as the registry keeps it: Outbox/<folder>/<name>."""
        return self.outbox.as_posix()
