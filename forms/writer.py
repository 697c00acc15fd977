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
from language import DEFAULT, use

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
            raise FieldValueError(
                form.id,
                key,
                f"'{key}' is not a field of the {form.title}; "
                f"see `closedloop forms describe {form.id}` for its fields",
            )
        try:
            out[key] = coerce(f, raw)
        except ValueProblem as exc:
            raise FieldValueError(form.id, key, f"{f.label}: {exc}") from None
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
    `second_language` beside it); raises language.LanguageError for one not shipped."""
    words = Wording(language, second_language)
    with use(words.language):
        return _render(form, fmt, values, case_id, company, words)


def _render(
    form: FormDefinition,
    fmt: Format,
    values: Mapping[str, Any] | None,
    case_id: str | None,
    company: str,
    words: Wording,
) -> bytes:
    if case_id is not None and not CASE_ID.match(case_id):
        raise FieldValueError(
            form.id, "case", f"'{case_id}' is not a case number like CC-2026-0001"
        )
    typed = prepare_values(form, values or {})
    identity = Identity(form.id, form.version, case_id)
    if fmt == "docx":
        return fill_docx(form, typed, identity, company, words)
    if fmt == "xlsx":
        filled = fill_xlsx(form, typed, identity, company, words)
        if filled is not None:
            return filled
    buf = io.BytesIO()
    if fmt == "xlsx":
        write_xlsx(form, typed, identity, company, buf, words)
    else:
        raise FieldValueError(form.id, "format", f"format '{fmt}' is not docx or xlsx")
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
