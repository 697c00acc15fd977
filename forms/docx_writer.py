"""Writing a form as a Word document on the letterhead base.

Every scalar field is a row of a three-column table: label | value | hint, so the value
always sits in the cell right of its label. Each label cell carries a bookmark named
after the field id (bookmarks survive a LibreOffice re-save; content controls do not).
A table field is a titled table whose first row holds the column labels.

Column widths come from forms.layout and are written twice, as the table grid and as each
cell's width, with a fixed layout: Word reads one and LibreOffice the other, and only
when they agree do both show the value column widest.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from importlib import resources
from typing import IO, Any

from docx import Document
from docx.enum.table import WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.opc.oxml import serialize_part_xml
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, Twips
from docx.table import Table, _Cell, _Row
from docx.text.paragraph import Paragraph

from forms.definition import Field, FormDefinition, Section
from forms.docprops import add_docx_custom_properties
from forms.hints import (
    ENGLISH,
    UPRIGHT,
    EastAsian,
    Wording,
    field_hint,
    hint_lines,
    identity_line,
    shown_value,
    stretches,
)
from forms.identity import Identity
from forms.layout import (
    SIGN_OFF,
    WORD_TEXT_MM,
    WordColumns,
    word_columns,
    word_row_mm,
    word_table_columns,
)
from forms.markers import BOOKMARK_PREFIX
from language import N_, _, in_language, use

# Room above and below a cell's text, in twips, so rows and their hints stand apart.
CELL_MARGIN_TOP_BOTTOM = 45

LABEL_SHADE = "E8ECF1"
INSTRUCTIONS = N_(
    "Fill the white boxes. Dates like 2026-11-30; times like 14:30; for a choice, write one of "
    "the words listed beside it. Save as .docx (keep the file type) into the {inbox} folder."
)
CASE = N_("Case")
FONT_TABLE = "/word/fontTable.xml"


def write_docx(
    form: FormDefinition,
    values: Mapping[str, Any],
    identity: Identity,
    company: str,
    out: IO[bytes],
    words: Wording = ENGLISH,
) -> None:
    """Write the form in words' language(s) to out."""
    with use(words.language):
        _write(form, values, identity, company, out, words)


def _write(
    form: FormDefinition,
    values: Mapping[str, Any],
    identity: Identity,
    company: str,
    out: IO[bytes],
    words: Wording,
) -> None:
    base = resources.files("templates").joinpath("letterhead.docx")
    with base.open("rb") as fh:
        doc = Document(fh)
    east_asian = words.east_asian()
    if east_asian is not None:
        _mark_east_asian(doc, east_asian)
    ids = itertools.count(1)
    styles = _StyleIds(doc)
    _header_footer(doc, form, identity, company, words)
    _paragraph(doc, words.title(form), styles.title)
    if identity.case_id:
        _paragraph(doc, f"{words.say(CASE, ' ')} {identity.case_id}", styles.case)
    _note(_paragraph(doc, "", styles.note), words)
    columns = word_columns(form, words)
    writer = _Writer(doc, values, ids, styles, columns, words)
    for section in form.sections:
        writer.section(section)
    _hairline(doc.paragraphs[-1])
    add_docx_custom_properties(doc, identity.properties())
    core = doc.core_properties
    core.title = words.title(form)
    core.subject = identity.case_id or ""
    core.author = company
    core.keywords = f"closedloop {form.id}"
    doc.save(out)


class _StyleIds:
    """Style ids looked up once: python-docx resolves a style name by scanning every style."""

    def __init__(self, doc: Any) -> None:
        def sid(name: str) -> str:
            return str(doc.styles[name].style_id)

        self.title = sid("CL Title")
        self.case = sid("CL Case")
        self.note = sid("CL Note")
        self.section = sid("CL Section")
        self.table_title = sid("CL Table Title")
        self.label = sid("CL Label")
        self.value = sid("CL Value")
        self.hint = sid("CL Hint")
        self.spacer = sid("CL Spacer")
        self.table = doc.styles["Table Grid"]


def _mark_east_asian(doc: Any, east: EastAsian) -> None:
    """East Asian text in east's language and font, by default in every style: the font
    named outright, not by the theme (whose East Asian font follows the document's theme
    language, Japanese in the base). Latin text keeps the styles' font and language."""
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts = rpr.find(qn("w:rFonts"))
    fonts.attrib.pop(qn("w:eastAsiaTheme"), None)  # a theme font outranks the named one
    fonts.set(qn("w:eastAsia"), east.font)
    rpr.find(qn("w:lang")).set(qn("w:eastAsia"), east.language)
    doc.settings.element.find(qn("w:themeFontLang")).set(qn("w:eastAsia"), east.language)
    table = next(p for p in doc.part.package.iter_parts() if p.partname == FONT_TABLE)
    root = parse_xml(table.blob)
    entry = OxmlElement("w:font", {qn("w:name"): east.font})
    for tag, value in (("w:charset", f"{east.charset:02X}"), ("w:family", "swiss")):
        entry.append(OxmlElement(tag, {qn("w:val"): value}))
    root.append(entry)  # with its character set, for a Word that must stand in another
    table._blob = serialize_part_xml(root)


