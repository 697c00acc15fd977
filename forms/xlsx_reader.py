"""Reading field values out of a filled .xlsx with lxml alone.

Fields are found by their workbook-scoped defined names (`CL_<id>`), which Excel and
LibreOffice move along when rows are inserted; where a name is missing or broken the
label is looked up on the sheet and the value taken from the cell right of it (after
any merged label range). Numbers stay exact: a cell's text becomes a Decimal, never a float.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation
from typing import cast

from lxml import etree

from forms.container import OfficePackage, resolve_target
from forms.definition import FormDefinition, label_key
from forms.errors import RefusedFile, shown
from forms.extracted import Extracted, TableRows
from forms.limits import MAX_SHEET_COLUMN, MAX_SHEET_ROW, MAX_TABLE_COLUMNS, MAX_TABLE_ROWS
from forms.markers import NAME_PREFIX
from forms.values import Raw
from language import _

S_TRANSITIONAL = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
S_STRICT = "http://purl.oclc.org/ooxml/spreadsheetml/main"
R_NAMESPACES = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "http://purl.oclc.org/ooxml/officeDocument/relationships",
)
SHEET_RELS = tuple(f"{base}/worksheet" for base in R_NAMESPACES)
SST_RELS = tuple(f"{base}/sharedStrings" for base in R_NAMESPACES)
# Row numbers of at most 7 digits: int() of a longer one costs (or fails past 4300 digits)
# and no sheet has such a row anyway.
_REF = re.compile(
    r"^(?:'((?:[^']|'')+)'|([^!]+))!\$?([A-Z]{1,3})\$?(\d{1,7})(?::\$?([A-Z]{1,3})\$?(\d{1,7}))?$"
)
_CELL = re.compile(r"^([A-Z]{1,3})(\d{1,7})$")
_ROW = re.compile(r"^\d{1,7}$")
# The longest reference a real sheet makes: a 31-character sheet name quoted (quotes
# doubled) and two cell addresses. Longer text is no reference, and is never cached.
_MAX_REF_CHARS = 100

Coord = tuple[int, int]
# A spreadsheet number holds 15 significant digits (Excel's documented precision); writers
# print more (openpyxl: "%.16g", so 0.0006 arrives as 0.0005999999999999999).
_SPREADSHEET_DIGITS = Context(prec=15, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class Area:
    sheet: str
    top: int
    left: int
    bottom: int
    right: int


def column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def parse_ref(text: str) -> Area | None:
    """The first area of a reference (`'Sheet'!$B$7:$E$12`), corners in order, or None
    when it is not one or lies outside any sheet."""
    first = text.strip().split(",")[0]
    return _parse_area(first) if len(first) <= _MAX_REF_CHARS else None


@functools.lru_cache(maxsize=4096)
def _parse_area(text: str) -> Area | None:
    m = _REF.match(text)
    if not m:
        return None
    sheet = (m[1].replace("''", "'") if m[1] is not None else m[2]).strip()
    rows = (int(m[4]), int(m[6]) if m[6] else int(m[4]))
    cols = (column_index(m[3]), column_index(m[5]) if m[5] else column_index(m[3]))
    if min(rows) < 1 or max(rows) > MAX_SHEET_ROW or max(cols) > MAX_SHEET_COLUMN:
        return None
    return Area(sheet, min(rows), min(cols), max(rows), max(cols))


class _Book:
    def __init__(self, pkg: OfficePackage) -> None:
        self.pkg = pkg
        root = pkg.parse(pkg.main_part)
        ns = etree.QName(root).namespace or S_TRANSITIONAL
        self.s = ns if ns in (S_TRANSITIONAL, S_STRICT) else S_TRANSITIONAL
        pr = root.find(f"{{{self.s}}}workbookPr")
        self.date1904 = pr is not None and pr.get("date1904", "0").lower() in ("1", "true")
        rels: dict[str | None, tuple[str | None, str]] = {}
        rels_name = _rels_name(pkg.main_part)
        if pkg.has(rels_name):
            for rel in pkg.relationships(rels_name):
                rels[rel.get("Id")] = (rel.get("Type"), rel.get("Target", ""))
        self.sheets: dict[str, str] = {}
        self.sheet_order: list[str] = []
        for sheet in root.iter(f"{{{self.s}}}sheet"):
            rid = next(
                (sheet.get(f"{{{r}}}id") for r in R_NAMESPACES if sheet.get(f"{{{r}}}id")), None
            )
            target = rels.get(rid)
            if target and target[0] in SHEET_RELS:
                name = sheet.get("name", "")
                self.sheets[name] = resolve_target(pkg.main_part, target[1])
                self.sheet_order.append(name)
        self.names: dict[str, str] = {}
        for dn in root.iter(f"{{{self.s}}}definedName"):
            name = (dn.get("name") or "").lower()
            if name.startswith(NAME_PREFIX.lower()):
                self.names[name[len(NAME_PREFIX) :]] = dn.text or ""
        self.sst_part = next(
            (resolve_target(pkg.main_part, t) for kind, t in rels.values() if kind in SST_RELS),
            None,
        )
        self._sst: list[etree._Element] | None = None
        self._sst_text: dict[int, str] = {}
        self._valued_cells = _valued_cells_query(self.s)
        self._cells: dict[tuple[str, bool], dict[Coord, Raw]] = {}
        # by part, not by sheet name: many sheet names may point at one (huge) part
        self._roots: dict[str, etree._Element | None] = {}

    def shared_string(self, index: int) -> str | None:
        """One shared string, decoded on first use (most are labels nobody asks for)."""
        if self._sst is None:
            self._sst = []
            if self.sst_part and self.pkg.has(self.sst_part):
                root = self.pkg.parse(self.sst_part)
                self._sst = list(root.iterchildren(f"{{{self.s}}}si"))
        if not 0 <= index < len(self._sst):
            return None
        text = self._sst_text.get(index)
        if text is None:
            text = self._sst_text[index] = _rich_text(self._sst[index], self.s)
        return text

    def cells(self, sheet: str, wanted: set[Coord] | None = None) -> dict[Coord, Raw]:
        """Cell values of a sheet: only the `wanted` ones (decoding every label and hint
        would double the cost of a read), or all of them."""
        key = (sheet, wanted is None)
        if key not in self._cells:
            self._cells[key] = {}
            root = self._sheet_root(sheet)
            if root is not None:
                self._load(self._cells[key], root, wanted)
        return self._cells[key]

    def _sheet_root(self, sheet: str) -> etree._Element | None:
        part = self.sheets.get(sheet)
        if part is None or not self.pkg.has(part):
            return None
        if part not in self._roots:
            self._roots[part] = self.pkg.parse(part)
        return self._roots[part]

    def merges(self, sheet: str) -> list[Area]:
        """Merged ranges, needed only when fields are found by label."""
        root = self._sheet_root(sheet)
        if root is None:
            return []
        areas = (parse_ref(f"x!{mc.get('ref', '')}") for mc in root.iter(f"{{{self.s}}}mergeCell"))
        return [a for a in areas if a is not None]

    def _load(self, out: dict[Coord, Raw], root: etree._Element, wanted: set[Coord] | None) -> None:
        s = self.s
        v_tag, is_tag = f"{{{s}}}v", f"{{{s}}}is"
        # Fast path: only cells holding a value, each found by its own r="B7" reference.
        found: dict[Coord, Raw] = {}
        for c in cast(list[etree._Element], self._valued_cells(root)):
            ref = c.get("r") or ""
            # "XFD1048576" is the longest address: longer text is none, and is not cached
            coord = _coord(ref) if len(ref) <= 10 else None
            if coord is None:  # no reference: positions must be counted instead
                self._load_by_position(out, root, wanted)
                return
            if wanted is None or coord in wanted:
                value = self._cell_value(c, v_tag, is_tag)
                if value is not None:
                    found[coord] = value
        out.update(found)

    def _cell_value(self, c: etree._Element, v_tag: str, is_tag: str) -> Raw:
        # Children are walked directly: lxml's find() costs more than the whole decode.
        t = c.get("t", "n")
        for child in c:
            if child.tag == v_tag:
                return self._value(t, child.text)
            if child.tag == is_tag:
                return _rich_text(child, self.s)
        return None

    def _load_by_position(
        self, out: dict[Coord, Raw], root: etree._Element, wanted: set[Coord] | None
    ) -> None:
        """Rows and cells without r= references: positions counted, as Excel does."""
        s = self.s
        wanted_rows = {r for r, _ in wanted} if wanted is not None else None
        row_tag, c_tag, v_tag, is_tag = f"{{{s}}}row", f"{{{s}}}c", f"{{{s}}}v", f"{{{s}}}is"
        data = root.find(f"{{{s}}}sheetData")
        if data is not None:
            row_no = 0
            for row in data.iterchildren(row_tag):
                r = row.get("r") or ""
                row_no = int(r) if _ROW.match(r) else row_no + 1
                if wanted_rows is not None and row_no not in wanted_rows:
                    continue
                col_no = 0
                for c in row.iterchildren(c_tag):
                    ref = c.get("r")
                    m = _CELL.match(ref) if ref else None
                    col_no = column_index(m[1]) if m else col_no + 1
                    if wanted is not None and (row_no, col_no) not in wanted:
                        continue
                    value = self._cell_value(c, v_tag, is_tag)
                    if value is not None:
                        out[(row_no, col_no)] = value

    def _value(self, t: str, text: str | None) -> Raw:
        if text is None:
            return None
        if t == "s":
            try:
                return self.shared_string(int(text))
            except ValueError:
                return None
        if t in ("str", "e"):
            return text
        if t == "b":
            return text.strip() in ("1", "true")
        if t == "d":
            try:
                return datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text)
            except ValueError:
                return text
        try:
            number = _SPREADSHEET_DIGITS.plus(Decimal(text.strip()))
        except InvalidOperation:
            return text
        # A cell holds a double: no NaN, no infinity, nothing past 1.8E+308. Anything else
        # is kept as the text it is (and refused as a number when typed).
        if not number.is_finite() or (not number.is_zero() and abs(number.adjusted()) > 308):
            return text
        return number


@functools.cache
def _valued_cells_query(ns: str) -> etree.XPath:
    return etree.XPath("s:sheetData/s:row/s:c[s:v or s:is]", namespaces={"s": ns})


@functools.lru_cache(maxsize=65536)
def _coord(ref: str) -> Coord | None:
    """A cell address as (row, column); callers pass only short text (the cache keeps it)."""
    m = _CELL.match(ref)
    return (int(m[2]), column_index(m[1])) if m else None


def _rels_name(part: str) -> str:
    folder, _sep, name = part.rpartition("/")
    return f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels"


def _rich_text(el: etree._Element, s: str) -> str:
    """Text of a shared or inline string: plain <t>, or the <t> of each rich-text run <r>;
    phonetic guides (<rPh>) are left out."""
    t_tag, r_tag = f"{{{s}}}t", f"{{{s}}}r"
    parts: list[str] = []
    for child in el:
        if child.tag == t_tag:
            parts.append(child.text or "")
        elif child.tag == r_tag:
            parts.extend(g.text or "" for g in child if g.tag == t_tag)
    return "".join(parts)


def extract_xlsx(pkg: OfficePackage, form: FormDefinition) -> Extracted:
    book = _Book(pkg)
    out = Extracted(date1904=book.date1904)
    missing: list[str] = []
    areas: dict[str, Area] = {}
    wanted: dict[str, set[Coord]] = {}
    for f in form.fields:
        ref = book.names.get(f.id.lower(), "")
        area = parse_ref(ref)
        if area is None or area.sheet not in book.sheets:
            missing.append(f.id)
            continue
        areas[f.id] = area
        coords = wanted.setdefault(area.sheet, set())
        if f.type != "table":
            coords.add((area.top, area.left))  # a field's value is its range's first cell
            continue
        _check_table_area(book, f.id, ref, area)
        coords.update(  # the header row too
            (r, c)
            for r in range(area.top - 1, area.bottom + 1)
            for c in range(area.left, area.right + 1)
        )
    for f in form.fields:
        if f.id not in areas:
            continue
        area = areas[f.id]
        cells = book.cells(area.sheet, wanted[area.sheet])
        if f.type != "table":
            out.scalars[f.id] = cells.get((area.top, area.left))
            continue
        columns = _column_positions(form, f.id, cells, area)
        table = TableRows()
        for number, r in enumerate(range(area.top, area.bottom + 1), start=1):
            row = {cid: cells.get((r, c)) for c, cid in columns}
            if any(v is not None and str(v).strip() for v in row.values()):
                table.rows.append((number, row))
        out.tables[f.id] = table
    if missing:
        _by_label(book, form, missing, out)
    return out


def _check_table_area(book: _Book, field_id: str, ref: str, area: Area) -> None:
    """Refuse a table's defined name that covers more than a form's table can hold, before
    a cell of it is listed (a whole sheet is 17 billion cells)."""
    rows, cols = area.bottom - area.top + 1, area.right - area.left + 1
    if rows > MAX_TABLE_ROWS or cols > MAX_TABLE_COLUMNS:
        raise RefusedFile(
            book.pkg.path,
            "unsafe",
            _(
                "its defined name {name} covers {area} ({rows} rows by {columns} columns), "
                "far more than a form's table holds "
                "(at most {most_rows} rows by {most_columns} columns)."
            ).format(
                name=NAME_PREFIX + field_id,
                area=shown(ref.strip()),
                rows=rows,
                columns=cols,
                most_rows=MAX_TABLE_ROWS,
                most_columns=MAX_TABLE_COLUMNS,
            ),
        )


def _column_positions(
    form: FormDefinition, field_id: str, cells: dict[Coord, Raw], area: Area
) -> list[tuple[int, str]]:
    """Columns of a table area by the header row above it; by position if no header."""
    f = form.field(field_id)
    by_label = {k: c.id for c in f.columns for k in c.label_keys()}
    found: list[tuple[int, str]] = []
    for col in range(area.left, area.right + 1):
        head = cells.get((area.top - 1, col))
        cid = by_label.get(label_key(str(head))) if head is not None else None
        if cid is not None:
            found.append((col, cid))
    if len(found) == len(f.columns):
        return found
    return [(area.left + i, c.id) for i, c in enumerate(f.columns)]


def _by_label(book: _Book, form: FormDefinition, missing: list[str], out: Extracted) -> None:
    """Find fields whose defined name is gone by their label on the form's sheet."""
    sheet = form.sheet if form.sheet in book.sheets else (book.sheet_order or [""])[0]
    cells = book.cells(sheet)
    labels: dict[str, Coord] = {}
    for coord, value in sorted(cells.items()):
        if isinstance(value, str):
            labels.setdefault(label_key(value), coord)
    merge_end = {(a.top, a.left): a.right for a in book.merges(sheet)}
    for fid in missing:
        f = form.field(fid)
        # The label in any language the definitions carry, the English one first.
        at = labels.get(label_key(f.label)) or next(
            (labels[k] for k in sorted(f.label_keys()) if k in labels), None
        )
        if at is None:
            continue
        value_col = merge_end.get(at, at[1]) + 1
        if f.type != "table":
            out.scalars[fid] = cells.get((at[0], value_col))
            continue
        header_row = at[0] + 1
        by_label = {k: c.id for c in f.columns for k in c.label_keys()}
        columns = [
            (col, by_label[label_key(str(v))])
            for (r, col), v in cells.items()
            if r == header_row and isinstance(v, str) and label_key(v) in by_label
        ]
        # Without its defined name a table's extent is unknown: rows are read down to the
        # first blank one.
        table = TableRows()
        r = header_row + 1
        number = 1
        while any(isinstance(cells.get((r, c)), str | Decimal | bool | date) for c, _ in columns):
            row = {cid: cells.get((r, c)) for c, cid in columns}
            table.rows.append((number, row))
            r += 1
            number += 1
        out.tables[fid] = table


def xlsx_identity_text(pkg: OfficePackage) -> str:
    """Text of the first rows of the first sheet, where the identity line is printed."""
    book = _Book(pkg)
    if not book.sheet_order or not book.names:
        return ""  # not one of ours: no need to parse a foreign sheet
    cells = book.cells(book.sheet_order[0])
    return "\n".join(str(v) for (r, _c), v in sorted(cells.items()) if r <= 10)
