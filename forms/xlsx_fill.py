"""Pre-filled Excel forms, fast: each form's blank is built once (by xlsx_writer, through
openpyxl, ~80 ms) and kept; a pre-filled copy is that blank's sheet with the values put
into its input cells (a few ms).

Cells are written as openpyxl writes them (numbers and dates as `t="n"` values, text as
inline strings), with the same rules as xlsx_writer: a number of more than 15 digits
travels as text, and text that looks like a formula gets a quote-prefix style, kept
ready in the blank's styles for every input style. A table filled beyond the rows the
blank has would move every row below it: that rare form is built by xlsx_writer.
tests/test_xlsx_fill.py holds the two to the same cells, values, types and styles.
"""

from __future__ import annotations

import copy
import functools
import io
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from lxml import etree
from openpyxl.compat import safe_string
from openpyxl.utils.datetime import to_excel

from forms.definition import Field, FormDefinition, get_form
from forms.hints import ENGLISH, Wording, shown_value
from forms.identity import Identity
from forms.keptblank import CASE_MARK, KeptBlank, with_case
from forms.markers import NAME_PREFIX
from forms.values import normalise_decimal
from forms.xlsx_writer import _FORMULA_STARTS, EXACT_DIGITS, write_xlsx
from forms.xmlparse import parse_xml

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
STYLES_PART = "xl/styles.xml"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_REF = re.compile(
    r"^'?(?P<sheet>.*?)'?!\$(?P<c1>[A-Z]+)\$(?P<r1>\d+)(?::\$(?P<c2>[A-Z]+)\$(?P<r2>\d+))?$"
)


def _q(tag: str) -> str:
    return f"{{{MAIN}}}{tag}"


@dataclass(frozen=True)
class _Blank:
    kept: KeptBlank
    sheet_part: str
    # field id -> its input cells: one row of one cell for a scalar, the data rows of a table
    cells: dict[str, list[list[str]]]
    quoted: dict[str, str]  # an input style -> the same style with a quote prefix


@functools.lru_cache(maxsize=64)
def _blank(form_id: str, company: str, with_case: bool, words: Wording) -> _Blank:
    form = get_form(form_id)
    buf = io.BytesIO()
    identity = Identity(form.id, form.version, CASE_MARK if with_case else None)
    write_xlsx(form, {}, identity, company, buf, words)
    package = buf.getvalue()
    with zipfile.ZipFile(io.BytesIO(package)) as z:
        workbook = parse_xml(z.read("xl/workbook.xml"))
        rels = parse_xml(z.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{{{RELS}}}Relationship")}
    sheet_name = words.sheet_name(form)
    sheet = next(s for s in workbook.iter(_q("sheet")) if s.get("name") == sheet_name)
    target = targets[sheet.get(f"{{{DOC_RELS}}}id")]
    sheet_part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    cells: dict[str, list[list[str]]] = {}
    for name in workbook.iter(_q("definedName")):
        label = name.get("name", "")
        match = _REF.match(name.text or "")
        if not label.startswith(NAME_PREFIX) or match is None:
            continue
        c1, r1 = match["c1"], int(match["r1"])
        c2, r2 = match["c2"] or c1, int(match["r2"] or r1)
        columns = [chr(c) for c in range(ord(c1), ord(c2) + 1)]  # forms stay within A..Z
        cells[label[len(NAME_PREFIX) :]] = [[f"{c}{r}" for c in columns] for r in range(r1, r2 + 1)]
    kept = KeptBlank.split(package, lambda name, _: name in (sheet_part, STYLES_PART))
    quoted, styles = _quote_styles(kept.part(STYLES_PART), kept.part(sheet_part), cells)
    kept.varying[STYLES_PART] = (kept.varying[STYLES_PART][0], styles)
    return _Blank(kept, sheet_part, cells, quoted)


def _quote_styles(
    styles_xml: bytes, sheet_xml: bytes, cells: dict[str, list[list[str]]]
) -> tuple[dict[str, str], bytes]:
    """Add, for each style an input cell has, the same style with quotePrefix set."""
    inputs = {c for rows in cells.values() for row in rows for c in row}
    used = sorted(
        {c.get("s", "0") for c in parse_xml(sheet_xml).iter(_q("c")) if c.get("r") in inputs},
        key=int,
    )
    styles = parse_xml(styles_xml)
    xfs = styles.find(_q("cellXfs"))
    assert xfs is not None  # openpyxl always writes it
    quoted = {}
    for s in used:
        clone = copy.deepcopy(xfs[int(s)])
        clone.set("quotePrefix", "1")
        quoted[s] = str(len(xfs))
        xfs.append(clone)
    xfs.set("count", str(len(xfs)))
    return quoted, etree.tostring(styles, xml_declaration=True, encoding="UTF-8", standalone=True)


def fill_xlsx(
    form: FormDefinition,
    values: Mapping[str, Any],
    identity: Identity,
    company: str,
    words: Wording = ENGLISH,
) -> bytes | None:
    """The form from the kept blank, or None when a table has more rows than the blank."""
    blank = _blank(form.id, company, identity.case_id is not None, words)
    for f in form.fields:
        rows = values.get(f.id)
        if f.type == "table" and rows and len(rows) + 2 > len(blank.cells[f.id]):
            return None
    sheet = parse_xml(with_case(blank.kept.part(blank.sheet_part), identity.case_id))
    by_ref = {c.get("r"): c for c in sheet.iter(_q("c"))}
    for f in form.fields:
        value = values.get(f.id)
        if value is None:
            continue
        if f.type == "table":
            for row_cells, row in zip(blank.cells[f.id], value, strict=False):
                for ref, col in zip(row_cells, f.columns, strict=True):
                    _put(by_ref[ref], col, row.get(col.id), blank.quoted, words)
        else:
            _put(by_ref[blank.cells[f.id][0][0]], f, value, blank.quoted, words)
    return blank.kept.join(identity.case_id, {blank.sheet_part: etree.tostring(sheet)})


def _put(cell: Any, f: Field, value: Any, quoted: dict[str, str], words: Wording) -> None:
    """xlsx_writer._input's rules, written as openpyxl writes the cell."""
    if value is None:
        return
    if isinstance(value, datetime | date):
        _number(cell, safe_string(to_excel(value)))  # type: ignore[no-untyped-call]
    elif isinstance(value, int | Decimal) and not isinstance(value, bool):
        d = normalise_decimal(Decimal(value))
        if len(d.as_tuple().digits) <= EXACT_DIGITS:
            _number(cell, safe_string(int(d) if isinstance(value, int) else d))
        else:
            _text(cell, format(d, "f"), quoted)
    else:
        _text(cell, shown_value(f, value, words), quoted)


def _number(cell: Any, text: str) -> None:
    cell.set("t", "n")
    etree.SubElement(cell, _q("v")).text = text


def _text(cell: Any, text: str, quoted: dict[str, str]) -> None:
    if text == "":
        return
    cell.set("t", "inlineStr")
    if text.startswith(_FORMULA_STARTS):  # text stays text: never a formula
        cell.set("s", quoted[cell.get("s", "0")])
    t = etree.SubElement(etree.SubElement(cell, _q("is")), _q("t"))
    if text != text.strip():
        t.set(XML_SPACE, "preserve")
    t.text = text
