"""Reading field values out of a filled .docx, by bookmark or by label, with lxml alone.

A field is found by the bookmark in its label cell (`cl_<id>`) or, when a person or an
office suite dropped the bookmark, by its label text; the value is the next cell to the
right. Text is gathered across runs, fields and content controls; deleted text (tracked
changes) is left out. Table fields are found by their header row of column labels.
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from forms.container import OfficePackage
from forms.definition import Field, FormDefinition, label_key
from forms.docx_writer import BOOKMARK_PREFIX
from forms.extracted import Extracted, TableRows

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
    """Clark-notation tag names in the namespace this document uses."""

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
        self.bookmark = f"{{{ns}}}bookmarkStart"
        self.name = f"{{{ns}}}name"
        self.skip = {f"{{{ns}}}del", f"{{{ns}}}moveFrom"}


def _names_for(root: etree._Element) -> _Names:
    ns = etree.QName(root).namespace or W_TRANSITIONAL
    return _Names(ns if ns in (W_TRANSITIONAL, W_STRICT) else W_TRANSITIONAL)


def paragraph_text(p: etree._Element, n: _Names) -> str:
    out: list[str] = []
    for el in p.iter(n.t, *n.chars):
        run = el.getparent()
        holder = run.getparent() if run is not None else None
        if holder is not None and holder.tag in n.skip:
            continue
        out.append((el.text or "") if el.tag == n.t else n.chars[el.tag])
    return "".join(out)


def cell_text(tc: etree._Element, n: _Names) -> str:
    return "\n".join(paragraph_text(p, n) for p in tc.iter(n.p))


def _bookmark_field(el: etree._Element, n: _Names) -> str | None:
    for bm in el.iter(n.bookmark):
        name = bm.get(n.name, "")
        if name.startswith(BOOKMARK_PREFIX):
            return name[len(BOOKMARK_PREFIX) :]
    return None


def _blocks(parent: etree._Element, n: _Names) -> Iterator[etree._Element]:
    """Body-level paragraphs and tables, looking through block-level content controls."""
    for child in parent:
        if child.tag == n.sdt:
            content = child.find(n.sdt_content)
            if content is not None:
                yield from _blocks(content, n)
        elif child.tag in (n.p, n.tbl):
            yield child


def _cells(tr: etree._Element, n: _Names) -> list[etree._Element]:
    cells: list[etree._Element] = []
    for child in tr:
        if child.tag == n.tc:
            cells.append(child)
        elif child.tag == n.sdt:  # a row-level content control around cells
            content = child.find(n.sdt_content)
            if content is not None:
                cells.extend(c for c in content if c.tag == n.tc)
    return cells


def _rows(tbl: etree._Element, n: _Names) -> list[etree._Element]:
    rows: list[etree._Element] = []
    for child in tbl:
        if child.tag == n.tr:
            rows.append(child)
        elif child.tag == n.sdt:
            content = child.find(n.sdt_content)
            if content is not None:
                rows.extend(r for r in content if r.tag == n.tr)
    return rows


def extract_docx(pkg: OfficePackage, form: FormDefinition) -> Extracted:
    root = pkg.parse(pkg.main_part)
    n = _names_for(root)
    body = root.find(n.body)
    out = Extracted()
    if body is None:
        return out
    scalar_by_id = {f.id: f for f in form.fields if f.type != "table"}
    scalar_by_label = {label_key(f.label): f for f in scalar_by_id.values()}
    table_fields = [f for f in form.fields if f.type == "table"]
    last_para_key = ""
    last_para_field: str | None = None
    for block in _blocks(body, n):
        if block.tag == n.p:
            last_para_key = label_key(paragraph_text(block, n))
            last_para_field = _bookmark_field(block, n)
            continue
        rows = _rows(block, n)
        if not rows:
            continue
        header = [label_key(cell_text(tc, n)) for tc in _cells(rows[0], n)]
        table_field = _match_table(table_fields, header, last_para_field, last_para_key, out)
        if table_field is not None:
            body_rows = rows[1:]
            # A table merged with the field table after it (the paragraph between them
            # deleted) continues with label rows: those are read as fields again.
            end = next(
                (
                    i
                    for i, tr in enumerate(body_rows)
                    if _is_label_row(tr, n, scalar_by_id, scalar_by_label)
                ),
                len(body_rows),
            )
            out.tables[table_field.id] = _table_rows(table_field, header, body_rows[:end], n)
            rows = body_rows[end:]
        for tr in rows:
            _scalar_row(_cells(tr, n), n, scalar_by_id, scalar_by_label, out)
    return out


def _scalar_row(
    cells: list[etree._Element],
    n: _Names,
    by_id: dict[str, Field],
    by_label: dict[str, Field],
    out: Extracted,
) -> None:
    for i, tc in enumerate(cells[:-1]):
        fid = _bookmark_field(tc, n)
        f = by_id.get(fid) if fid else by_label.get(label_key(cell_text(tc, n)))
        if f is not None and f.id not in out.scalars:
            out.scalars[f.id] = cell_text(cells[i + 1], n)
            return


def _is_label_row(
    tr: etree._Element, n: _Names, by_id: dict[str, Field], by_label: dict[str, Field]
) -> bool:
    cells = _cells(tr, n)
    if len(cells) < 2:
        return False
    fid = _bookmark_field(cells[0], n)
    return (fid in by_id) if fid else label_key(cell_text(cells[0], n)) in by_label


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
        if f.id not in out.tables and all(label_key(c.label) in present for c in f.columns)
    ]
    for f in candidates:
        if f.id == para_field or para_key.startswith(label_key(f.label)):
            return f
    return candidates[0] if candidates else None


def _table_rows(f: Field, header: list[str], rows: list[etree._Element], n: _Names) -> TableRows:
    by_label = {label_key(c.label): c.id for c in f.columns}
    positions = [(i, by_label[h]) for i, h in enumerate(header) if h in by_label]
    table = TableRows()
    for number, tr in enumerate(rows, start=1):
        cells = _cells(tr, n)
        row: dict[str, str | None] = {
            cid: cell_text(cells[i], n) if i < len(cells) else None for i, cid in positions
        }
        if any(v and v.strip() for v in row.values()):
            table.rows.append((number, dict(row)))
    return table


def docx_identity_text(pkg: OfficePackage) -> str:
    """Header and footer text, where the visible identity line is printed."""
    n: _Names | None = None
    texts: list[str] = []
    for part in pkg.related(pkg.main_part, HEADER_FOOTER_RELS):
        if pkg.has(part):
            root = pkg.parse(part)
            n = n or _names_for(root)
            texts.extend(paragraph_text(p, n) for p in root.iter(n.p))
    return "\n".join(texts)
