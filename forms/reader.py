"""Reading a filled form back: which form, which case, every value typed, every problem.

The file name plays no part: the form and case come from inside the file.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forms.container import CT_CUSTOM_PROPS, MAX_FILE_BYTES, OfficePackage, open_package
from forms.definition import Field, FormDefinition, all_forms
from forms.docprops import parse_custom_properties
from forms.docx_reader import docx_identity_text, extract_docx
from forms.errors import RefusedFile, shown, too_large
from forms.extracted import Extracted
from forms.identity import CASE_ID, Identity, from_properties, from_text
from forms.limits import MAX_TABLE_ROWS, max_chars
from forms.values import Problem, Value, ValueProblem, convert, format_value, to_json
from forms.xlsx_reader import extract_xlsx, xlsx_identity_text
from language import _, current, folders


@dataclass
class FormRead:
    """A form read from a file."""

    path: Path
    format: str
    form: FormDefinition
    version: str
    case_id: str | None
    values: dict[str, Value]
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def rows(self, field_id: str) -> list[dict[str, Any]]:
        """The rows of a table field (empty when none were filled)."""
        value = self.values.get(field_id)
        return [r for r in value if isinstance(r, dict)] if isinstance(value, list) else []

    def text(self, field_id: str) -> str:
        """A value as the text a person would read on the form."""
        return format_value(self.form.field(field_id), self.values.get(field_id))

    def to_json(self) -> dict[str, Any]:
        return {
            "form": self.form.id,
            "version": self.version,
            "case_id": self.case_id,
            "fields": {f.id: to_json(f, self.values.get(f.id)) for f in self.form.fields},
            "problems": [p.to_json() for p in self.problems],
        }


def read_form(path: Path, data: bytes | None = None) -> FormRead:
    """Read the form in `path` (or in `data`, the bytes of path). Raises RefusedFile."""
    if data is None:
        data = read_capped(path)
    pkg = open_package(path, data)
    try:
        identity = _identity(pkg)
        form = all_forms().get(identity.form_id)
        if form is None:
            raise RefusedFile(
                path,
                "not_a_form",
                _("it names a form '{form}' that does not exist.").format(
                    form=shown(identity.form_id)
                ),
            )
        if identity.version and identity.version != form.version:
            raise RefusedFile(
                path,
                "not_a_form",
                _(
                    "it was made for template version {version} of the {form}; "
                    "this closedloop knows version {known}."
                ).format(
                    version=shown(identity.version),
                    form=form.title_in(current()),
                    known=form.version,
                ),
            )
        extracted = extract_docx(pkg, form) if pkg.kind == "docx" else extract_xlsx(pkg, form)
    finally:
        pkg.close()
    _check_tables(path, form, extracted)
    values, problems = type_values(form, extracted)
    case_id = identity.case_id
    if case_id is not None and not CASE_ID.match(case_id):
        problems.append(
            Problem(
                "case_id",
                _(
                    "Case number: '{case}' is not like CC-2026-0001; "
                    "use the form closedloop sent for this case"
                ).format(case=case_id),
                case_id,
            )
        )
        case_id = None
    return FormRead(
        path, pkg.kind, form, identity.version or form.version, case_id, values, problems
    )


def read_capped(path: Path) -> bytes:
    """The bytes of path, reading no more than a form can be: a multi-GB (or sparse) file
    is refused by its size, never read whole; a pipe or device is never read at all (an
    open would wait for a writer, a read might never end)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except IsADirectoryError:
        raise RefusedFile(path, "unsupported_type", _("it is a folder, not a file.")) from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise RefusedFile(path, "unsupported_type", _("it is a folder, not a file."))
        if not stat.S_ISREG(st.st_mode):
            raise RefusedFile(
                path, "unsupported_type", _("it is not a file but a pipe, socket or device.")
            )
        if st.st_size > MAX_FILE_BYTES:
            raise RefusedFile(path, "unsafe", too_large(st.st_size))
        # To the end, or to one byte past the cap should it have grown since (open_package
        # refuses that byte); in steps, as read(n) would set n bytes aside first.
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_FILE_BYTES:
            chunk = os.read(fd, min(1 << 20, MAX_FILE_BYTES + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _check_tables(path: Path, form: FormDefinition, ex: Extracted) -> None:
    """Refuse a table longer than any form holds before a row of it is typed."""
    for field_id, table in ex.tables.items():
        last = table.rows[-1][0] if table.rows else 0
        if last > MAX_TABLE_ROWS:
            raise RefusedFile(
                path,
                "unsafe",
                _(
                    "its table {table} runs to row {row}, "
                    "far more than a form holds (at most {most})."
                ).format(
                    table=form.field(field_id).label_in(current()), row=last, most=MAX_TABLE_ROWS
                ),
            )


def _shown_value(raw: object, field_type: str) -> str:
    """A bad value as kept with its problem: cut, so a 9 MB name is not kept whole."""
    text = str(raw)
    return text[: max_chars(field_type)]


def _identity(pkg: OfficePackage) -> Identity:
    props: dict[str, str] = {}
    for part in pkg.parts_of_type(CT_CUSTOM_PROPS):
        props.update(parse_custom_properties(pkg.parse(part)))
    identity = from_properties(props)
    if identity is None:
        text = docx_identity_text(pkg) if pkg.kind == "docx" else xlsx_identity_text(pkg)
        identity = from_text(text)
    if identity is None:
        if pkg.kind == "docx":
            what = _("it is a Word document, but not a closedloop form.")
        else:
            what = _("it is an Excel workbook, but not a closedloop form.")
        raise RefusedFile(pkg.path, "not_a_form", what)
    return identity


def type_values(form: FormDefinition, ex: Extracted) -> tuple[dict[str, Value], list[Problem]]:
    """Turn raw cells into typed values; every bad or missing value becomes a Problem,
    naming the field by its label in the language in use."""
    values: dict[str, Value] = {}
    problems: list[Problem] = []
    for f in form.fields:
        if f.type == "table":
            values[f.id] = _type_table(f, ex, problems)
            continue
        if f.id not in ex.scalars:
            values[f.id] = None
            if f.required:
                problems.append(
                    Problem(
                        f.id,
                        said(
                            f,
                            _(
                                "this field is missing from the form; fill a fresh form from the {blank_forms} folder"
                            ).format(**folders()),
                        ),
                    )
                )
            continue
        raw = ex.scalars[f.id]
        try:
            values[f.id] = convert(f, raw, ex.date1904)
        except ValueProblem as exc:
            values[f.id] = None
            problems.append(Problem(f.id, said(f, str(exc)), _shown_value(raw, f.type)))
            continue
        if values[f.id] is None and f.required:
            problems.append(Problem(f.id, said(f, _("this is required; fill it in"))))
    return values, problems


def _type_table(f: Field, ex: Extracted, problems: list[Problem]) -> list[dict[str, Any]] | None:
    table = ex.tables.get(f.id)
    rows: list[dict[str, Any]] = []
    for number, raw_row in table.rows if table else []:
        row: dict[str, Any] = {}
        for col in f.columns:
            raw = raw_row.get(col.id)
            try:
                row[col.id] = convert(col, raw, ex.date1904)
            except ValueProblem as exc:
                row[col.id] = None
                where = in_row(f, number, col)
                problems.append(
                    Problem(f.id, said_at(where, str(exc)), _shown_value(raw, col.type))
                )
                continue
            if row[col.id] is None and col.required:
                where = in_row(f, number, col)
                problems.append(
                    Problem(f.id, said_at(where, _("is empty; fill it in, or clear the whole row")))
                )
        rows.append(row)
    if table is None and f.required:
        problems.append(
            Problem(
                f.id,
                said(
                    f,
                    _(
                        "this table is missing from the form; fill a fresh form from the {blank_forms} folder"
                    ).format(**folders()),
                ),
            )
        )
    elif not rows and f.required:
        problems.append(Problem(f.id, said(f, _("fill in at least one row"))))
    return rows or None


def said(f: Field, problem: str) -> str:
    """A field's problem as a clerk reads it: `<label>: <problem>`, the label in the
    language in use (as the problem is)."""
    return said_at(f.label_in(current()), problem)


def said_at(where: str, problem: str) -> str:
    return _("{where}: {problem}").format(where=where, problem=problem)


def in_row(table: Field, number: int, column: Field) -> str:
    """Where a cell of a table is, in the words of the language in use: `Corrective
    actions, row 1, Done on`."""
    language = current()
    return _("{table}, row {row}, {column}").format(
        table=table.label_in(language), row=number, column=column.label_in(language)
    )
