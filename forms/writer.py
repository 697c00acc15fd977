"""Writing a form, blank or pre-filled, as .docx or .xlsx, in a language and, if asked, a
second one printed beside it ("客户名称 Customer")."""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from forms.atomicfile import atomic_write_bytes
from forms.definition import FormDefinition
from forms.docx_fill import fill_docx
from forms.errors import FieldValueError
from forms.hints import Wording
from forms.identity import CASE_ID, Identity
from forms.values import Value, ValueProblem, coerce
from forms.xlsx_fill import fill_xlsx
from forms.xlsx_writer import write_xlsx
from language import DEFAULT, _, current, folders

Format = Literal["docx", "xlsx"]
FORMATS: tuple[Format, ...] = ("docx", "xlsx")
DEFAULT_COMPANY = "Your Company Ltd."


def prepare_values(form: FormDefinition, values: Mapping[str, Any]) -> dict[str, Value]:
    """Check and type pre-fill values; raise FieldValueError naming the field and the fix."""
    known = {f.id: f for f in form.fields}
    out: dict[str, Value] = {}
    for key, raw in values.items():
        f = known.get(key)
        if f is None:
            message = _(
                "'{key}' is not a field of the {form}; "
                "see `closedloop forms describe {id}` for its fields"
            )
            raise FieldValueError(
                form.id, key, message.format(key=key, form=form.title_in(current()), id=form.id)
            )
        try:
            out[key] = coerce(f, raw)
        except ValueProblem as exc:
            message = _("{where}: {problem}").format(where=f.label_in(current()), problem=exc)
            raise FieldValueError(form.id, key, message) from None
    return out


def render_form(
    form: FormDefinition,
    fmt: Format,
    values: Mapping[str, Any] | None = None,
    case_id: str | None = None,
    company: str = DEFAULT_COMPANY,
    *,
    language: str = DEFAULT,
    second_language: str | None = None,
) -> bytes:
    """The bytes of the form as a .docx or .xlsx document, printed in `language` (and
    `second_language` beside it); raises language.LanguageError for one not shipped.

    What is wrong with the values is said in the language in use, not the form's: the
    writers speak the form's language only in what they print."""
    words = Wording(language, second_language, folders()["inbox"])
    if case_id is not None and not CASE_ID.match(case_id):
        message = _("'{case}' is not a case number like CC-2026-0001").format(case=case_id)
        raise FieldValueError(form.id, "case", message)
    if fmt not in FORMATS:
        message = _("format '{format}' is not docx or xlsx").format(format=fmt)
        raise FieldValueError(form.id, "format", message)
    typed = prepare_values(form, values or {})
    identity = Identity(form.id, form.version, case_id)
    if fmt == "docx":
        return fill_docx(form, typed, identity, company, words)
    filled = fill_xlsx(form, typed, identity, company, words)
    if filled is not None:
        return filled
    buf = io.BytesIO()
    write_xlsx(form, typed, identity, company, buf, words)
    return buf.getvalue()


def write_form(
    form: FormDefinition,
    fmt: Format,
    path: Path,
    values: Mapping[str, Any] | None = None,
    case_id: str | None = None,
    company: str = DEFAULT_COMPANY,
    *,
    language: str = DEFAULT,
    second_language: str | None = None,
) -> Path:
    """Write the form to `path` atomically and return the path."""
    document = render_form(
        form,
        fmt,
        values,
        case_id,
        company,
        language=language,
        second_language=second_language,
    )
    atomic_write_bytes(path, document)
    return path
