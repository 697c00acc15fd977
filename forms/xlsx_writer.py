"""Writing a form as an Excel workbook on the letterhead base.

Each input cell sits directly right of its label and is a workbook-scoped defined name
`CL_<field id>`; a table field's name covers its data rows, with the column labels in the
row above. Choices are dropdowns (lists on a hidden sheet); labels are locked, inputs
unlocked, the sheet protected without a password so that nobody types over a label.

Column widths come from forms.layout and add up to the printable width of A4 at 100 %:
the sheet is set to fit the page's width only (never its height), so a long form runs
onto more pages instead of shrinking, and a hint prints at its own 8 pt.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from importlib import resources
from typing import IO, Any

from openpyxl import load_workbook
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Font
from openpyxl.styles.proxy import StyleProxy
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from forms.definition import Field, FormDefinition, Section
from forms.hints import (
    EAST_ASIAN_TEXT,
    ENGLISH,
    UPRIGHT,
    EastAsian,
    Wording,
    field_hint,
    identity_line,
    shown_value,
    stretches,
)
from forms.identity import Identity
from forms.layout import (
    SHEET_GAP_POINTS,
    SIGN_OFF,
    SheetColumns,
    sheet_columns,
    sheet_gap_before,
    sheet_header_points,
    sheet_row_points,
    sheet_text_points,
)
from forms.markers import NAME_PREFIX
from forms.values import normalise_decimal
from language import N_, _, use

LISTS_SHEET = "Lists"
LABEL_COL, INPUT_COL, HINT_COL = 1, 2, 3
LAST_COL = 5
TABLE_ROW_POINTS = 26
PRINT_TITLE_ROWS = 3  # company, title and identity line repeat on every printed page
# LibreOffice keeps 15 significant digits of a number; more must travel as text.
EXACT_DIGITS = 15
_FORMULA_STARTS = ("=", "+", "-", "@")
_NUMBER_FORMATS = {
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
    "integer": "0",
    "decimal": "General",
    "text": "@",
    "multiline": "@",
    "choice": "@",
    "multichoice": "@",
    "yesno": "@",
}
INSTRUCTIONS = N_(
    "Fill the yellow cells. Dates like 2026-11-30; pick choices from the dropdown. "
    "Save as .xlsx (keep the file type) into the {inbox} folder."
)


def write_xlsx(
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
    base = resources.files("templates").joinpath("letterhead.xlsx")
    with base.open("rb") as fh:
        wb = load_workbook(fh)
    ws = wb.active
    assert isinstance(ws, Worksheet)
    ws.title = words.sheet_name(form)
    lists = wb.create_sheet(LISTS_SHEET)
    lists.sheet_state = "hidden"
    columns = sheet_columns(form, words)
    writer = _SheetWriter(wb, ws, lists, columns, words)
    writer.banner(form, identity, company)
    for section in form.sections:
        writer.section(section)
        for f in section.fields:
            if f.type == "table":
                writer.table(f, values.get(f.id) or [])
            else:
                writer.scalar(f, section, values.get(f.id))
    east_asian = words.east_asian()
    if east_asian is not None:
        _east_asian_runs(ws, east_asian)
    ws.print_area = f"A1:{get_column_letter(LAST_COL)}{writer.row}"
    ws.print_title_rows = f"1:{PRINT_TITLE_ROWS}"
    _page_setup(ws, columns)
    _protect(ws)
    _header_footer(ws, form, identity, company, words)
    props = wb.custom_doc_props  # type: ignore[attr-defined]  # missing from the stubs
    for name, value in identity.properties().items():
        props.append(StringProperty(name=name, value=value))
    wb.properties.title = words.title(form)
    wb.properties.subject = identity.case_id or ""
    wb.properties.creator = company
    wb.properties.keywords = f"closedloop {form.id}"
    wb.save(out)


class _SheetWriter:
    def __init__(
        self, wb: Any, ws: Worksheet, lists: Worksheet, columns: SheetColumns, words: Wording
    ) -> None:
        self.wb = wb
        self.ws = ws
        self.lists = lists
        self.columns = columns
        self.words = words
        self.row = 1
        self._list_refs: dict[tuple[str, ...], str] = {}
        self._validations: dict[str, DataValidation] = {}

    def banner(self, form: FormDefinition, identity: Identity, company: str) -> None:
        note = self.words.say(INSTRUCTIONS).format(inbox=self.words.inbox)
        title = self.words.title(form)
        if sheet_text_points(title, 16, self.columns, 0, bold=True) > 24:
            title = self.words.title(form, "\n")  # a title too wide: the second below
        for text, style, height in (
            (company, "CL Company", 18),
            (title, "CL Title", max(24, sheet_text_points(title, 16, self.columns, 0, True))),
            (identity_line(identity, self.words), "CL Identity", 16),
            (note, "CL Note", sheet_text_points(note, 9, self.columns, 26)),
        ):
            self._merged(text, style, height)
        if self.words.language in UPRIGHT:  # the note's italics: never a Chinese line
            note_cell = self.ws.cell(self.row - 1, 1)
            slanted = note_cell.font
            note_cell.font = Font(name=slanted.name, sz=slanted.sz, color=slanted.color, i=False)
        self._gap(SHEET_GAP_POINTS)

    def _gap(self, height: float) -> None:
        self.ws.row_dimensions[self.row].height = height
        self.row += 1

    def _merged(self, text: str, style: str, height: float) -> None:
        cell = self.ws.cell(self.row, 1)
        set_text(cell, text)
        cell.style = style
        if "\n" in text:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        self.ws.merge_cells(
            start_row=self.row, start_column=1, end_row=self.row, end_column=LAST_COL
        )
        self.ws.row_dimensions[self.row].height = height
        self.row += 1

    def section(self, section: Section) -> None:
        if self.row > 6:
            self._gap(self._gap_before(section))
        for col in range(1, LAST_COL + 1):
            self.ws.cell(self.row, col).style = "CL Section"
        set_text(self.ws.cell(self.row, 1), self.words.section(section))
        self.ws.row_dimensions[self.row].height = 18
        self.row += 1

    def _gap_before(self, section: Section) -> float:
        """A sign-off is signed on one sheet of paper, and no section's title is left at
        the foot of a page without its first field: when either would be cut from what
        follows, the blank row before it grows to move it onto the next page."""
        heights = [self.ws.row_dimensions[r].height or SHEET_GAP_POINTS for r in range(1, self.row)]
        first = section.fields[0]
        if first.type == "table":
            kept = [18.0 + sheet_header_points(first, self.columns, self.words) + TABLE_ROW_POINTS]
        elif section.title == SIGN_OFF and all(f.type != "table" for f in section.fields):
            kept = [sheet_row_points(f, section, self.columns, self.words) for f in section.fields]
        else:
            kept = [sheet_row_points(first, section, self.columns, self.words)]
        repeated = sum(heights[:PRINT_TITLE_ROWS])
        return sheet_gap_before(heights, repeated, 18 + sum(kept))

    def scalar(self, f: Field, section: Section, value: Any) -> None:
        r = self.row
        label = self.ws.cell(r, LABEL_COL)
        set_text(label, self.words.label(f))
        label.style = "CL Label"
        cell = self.ws.cell(r, INPUT_COL)
        cell.style = "CL Input"
        self._input(cell, f, value)
        hint = self.ws.cell(r, HINT_COL)
        set_text(hint, field_hint(f, words=self.words))
        hint.style = "CL Hint"
        self.ws.merge_cells(start_row=r, start_column=HINT_COL, end_row=r, end_column=LAST_COL)
        # Neither Excel nor LibreOffice grows a row to fit a merged cell: the height is set.
        self.ws.row_dimensions[r].height = sheet_row_points(f, section, self.columns, self.words)
        self._name(f.id, f"${get_column_letter(INPUT_COL)}${r}")
        self.row += 1

    def table(self, f: Field, rows: list[Mapping[str, Any]]) -> None:
        title = self.ws.cell(self.row, 1)
        set_text(title, self.words.label(f, " "))
        title.style = "CL Label"
        hint = self.ws.cell(self.row, 2)
        set_text(hint, field_hint(f, " ", self.words))
        hint.style = "CL Hint"
        self.ws.merge_cells(
            start_row=self.row, start_column=2, end_row=self.row, end_column=LAST_COL
        )
        self.ws.row_dimensions[self.row].height = 18
        self.row += 1
        for col, column in enumerate(f.columns, start=1):
            head = self.ws.cell(self.row, col)
            set_text(head, self.words.label(column))
            head.style = "CL Column"
        self.ws.row_dimensions[self.row].height = sheet_header_points(f, self.columns, self.words)
        self.row += 1
        first = self.row
        count = max(f.rows, len(rows) + 2)
        for i in range(count):
            row_value = rows[i] if i < len(rows) else {}
            for col, column in enumerate(f.columns, start=1):
                cell = self.ws.cell(self.row, col)
                cell.style = "CL Input"
                self._input(cell, column, row_value.get(column.id))
            # Two lines: a table's text column is narrow, and a row does not grow to fit.
            self.ws.row_dimensions[self.row].height = TABLE_ROW_POINTS
            self.row += 1
        last_col = get_column_letter(len(f.columns))
        self._name(f.id, f"$A${first}:${last_col}${self.row - 1}")

    def _name(self, field_id: str, ref: str) -> None:
        name = NAME_PREFIX + field_id
        self.wb.defined_names[name] = DefinedName(
            name, attr_text=f"{quote_sheetname(self.ws.title)}!{ref}"
        )

    def _input(self, cell: Cell | MergedCell, f: Field, value: Any) -> None:
        cell.number_format = _NUMBER_FORMATS.get(f.type, "General")
        if f.type == "choice" or f.type == "yesno":
            self._validate_list(cell, f)
        if f.type == "multiline":
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        if value is None:
            return
        if isinstance(value, datetime | date):
            cell.value = value
        elif isinstance(value, int | Decimal) and not isinstance(value, bool):
            d = normalise_decimal(Decimal(value))
            if len(d.as_tuple().digits) <= EXACT_DIGITS:
                cell.value = int(d) if isinstance(value, int) else d
            else:
                set_text(cell, format(d, "f"))
        else:
            set_text(cell, shown_value(f, value, self.words))

    def _validate_list(self, cell: Cell | MergedCell, f: Field) -> None:
        labels: tuple[str, ...] = self.words.yes_no()
        if f.type != "yesno":
            labels = tuple(self.words.choice(c) for c in f.choices)
        ref = self._list_refs.get(labels)
        if ref is None:
            col = len(self._list_refs) + 1
            for i, label in enumerate(labels, start=1):
                set_text(self.lists.cell(i, col), label)
            letter = get_column_letter(col)
            ref = f"{quote_sheetname(LISTS_SHEET)}!${letter}$1:${letter}${len(labels)}"
            self._list_refs[labels] = ref
        dv = self._validations.get(ref)
        if dv is None:
            dv = DataValidation(
                type="list",
                formula1=ref,
                allow_blank=True,
                showErrorMessage=True,
                errorStyle="stop",
                errorTitle=_("Choose from the list"),
                error=_("Pick one of the values in the list."),
            )
            self.ws.add_data_validation(dv)
            self._validations[ref] = dv
        dv.add(cell)


def set_text(cell: Cell | MergedCell, text: str) -> None:
    """Text stays text: a leading =, +, - or @ must never become a formula."""
    cell.value = text
    cell.data_type = "s"
    if text.startswith(_FORMULA_STARTS):
        cell.quotePrefix = True


def _east_asian_runs(ws: Worksheet, east: EastAsian) -> None:
    """The form's own texts with their East Asian stretches in east's font, the rest in the
    style's: a cell has one font, and named for all its text it would draw the Latin too
    (LibreOffice, lacking the font, in another, wider one). Input cells stay as they are."""
    for row in ws.iter_rows():
        for cell in row:
            text = cell.value
            if isinstance(text, str) and cell.style != "CL Input" and EAST_ASIAN_TEXT.search(text):
                cell.value = _runs(text, cell.font, east)


def _runs(text: str, font: Font | StyleProxy, east: EastAsian) -> CellRichText:
    def run(part: str, east_asian: bool) -> TextBlock:
        # A run's font is whole in itself: every property of the style's, but its name
        # (and its slant: Chinese is never slanted).
        name, charset = (east.font, east.charset) if east_asian else (font.name, None)
        italic = False if east_asian and font.i else font.i
        shaped = InlineFont(rFont=name, charset=charset, b=font.b, i=italic, sz=font.sz)
        shaped.color = font.color
        return TextBlock(shaped, part)

    return CellRichText([run(part, east_asian) for part, east_asian in stretches(text)])


def _protect(ws: Worksheet) -> None:
    ws.protection.sheet = True
    # In OOXML these flags mean "this action is blocked"; let people size rows and columns
    # and add table rows, but not delete rows (that would remove fields).
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.protection.insertRows = False
    ws.protection.selectLockedCells = False
    ws.protection.selectUnlockedCells = False


def _page_setup(ws: Worksheet, columns: SheetColumns) -> None:
    for letter, width in zip("ABCDE", columns.widths, strict=True):
        ws.column_dimensions[letter].width = width
    ws.sheet_properties.pageSetUpPr.fitToPage = True  # type: ignore[union-attr]
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as it takes: never shrink to fit
    ws.page_margins.left = ws.page_margins.right = 0.5


def _header_footer(
    ws: Worksheet, form: FormDefinition, identity: Identity, company: str, words: Wording
) -> None:
    def esc(text: str) -> str:
        return text.replace("&", "&&")

    header, footer = ws.oddHeader, ws.oddFooter
    assert header is not None and footer is not None  # openpyxl always makes them
    header.left.text = esc(company)
    header.right.text = esc(Wording(words.language).title(form))  # the body has both
    footer.left.text = esc(identity_line(identity, words))
    footer.right.text = esc(_("Page {page} of {pages}")).format(page="&P", pages="&N")
    # 9 pt: LibreOffice may still shrink a sheet by a few per cent to save a last page.
    footer.left.size = footer.right.size = 9
