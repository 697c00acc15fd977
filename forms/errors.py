"""Errors of the forms package. Every one names the file or form, the reason and the fix."""

from __future__ import annotations

from pathlib import Path

from forms.shown import shown as shown_line


class FormError(Exception):
    """Base error of the forms package."""


class DefinitionError(FormError):
    """A form definition file is malformed."""

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}")


class UnknownFormError(FormError):
    """A form id that no definition has."""

    def __init__(self, form_id: str, known: list[str]) -> None:
        self.form_id = form_id
        self.known = known
        super().__init__(f"there is no form '{form_id}'; the forms are: {', '.join(known)}")


class FieldValueError(FormError):
    """A value given for a field (e.g. with --set) cannot be used."""

    def __init__(self, form_id: str, field: str, message: str) -> None:
        self.form_id = form_id
        self.field = field
        self.message = message
        super().__init__(f"{form_id}: {message}")


#: The kinds of refusal, each with the plain-language fix a clerk can act on.
REFUSAL_KINDS: dict[str, str] = {
    "encrypted": "Remove the password (File > Info > Protect > Encrypt with password: clear it) "
    "and save it again.",
    "legacy_format": "Open it and save it as a Word document (.docx) or Excel workbook (.xlsx), "
    "or fill a fresh form from the Blank Forms folder.",
    "macro_enabled": "Macro-enabled files are not accepted. Save it as .docx or .xlsx "
    "(without macros), or fill a fresh form from the Blank Forms folder.",
    "corrupt": "The file is damaged or was not saved completely. Open it, check it, and save it "
    "again; if it will not open, fill a fresh form from the Blank Forms folder.",
    "not_a_form": "Only forms from the Blank Forms folder (or sent to you by closedloop) can be "
    "filed. Copy your answers into one of those forms and save it.",
    "unsupported_type": "Save the form as a Word document (.docx) or Excel workbook (.xlsx) "
    "from the Blank Forms folder. Photos, PDFs and e-mails go in the case's evidence folder.",
    "unsafe": "The file contains content that could be used to attack the system, so it was "
    "not opened. Fill a fresh form from the Blank Forms folder.",
    "lock_file": "This is the lock file an office program keeps while a document is open; "
    "it is not a form and needs nothing from you.",
}


class RefusedFile(FormError):
    """A file that cannot be read as a form, with the kind of refusal and what to do."""

    def __init__(self, path: Path | str, kind: str, reason: str) -> None:
        if kind not in REFUSAL_KINDS:
            raise ValueError(f"unknown refusal kind {kind!r}")
        self.path = Path(path)
        self.kind = kind
        self.reason = reason
        self.fix = REFUSAL_KINDS[kind]
        super().__init__(f"{self.path.name}: {reason} {self.fix}")

    @property
    def message(self) -> str:
        return str(self)


def shown(text: str, limit: int = 80) -> str:
    """Text taken from a file (a part name, a form id, a version) as a refusal may show it:
    one short line whatever the file says (forms/shown.py)."""
    return shown_line(text, limit)