def _paragraph(doc: Any, text: str, style_id: str) -> Paragraph:
    p: Paragraph = doc.add_paragraph(text)
    p._p.style = style_id
    return p


def _note(paragraph: Paragraph, words: Wording) -> None:
    """The instructions in each language, a line each; italic, but never a Chinese line,
    nor a Chinese word in another line (a folder named 收件箱)."""
    for i, language in enumerate(filter(None, (words.language, words.second))):
        said = ("\n" if i else "") + in_language(language, INSTRUCTIONS).format(inbox=words.inbox)
        upright = language in UPRIGHT
        for part, east_asian in [(said, upright)] if upright else stretches(said):
            run = paragraph.add_run(part)
            if east_asian:
                run.font.italic = False


def _header_footer(
    doc: Any, form: FormDefinition, identity: Identity, company: str, words: Wording
) -> None:
    sec = doc.sections[0]
    head = sec.header.paragraphs[0]
    head._p.style = doc.styles["CL Company"].style_id
    head.text = f"{company}\t{Wording(words.language).title(form)}"  # the body has both
    foot = sec.footer.paragraphs[0]
    foot._p.style = doc.styles["CL Footer"].style_id
    # "Page {page} of {pages}" with Word's fields where the numbers go, in any word order.
    page = _("Page {page} of {pages}").replace("{page}", "\0PAGE\0")
    parts = page.replace("{pages}", "\0NUMPAGES\0").split("\0")
    parts[0] = identity_line(identity, words) + "\t" + parts[0]
    for i, part in enumerate(parts):
        if i % 2:
            _field(foot, part, "1")
        elif part:
            foot.add_run(part)


def _field(paragraph: Paragraph, code: str, shown: str) -> None:
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), f" {code} ")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = shown
    run.append(text)
    fld.append(run)
    paragraph._p.append(fld)


class _Writer:
    """Writes the sections of one document, in its words."""

    def __init__(
        self,
        doc: Any,
        values: Mapping[str, Any],
        ids: itertools.count[int],
        styles: _StyleIds,
        columns: WordColumns,
        words: Wording,
    ) -> None:
        self.doc = doc
        self.values = values
        self.ids = ids
        self.styles = styles
        self.columns = columns
        self.words = words

    def section(self, section: Section) -> None:
        _paragraph(self.doc, self.words.section(section), self.styles.section)
        scalars: list[Field] = []
        for f in section.fields:
            if f.type == "table":
                self._scalar_table(section, scalars)
                scalars = []
                self._table_field(f, self.values.get(f.id) or [])
            else:
                scalars.append(f)
        self._scalar_table(section, scalars)

    def _scalar_table(self, section: Section, fields: list[Field]) -> None:
        if not fields:
            return
        styles, words = self.styles, self.words
        table = _new_table(self.doc, len(fields), self.columns.widths(), styles)
        for row, f in zip(table.rows, fields, strict=True):
            label, value, hint = row.cells
            _label_cell(label, words.label(f), f.id, self.ids, styles)
            _value_cell(value, shown_value(f, self.values.get(f.id), words), styles.value)
            _hint_cell(hint, hint_lines(f, words), styles.hint)
            _row_height(row, word_row_mm(f, section))
        if section.title == SIGN_OFF:  # one block on one page: every row keeps with the next
            for row in table.rows[:-1]:
                for cell in row.cells:
                    for p in cell.paragraphs:
                        p.paragraph_format.keep_with_next = True

    def _table_field(self, f: Field, rows: list[Mapping[str, Any]]) -> None:
        styles, words = self.styles, self.words
        title = _paragraph(self.doc, "", styles.table_title)
        _bookmark(title, f.id, self.ids)
        title.add_run(words.label(f, " "))
        hint = field_hint(f, " ", words)
        if hint:
            title.add_run(_("  ({hint})").format(hint=hint)).font.bold = False
        count = max(f.rows, len(rows) + 2)
        table = _new_table(self.doc, count + 1, word_table_columns(f, words), styles)
        _repeat_header(table)
        for cell, col in zip(table.rows[0].cells, f.columns, strict=True):
            _label_cell(cell, words.label(col), None, self.ids, styles)
        for row_cells, row in itertools.zip_longest(table.rows[1:], rows):
            _row_height(row_cells, 7.0)  # room to write by hand
            for cell, col in zip(row_cells.cells, f.columns, strict=True):
                text = shown_value(col, row.get(col.id), words) if row else ""
                _value_cell(cell, text, styles.value)


