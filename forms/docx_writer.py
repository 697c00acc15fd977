"""Writing a form as a Word document on the letterhead base.

Every scalar field is a row of a three-column table: label | value | hint, so the value
always sits in the cell right of its label. Each label cell carries a bookmark named
after the field id (bookmarks survive a LibreOffice re-save; content controls do not).
A table field is a titled table whose first row holds the column labels.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from importlib import resources
from typing import IO, Any

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from forms.definition import Field, FormDefinition, Section
from forms.docprops import add_docx_custom_properties
from forms.hints import field_hint
from forms.identity import Identity
from forms.values import format_value

LABEL_W, VALUE_W, HINT_W = Mm(52), Mm(80), Mm(42)
TABLE_W = Mm(174)
BOOKMARK_PREFIX = "cl_"
LABEL_SHADE = "E8ECF1"
INSTRUCTIONS = (
    "Fill the white boxes. Dates like 2026-11-30; times like 14:30; for a choice, write one of "
    "the words listed beside it. Save as .docx (keep the file type) into the Inbox folder."
)


def write_docx(
    form: FormDefinition,
    values: Mapping[str, Any],
    identity: Identity,
    company: str,
    out: IO[bytes],
) -> None:
    base = resources.files("templates").joinpath("letterhead.docx")
    with base.open("rb") as fh:
        doc = Document(fh)
    ids = itertools.count(1)
    _header_footer(doc, form, identity, company)
    doc.add_paragraph(form.title, style="CL Title")
    if identity.case_id:
        doc.add_paragraph(f"Case {identity.case_id}", style="CL Case")
    doc.add_paragraph(INSTRUCTIONS, style="CL Note")
    for section in form.sections:
        _section(doc, section, values, ids)
    add_docx_custom_properties(doc, identity.properties())
    core = doc.core_properties
    core.title = form.title
    core.subject = identity.case_id or ""
    core.author = company
    core.keywords = f"closedloop {form.id}"
    doc.save(out)


def _header_footer(doc: Any, form: FormDefinition, identity: Identity, company: str) -> None:
    sec = doc.sections[0]
    head = sec.header.paragraphs[0]
    head.style = doc.styles["CL Company"]
    head.text = f"{company}\t{form.title}"
    foot = sec.footer.paragraphs[0]
    foot.style = doc.styles["CL Footer"]
    foot.add_run(identity.line() + "\tPage ")
    _field(foot, "PAGE", "1")
    foot.add_run(" of ")
    _field(foot, "NUMPAGES", "1")


def _field(paragraph: Paragraph, code: str, shown: str) -> None:
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), f" {code} ")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = shown
    run.append(text)
    fld.append(run)
    paragraph._p.append(fld)


def _section(
    doc: Any, section: Section, values: Mapping[str, Any], ids: itertools.count[int]
) -> None:
    doc.add_paragraph(section.title, style="CL Section")
    scalars: list[Field] = []
    for f in section.fields:
        if f.type == "table":
            _scalar_table(doc, scalars, values, ids)
            scalars = []
            _table_field(doc, f, values.get(f.id) or [], ids)
        else:
            scalars.append(f)
    _scalar_table(doc, scalars, values, ids)


def _new_table(doc: Any, rows: int, widths: list[Any]) -> Table:
    table: Table = doc.add_table(rows=rows, cols=len(widths))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width
    return table


def _scalar_table(
    doc: Any, fields: list[Field], values: Mapping[str, Any], ids: itertools.count[int]
) -> None:
    if not fields:
        return
    table = _new_table(doc, len(fields), [LABEL_W, VALUE_W, HINT_W])
    for row, f in zip(table.rows, fields, strict=True):
        label, value, hint = row.cells
        _label_cell(label, f.label, f.id, ids)
        _value_cell(value, format_value(f, values.get(f.id)), "CL Value")
        _text_cell(hint, field_hint(f), "CL Hint")
        if f.type == "multiline":
            row.height = Mm(16)


def _table_field(
    doc: Any, f: Field, rows: list[Mapping[str, Any]], ids: itertools.count[int]
) -> None:
    title = doc.add_paragraph(style="CL Table Title")
    _bookmark(title, f.id, ids)
    title.add_run(f.label)
    hint = field_hint(f)
    if hint:
        title.add_run(f"  ({hint})").font.bold = False
    width = int(TABLE_W / len(f.columns))
    count = max(f.rows, len(rows) + 2)
    table = _new_table(doc, count + 1, [width] * len(f.columns))
    _repeat_header(table)
    for cell, col in zip(table.rows[0].cells, f.columns, strict=True):
        _label_cell(cell, col.label, None, ids)
    for row_cells, row in itertools.zip_longest(table.rows[1:], rows):
        for cell, col in zip(row_cells.cells, f.columns, strict=True):
            _value_cell(cell, format_value(col, row.get(col.id)) if row else "", "CL Value")


def _repeat_header(table: Table) -> None:
    tr_pr = table.rows[0]._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    tr_pr.append(header)


def _shade(cell: _Cell, fill: str) -> None:
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shd)


def _label_cell(cell: _Cell, label: str, field_id: str | None, ids: itertools.count[int]) -> None:
    _shade(cell, LABEL_SHADE)
    p = cell.paragraphs[0]
    p.style = "CL Label"
    if field_id:
        _bookmark(p, field_id, ids)
    p.add_run(label)


def _value_cell(cell: _Cell, text: str, style: str) -> None:
    p = cell.paragraphs[0]
    p.style = style
    lines = text.split("\n")
    run = p.add_run()
    for i, line in enumerate(lines):
        if i:
            run.add_break()
        if line:
            run.add_text(line)


def _text_cell(cell: _Cell, text: str, style: str) -> None:
    p = cell.paragraphs[0]
    p.style = style
    if text:
        p.add_run(text)


def _bookmark(paragraph: Paragraph, field_id: str, ids: itertools.count[int]) -> None:
    n = str(next(ids))
    start = OxmlElement("w:bookmarkStart")
    start.set(qn("w:id"), n)
    start.set(qn("w:name"), BOOKMARK_PREFIX + field_id)
    end = OxmlElement("w:bookmarkEnd")
    end.set(qn("w:id"), n)
    paragraph._p.append(start)
    paragraph._p.append(end)
