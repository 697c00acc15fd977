"""Reading field values out of a filled .docx, by bookmark or by label, with lxml alone.

A field is found by the bookmark in its label cell (`cl_<id>`) or, when a person or an
office suite dropped the bookmark, by its label text; the value is the next cell to the
right. Text is gathered across runs, fields and content controls; deleted text (tracked
changes) is left out. Table fields are found by their header row of column labels.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import cast

from lxml import etree

from forms.container import OfficePackage
from forms.definition import Field, FormDefinition, label_key
from forms.extracted import Extracted, TableRows
from forms.markers import BOOKMARK_PREFIX
from forms.values import Raw

W_TRANSITIONAL = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W_STRICT = "http://purl.oclc.org/ooxml/wordprocessingml/main"
HEADER_FOOTER_RELS = tuple(
    f"{base}/{kind}"
    for base in (
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
        "http://purl.oclc.org/ooxml/officeDocument/relationships",
    )
    for kind in ("header", "footer")
)


class _Names:
    """Tag names and compiled queries for the namespace this document uses."""

    def __init__(self, ns: str) -> None:
        self.body = f"{{{ns}}}body"
        self.p = f"{{{ns}}}p"
        self.tbl = f"{{{ns}}}tbl"
        self.tr = f"{{{ns}}}tr"
        self.tc = f"{{{ns}}}tc"
        self.t = f"{{{ns}}}t"
        # Characters Word and LibreOffice store as elements rather than text.
        self.chars = {
            f"{{{ns}}}tab": "\t",
            f"{{{ns}}}br": "\n",
            f"{{{ns}}}cr": "\n",
            f"{{{ns}}}softHyphen": "\u00ad",
            f"{{{ns}}}noBreakHyphen": "\u2011",
        }
        self.sdt = f"{{{ns}}}sdt"
        self.sdt_content = f"{{{ns}}}sdtContent"
        self.showing_placeholder = f"{{{ns}}}showingPlcHdr"
        self.bookmark = f"{{{ns}}}bookmarkStart"
        self.name = f"{{{ns}}}name"
        self.skip = {f"{{{ns}}}del", f"{{{ns}}}moveFrom"}
        w = {"w": ns}
        # One query per cell, evaluated in C, in document order: paragraph starts, text
        # (not deleted or moved away: tracked changes), and characters stored as elements.
        self.text_nodes = etree.XPath(
            ".//w:p | .//w:t[not(ancestor::w:del or ancestor::w:moveFrom)] | .//w:tab | .//w:br"
            " | .//w:cr | .//w:softHyphen | .//w:noBreakHyphen",
            namespaces=w,
        )


@functools.cache
def _names(ns: str) -> _Names:
    return _Names(ns)


def _names_for(root: etree._Element) -> _Names:
    ns = etree.QName(root).namespace or W_TRANSITIONAL
    return _names(ns if ns in (W_TRANSITIONAL, W_STRICT) else W_TRANSITIONAL)


def element_text(el: etree._Element, n: _Names) -> str:
    """The text a person sees in a paragraph or cell; paragraphs joined by line breaks."""
    out: list[str] = []
    started = False
    nodes = cast(list[etree._Element], n.text_nodes(el))
    for node in nodes:
        tag = node.tag
        if tag == n.p:
            if started:
                out.append("\n")
            started = True
        elif tag == n.t:
            out.append(node.text or "")
        else:
            out.append(n.chars[tag])
    return "".join(out)


class _Cell:
    """A table cell, or a body paragraph: its text pieces and the field bookmark in it."""

    __slots__ = ("bookmark", "muted", "parts", "started")

    def __init__(self, started: bool = False) -> None:
        self.parts: list[str] = []
        self.bookmark: str | None = None
        self.started = started
        self.muted = False  # text not needed: a hint, or a label its bookmark already names

    @property
    def text(self) -> str:
        return "".join(self.parts)


@dataclass
class _Table:
    rows: list[list[_Cell]]
    para_key: str  # label_key of the body paragraph before the table (a table field's title)
    para_field: str | None  # the field bookmark in that paragraph


def _layout(body: etree._Element, n: _Names) -> list[_Table]:
    """Body-level tables as rows of cells of text, in one streaming pass over the body.

    One pass with lxml's C-level iteration over the few tags that matter is several
    times cheaper than querying each cell; nested tables and text boxes fold into the
    cell that holds them. (Hot loop: names are bound to locals on purpose.)
    """
    T, P, TC, TR, TBL, BM = n.t, n.p, n.tc, n.tr, n.tbl, n.bookmark
    BODY, chars, skip_holders, wrappers = n.body, n.chars, n.skip, (n.sdt, n.sdt_content)
    tables: list[_Table] = []
    table: _Table | None = None
    tbl_el = tr_el = tc_el = None
    row: list[_Cell] | None = None
    target: _Cell | None = None
    last_para: _Cell | None = None
    skip: set[etree._Element] = set()
    hidden: set[etree._Element] = set()  # content controls whose text is in skip
    for el in body.iter(TBL, TR, TC, P, T, BM, n.showing_placeholder, *chars):
        tag = el.tag
        if tag == T or tag in chars:
            if target is None or (skip and el in skip):
                continue
            holder = el.getparent().getparent()  # type: ignore[union-attr]  # text sits in a run
            if holder is not None and holder.tag in skip_holders:
                continue  # deleted or moved away (tracked changes)
            if not target.muted:
                target.parts.append((el.text or "") if tag == T else chars[tag])
            continue
        parent = el.getparent()
        while parent is not None and parent.tag in wrappers:  # content controls around it
            parent = parent.getparent()
        if tag == P:
            if parent is tc_el and target is not None:
                if target.started:
                    target.parts.append("\n")
                target.started = True
            elif parent is not None and parent.tag == BODY:
                last_para = target = _Cell(started=True)
                table = tbl_el = tr_el = tc_el = None
                row = None
            elif target is not None and target.started:
                target.parts.append("\n")  # a paragraph in a text box or nested table
        elif tag == TC:
            if row is not None and parent is tr_el:
                tc_el, target = el, _Cell()
                if len(row) >= 2 and row[0].bookmark is not None:
                    target.muted = True  # the hint beside a field: not needed
                row.append(target)
        elif tag == TR:
            if table is not None and parent is tbl_el:
                tr_el, row = el, []
                table.rows.append(row)
        elif tag == TBL:
            if parent is not None and parent.tag == BODY:
                para_key = label_key(last_para.text) if last_para else ""
                table = _Table([], para_key, last_para.bookmark if last_para else None)
                tables.append(table)
                tbl_el, tr_el, tc_el, row, target = el, None, None, None, None
        elif tag == BM:
            name = el.get(n.name, "")
            if target is not None and target.bookmark is None and name.startswith(BOOKMARK_PREFIX):
                target.bookmark = name[len(BOOKMARK_PREFIX) :]
                # the bookmark names a field label: its text is not needed (but a table
                # field's title paragraph must keep its text for matching)
                target.muted = target is not last_para
        else:
            # showingPlcHdr: Word's prompt in an untouched content control ("Click or tap
            # here to enter text.") is not a value; leave out that control's content.
            # Each control's text is listed once, and not again for a control inside one
            # already listed: thousands of markers on nested controls would otherwise list
            # the same text thousands of times (a small part, minutes of work).
            sdt = parent.getparent() if parent is not None else None
            content = sdt.find(n.sdt_content) if sdt is not None else None
            if content is not None and content not in hidden:
                hidden.add(content)
                if not any(a in hidden for a in content.iterancestors(n.sdt_content)):
                    skip.update(content.iter(T, *chars))
    return tables


class _Walk:
    """Matching the layout's cells to the form's fields."""

    def __init__(self, form: FormDefinition) -> None:
        self.by_id = {f.id: f for f in form.fields if f.type != "table"}
        # A label in any language the definitions carry finds its field.
        self.by_label = {k: f for f in self.by_id.values() for k in f.label_keys()}
        self.table_fields = [f for f in form.fields if f.type == "table"]
        self.out = Extracted()

    def table(self, table: _Table) -> None:
        rows = table.rows
        if not rows:
            return
        first = rows[0]
        header: list[str] = []
        tf: Field | None = None
        if not (first and first[0].bookmark in self.by_id):
            header = [label_key(c.text) for c in first]
            tf = _match_table(self.table_fields, header, table.para_field, table.para_key, self.out)
        if tf is not None:
            rows = self._table_rows(tf, header, rows[1:])
        for cells in rows:
            self._scalar_row(cells)

    def _table_rows(
        self, f: Field, header: list[str], rows: list[list[_Cell]]
    ) -> list[list[_Cell]]:
        """Read the rows of table field f; return the rows after it that are field rows
        (a field table merged into it when the paragraph between them was deleted)."""
        by_label = {k: c.id for c in f.columns for k in c.label_keys()}
        positions = [(i, by_label[h]) for i, h in enumerate(header) if h in by_label]
        table = TableRows()
        self.out.tables[f.id] = table
        for number, cells in enumerate(rows, start=1):
            if cells and cells[0].bookmark in self.by_id:
                return rows[number - 1 :]
            texts = [c.text for c in cells]
            if len(cells) != len(header) and texts and label_key(texts[0]) in self.by_label:
                return rows[number - 1 :]
            row: dict[str, Raw] = {
                cid: texts[i] if i < len(texts) else None for i, cid in positions
            }
            if any(isinstance(v, str) and v.strip() for v in row.values()):
                table.rows.append((number, row))
        return []

    def _scalar_row(self, cells: list[_Cell]) -> None:
        for i, cell in enumerate(cells[:-1]):
            f = (
                self.by_id.get(cell.bookmark)
                if cell.bookmark
                else self.by_label.get(label_key(cell.text))
            )
            if f is not None and f.id not in self.out.scalars:
                self.out.scalars[f.id] = cells[i + 1].text
                return


def extract_docx(pkg: OfficePackage, form: FormDefinition) -> Extracted:
    root = pkg.parse(pkg.main_part)
    n = _names_for(root)
    walk = _Walk(form)
    body = root.find(n.body)
    if body is not None:
        for table in _layout(body, n):
            walk.table(table)
    return walk.out


def _match_table(
    fields: list[Field],
    header: list[str],
    para_field: str | None,
    para_key: str,
    out: Extracted,
) -> Field | None:
    present = set(header)
    candidates = [
        f
        for f in fields
        if f.id not in out.tables and all(c.label_keys() & present for c in f.columns)
    ]
    for f in candidates:
        if f.id == para_field or any(para_key.startswith(k) for k in f.label_keys()):
            return f
    return candidates[0] if candidates else None


def docx_identity_text(pkg: OfficePackage) -> str:
    """Header and footer text, where the visible identity line is printed."""
    n: _Names | None = None
    texts: list[str] = []
    for part in pkg.related(pkg.main_part, HEADER_FOOTER_RELS):
        if pkg.has(part):
            root = pkg.parse(part)
            n = n or _names_for(root)
            texts.extend(element_text(p, n) for p in root.iter(n.p))
    return "\n".join(texts)