def _twips(widths_mm: list[float]) -> list[int]:
    """Widths in twips that add up to the text width exactly (the last takes the rounding)."""
    total = round(WORD_TEXT_MM * 1440 / 25.4)
    out = [round(w * 1440 / 25.4) for w in widths_mm[:-1]]
    return [*out, total - sum(out)]


def _new_table(doc: Any, rows: int, widths_mm: list[float], styles: _StyleIds) -> Table:
    widths = _twips(widths_mm)
    table: Table = doc.add_table(rows=rows, cols=len(widths))
    table.style = styles.table
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False  # a fixed layout: the widths below, not the text, size the columns
    tbl_pr = table._tbl.tblPr
    tbl_w = tbl_pr.find(qn("w:tblW"))
    assert tbl_w is not None  # python-docx writes it with every table
    tbl_w.set(qn("w:type"), "dxa")
    tbl_w.set(qn("w:w"), str(sum(widths)))
    _cell_margins(tbl_pr)
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Twips(width)  # the grid (w:gridCol)
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Twips(width)  # each cell (w:tcW)
    # Two tables with nothing between them are one table to Word and LibreOffice.
    _paragraph(doc, "", styles.spacer)
    return table


def _hairline(paragraph: Paragraph) -> None:
    """The paragraph after the last table (a body must end with one) at a hair's height:
    at full height it can fall onto a page of its own, a blank last page."""
    paragraph.paragraph_format.line_spacing = Pt(1)
    mark = OxmlElement("w:rPr")
    size = OxmlElement("w:sz")
    size.set(qn("w:val"), "2")
    mark.append(size)
    paragraph._p.get_or_add_pPr().append(mark)  # the paragraph mark's size: 1 pt


def _cell_margins(tbl_pr: Any) -> None:
    margins = OxmlElement("w:tblCellMar")
    for side in ("top", "bottom"):
        edge = OxmlElement(f"w:{side}")
        edge.set(qn("w:w"), str(CELL_MARGIN_TOP_BOTTOM))
        edge.set(qn("w:type"), "dxa")
        margins.append(edge)
    look = tbl_pr.find(qn("w:tblLook"))  # the schema puts the margins before tblLook
    if look is not None:
        look.addprevious(margins)
    else:
        tbl_pr.append(margins)


def _row_height(row: _Row, least_mm: float) -> None:
    """At least this tall, and never split across two pages."""
    row.height = Mm(least_mm)
    row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
    height = row._tr.get_or_add_trPr().find(qn("w:trHeight"))
    assert height is not None  # set just above
    height.addprevious(OxmlElement("w:cantSplit"))  # the schema puts it first


def _repeat_header(table: Table) -> None:
    tr_pr = table.rows[0]._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:tblHeader"))


def _shade(cell: _Cell, fill: str) -> None:
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shd)


def _label_cell(
    cell: _Cell, label: str, field_id: str | None, ids: itertools.count[int], styles: _StyleIds
) -> None:
    _shade(cell, LABEL_SHADE)
    p = cell.paragraphs[0]
    p._p.style = styles.label
    if field_id:
        _bookmark(p, field_id, ids)
    first, newline, second = label.partition("\n")
    p.add_run(first)
    if newline:  # a bilingual label: the second language below the first, not bold
        p.add_run(newline + second).font.bold = False


def _value_cell(cell: _Cell, text: str, style_id: str) -> None:
    p = cell.paragraphs[0]
    p._p.style = style_id
    # Run.text turns "\t" and "\n" into <w:tab/> and <w:br/>; a literal tab inside <w:t>
    # becomes a space when LibreOffice re-saves the file.
    p.add_run(text)


def _hint_cell(cell: _Cell, lines: list[str], style_id: str) -> None:
    """One paragraph a hint line: the style's spacing keeps them apart."""
    p = cell.paragraphs[0]
    p._p.style = style_id
    for i, line in enumerate(lines):
        if i:
            p = cell.add_paragraph()
            p._p.style = style_id
        p.add_run(line)


def _bookmark(paragraph: Paragraph, field_id: str, ids: itertools.count[int]) -> None:
    n = str(next(ids))
    start = OxmlElement("w:bookmarkStart")
    start.set(qn("w:id"), n)
    start.set(qn("w:name"), BOOKMARK_PREFIX + field_id)
    end = OxmlElement("w:bookmarkEnd")
    end.set(qn("w:id"), n)
    paragraph._p.append(start)
    paragraph._p.append(end)
