"""Pre-filled Word forms, fast: each form's blank is built once (by docx_writer, through
python-docx, ~100 ms) and kept; a pre-filled copy is that blank's XML with the values put
into its value cells (~10 ms). The service issues a form for nearly every filing, so this
is what lets it keep up with a full Inbox.

The values go in through python-docx's own element classes (CT_R's text setter, a copy
of an empty table row), so the result is the document docx_writer would have written;
tests/test_docx_fill.py holds the two to byte equality.
"""

from __future__ import annotations

import copy
import functools
import io
import time
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from docx.opc.oxml import serialize_part_xml
from docx.oxml import parse_xml
from docx.oxml.ns import qn

from forms.definition import Field, FormDefinition, get_form
from forms.docx_writer import write_docx
from forms.identity import Identity
from forms.markers import BOOKMARK_PREFIX
from forms.values import format_value

MAIN_PART = "word/document.xml"
# Stands for the case number in a blank kept for forms that carry one; as long as any
# real number, so that no layout depends on which number it is.
_CASE_MARK = "CC-9999-9999"


@dataclass(frozen=True)
class _Blank:
    fixed: bytes  # a zip of the parts no value or case number changes, compressed once
    varying: list[tuple[zipfile.ZipInfo, bytes]]  # the main part, and parts with the mark
    document: bytes  # the main part, the case number as _CASE_MARK


@functools.lru_cache(maxsize=64)
def _blank(form_id: str, company: str, with_case: bool) -> _Blank:
    form = get_form(form_id)
    buf = io.BytesIO()
    identity = Identity(form.id, form.version, _CASE_MARK if with_case else None)
    write_docx(form, {}, identity, company, buf)
    fixed = io.BytesIO()
    varying = []
    with zipfile.ZipFile(buf) as z, zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as out:
        for info in z.infolist():
            data = z.read(info)
            if info.filename == MAIN_PART or _CASE_MARK.encode("ascii") in data:
                varying.append((info, data))
            else:
                out.writestr(info, data)
    document = next(data for info, data in varying if info.filename == MAIN_PART)
    return _Blank(fixed.getvalue(), varying, document)


def fill_docx(
    form: FormDefinition, values: Mapping[str, Any], identity: Identity, company: str
) -> bytes:
    """The form as docx_writer.write_docx would write it, from the kept blank."""
    blank = _blank(form.id, company, identity.case_id is not None)
    mark = _CASE_MARK.encode("ascii")
    case = (identity.case_id or _CASE_MARK).encode("ascii")
    root = parse_xml(blank.document.replace(mark, case))
    marks = {m.get(qn("w:name")): m for m in root.iter(qn("w:bookmarkStart"))}
    for f in form.fields:
        value = values.get(f.id)
        if value is None:
            continue
        bookmark = marks[BOOKMARK_PREFIX + f.id]
        if f.type == "table":
            _fill_table(bookmark, f, value)
        else:
            _fill_cell(_value_paragraph(bookmark), format_value(f, value))
    # The fixed parts are copied as compressed; only the varying ones are compressed anew
    # (styles alone are 350 kB of XML).
    out = io.BytesIO(blank.fixed)
    out.seek(0, io.SEEK_END)
    stamp = time.localtime()[:6]
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as z:
        for info, data in blank.varying:
            if info.filename == MAIN_PART:  # its mark was replaced before the values went in
                data = serialize_part_xml(root)
            else:
                data = data.replace(mark, case)
            z.writestr(_stamped(info, stamp), data)
    return out.getvalue()


def _stamped(info: zipfile.ZipInfo, stamp: tuple[int, ...]) -> zipfile.ZipInfo:
    fresh = zipfile.ZipInfo(info.filename, stamp)  # type: ignore[arg-type]
    fresh.compress_type = info.compress_type
    fresh.external_attr = info.external_attr
    return fresh


def _value_paragraph(mark: Any) -> Any:
    """The label cell holds the bookmark; the value is the paragraph of the next cell."""
    label_cell = mark.getparent().getparent()
    value_cell = label_cell.getnext()
    while value_cell.tag != qn("w:tc"):
        value_cell = value_cell.getnext()
    return value_cell.find(qn("w:p"))


def _fill_cell(paragraph: Any, text: str) -> None:
    if text:
        paragraph.find(qn("w:r")).text = text  # CT_R: tabs and breaks as Word writes them


def _fill_table(mark: Any, f: Field, rows: list[Mapping[str, Any]]) -> None:
    title = mark.getparent()
    table = title.getnext()
    while table.tag != qn("w:tbl"):
        table = table.getnext()
    body = table.findall(qn("w:tr"))[1:]
    # The writer gives a table field max(rows in the definition, filled rows + 2) rows.
    while len(body) < len(rows) + 2:
        extra = copy.deepcopy(body[-1])
        body[-1].addnext(extra)
        body.append(extra)
    for tr, row in zip(body, rows, strict=False):
        cells = tr.findall(qn("w:tc"))
        for tc, col in zip(cells, f.columns, strict=True):
            _fill_cell(tc.find(qn("w:p")), format_value(col, row.get(col.id)))
