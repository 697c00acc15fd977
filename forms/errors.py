"""Errors of the forms package. Every one names the file or form, the reason and the fix."""

from __future__ import annotations

from pathlib import Path

from forms.shown import shown as shown_line
from language import N_, _, folders


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
        super().__init__(
            _("there is no form '{form}'; the forms are: {forms}").format(
                form=form_id, forms=", ".join(known)
            )
        )


class FieldValueError(FormError):
    """A value given for a field (e.g. with --set) cannot be used."""

    def __init__(self, form_id: str, field: str, message: str) -> None:
        self.form_id = form_id
        self.field = field
        self.message = message
        super().__init__(f"{form_id}: {message}")


#: The kinds of refusal, each with the plain-language fix a clerk can act on (in English;
#: RefusedFile says it in the language in use when the file is refused).
REFUSAL_KINDS: dict[str, str] = {
    "encrypted": N_(
        "Remove the password (File > Info > Protect > Encrypt with password: clear it) "
        "and save it again."
    ),
    "legacy_format": N_(
        "Open it and save it as a Word document (.docx) or Excel workbook (.xlsx), "
        "or fill a fresh form from the {blank_forms} folder."
    ),
    "macro_enabled": N_(
        "Macro-enabled files are not accepted. Save it as .docx or .xlsx "
        "(without macros), or fill a fresh form from the {blank_forms} folder."
    ),
    "corrupt": N_(
        "The file is damaged or was not saved completely. Open it, check it, and save it "
        "again; if it will not open, fill a fresh form from the {blank_forms} folder."
    ),
    "not_a_form": N_(
        "Only forms from the {blank_forms} folder (or sent to you by closedloop) can be "
        "filed. Copy your answers into one of those forms and save it."
    ),
    "unsupported_type": N_(
        "Save the form as a Word document (.docx) or Excel workbook (.xlsx) "
        "from the {blank_forms} folder. Photos, PDFs and e-mails go in the case's evidence folder."
    ),
    "unsafe": N_(
        "The file contains content that could be used to attack the system, so it was "
        "not opened. Fill a fresh form from the {blank_forms} folder."
    ),
    "linked_content": N_(
        "A picture, object or cell in it is linked to another file or an address instead of "
        "being kept in the document; closedloop keeps documents whole and never fetches what "
        "they link to. Insert it again without 'Link to file' (in Excel: Data > Edit Links > "
        "Break Link), save, and put the file in the {inbox} folder again."
    ),
    "lock_file": N_(
        "This is the lock file an office program keeps while a document is open; "
        "it is not a form and needs nothing from you."
    ),
}


def refusal_fix(kind: str) -> str:
    """What to do about a refusal of `kind`, in the language in use, naming the folders as
    the folder in use does."""
    return _(REFUSAL_KINDS[kind]).format(**folders())


class RefusedFile(FormError):
    """A file that cannot be read as a form, with the kind of refusal and what to do.

    `reason` comes in the language in use (its maker says it with `_()`); the fix is said
    here, in the language in use when the file is refused."""

    def __init__(self, path: Path | str, kind: str, reason: str) -> None:
        if kind not in REFUSAL_KINDS:
            raise ValueError(f"unknown refusal kind {kind!r}")
        self.path = Path(path)
        self.kind = kind
        self.reason = reason
        self.fix = refusal_fix(kind)
        super().__init__(
            _("{file}: {reason} {fix}").format(file=self.path.name, reason=reason, fix=self.fix)
        )

    @property
    def message(self) -> str:
        return str(self)


def too_large(size: int) -> str:
    """The reason a file of `size` bytes is refused unread."""
    return _("the file is {mb} MB, too large for a form.").format(mb=size // 2**20)


def shown(text: str, limit: int = 80) -> str:
    """Text taken from a file (a part name, a form id, a version) as a refusal may show it:
    one short line whatever the file says (forms/shown.py)."""
    return shown_line(text, limit)
