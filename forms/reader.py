"""Reading a filled form back: which form, which case, every value typed, every problem.

The file name plays no part: the form and case come from inside the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forms.container import CT_CUSTOM_PROPS, OfficePackage, open_package
from forms.definition import FormDefinition, all_forms
from forms.docprops import parse_custom_properties
from forms.docx_reader import docx_identity_text, extract_docx
from forms.errors import RefusedFile
from forms.extracted import Extracted
from forms.identity import CASE_ID, Identity, from_properties, from_text
from forms.values import Problem, Value, ValueProblem, convert, format_value, to_json
from forms.xlsx_reader import extract_xlsx, xlsx_identity_text


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
        try:
            data = path.read_bytes()
        except IsADirectoryError:
            raise RefusedFile(path, "unsupported_type", "it is a folder, not a file.") from None
    pkg = open_package(path, data)
    try:
        identity = _identity(pkg)
        form = all_forms().get(identity.form_id)
        if form is None:
            raise RefusedFile(
                path, "not_a_form", f"it names a form '{identity.form_id}' that does not exist."
            )
        extracted = extract_docx(pkg, form) if pkg.kind == "docx" else extract_xlsx(pkg, form)
    finally:
        pkg.close()
    values, problems = type_values(form, extracted)
    case_id = identity.case_id
    if case_id is not None and not CASE_ID.match(case_id):
        problems.append(
            Problem(
                "case_id",
                f"Case number: '{case_id}' is not like CC-2026-0001; "
                "use the form closedloop sent for this case",
                case_id,
            )
        )
        case_id = None
    return FormRead(
        path, pkg.kind, form, identity.version or form.version, case_id, values, problems
    )


def _identity(pkg: OfficePackage) -> Identity:
    props: dict[str, str] = {}
    for part in pkg.parts_of_type(CT_CUSTOM_PROPS):
        props.update(parse_custom_properties(pkg.parse(part)))
    identity = from_properties(props)
    if identity is None:
        text = docx_identity_text(pkg) if pkg.kind == "docx" else xlsx_identity_text(pkg)
        identity = from_text(text)
    if identity is None:
        what = "Word document" if pkg.kind == "docx" else "Excel workbook"
        raise RefusedFile(pkg.path, "not_a_form", f"it is a {what}, but not a closedloop form.")
    return identity


def type_values(form: FormDefinition, ex: Extracted) -> tuple[dict[str, Value], list[Problem]]:
    """Turn raw cells into typed values; every bad or missing value becomes a Problem."""
    values: dict[str, Value] = {}
    problems: list[Problem] = []
    for f in form.fields:
        if f.type == "table":
            table = ex.tables.get(f.id)
            rows: list[dict[str, Any]] = []
            for number, raw_row in table.rows if table else []:
                row: dict[str, Any] = {}
                for col in f.columns:
                    raw = raw_row.get(col.id)
                    where = f"{f.label}, row {number}, {col.label}"
                    try:
                        row[col.id] = convert(col, raw, ex.date1904)
                    except ValueProblem as exc:
                        row[col.id] = None
                        problems.append(Problem(f.id, f"{where}: {exc}", str(raw)))
                        continue
                    if row[col.id] is None and col.required:
                        problems.append(
                            Problem(f.id, f"{where}: is empty; fill it in, or clear the whole row")
                        )
                rows.append(row)
            values[f.id] = rows or None
            if table is None and f.required:
                problems.append(
                    Problem(
                        f.id,
                        f"{f.label}: this table is missing from the form; "
                        "fill a fresh form from the Blank Forms folder",
                    )
                )
            elif not rows and f.required:
                problems.append(Problem(f.id, f"{f.label}: fill in at least one row"))
            continue
        if f.id not in ex.scalars:
            values[f.id] = None
            if f.required:
                problems.append(
                    Problem(
                        f.id,
                        f"{f.label}: this field is missing from the form; "
                        "fill a fresh form from the Blank Forms folder",
                    )
                )
            continue
        raw = ex.scalars[f.id]
        try:
            values[f.id] = convert(f, raw, ex.date1904)
        except ValueProblem as exc:
            values[f.id] = None
            problems.append(Problem(f.id, f"{f.label}: {exc}", str(raw)))
            continue
        if values[f.id] is None and f.required:
            problems.append(Problem(f.id, f"{f.label}: this is required; fill it in"))
    return values, problems
