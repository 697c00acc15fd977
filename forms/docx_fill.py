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
from collections.abc import Mapping
from typing import Any

from docx.opc.oxml import serialize_part_xml
from docx.oxml import parse_xml
from docx.oxml.ns import qn

from forms.definition import Field, FormDefinition, get_form
from forms.docx_writer import write_docx
from forms.hints import ENGLISH, Wording, shown_value
from forms.identity import Identity
from forms.keptblank import CASE_MARK, KeptBlank, with_case
from forms.markers import BOOKMARK_PREFIX

MAIN_PART = "word/document.xml"


@functools.lru_cache(maxsize=64)
def _blank(form_id: str, company: str, with_case: bool, words: Wording) -> KeptBlank:
    form = get_form(form_id)
    buf = io.BytesIO()
    identity = Identity(form.id, form.version, CASE_MARK if with_case else None)
    write_docx(form, {}, identity, company, buf, words)
    return KeptBlank.split(buf.getvalue(), lambda name, _: name == MAIN_PART)


def fill_docx(
    form: FormDefinition,
    values: Mapping[str, Any],
    identity: Identity,
    company: str,
    words: Wording = ENGLISH,
) -> bytes:
    """The form as docx_writer.write_docx would write it, from the kept blank."""
    blank = _blank(form.id, company, identity.case_id is not None, words)
    root = parse_xml(with_case(blank.part(MAIN_PART), identity.case_id))
    marks = {m.get(qn("w:name")): m for m in root.iter(qn("w:bookmarkStart"))}
    for f in form.fields:
        value = values.get(f.id)
        if value is None:
            continue
        bookmark = marks[BOOKMARK_PREFIX + f.id]
        if f.type == "table":
            _fill_table(bookmark, f, value, words)
        else:
            _fill_cell(_value_paragraph(bookmark), shown_value(f, value, words))
    return blank.join(identity.case_id, {MAIN_PART: serialize_part_xml(root)})


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


def _fill_table(mark: Any, f: Field, rows: list[Mapping[str, Any]], words: Wording) -> None:
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
            _fill_cell(tc.find(qn("w:p")), shown_value(col, row.get(col.id), words))
