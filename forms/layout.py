"""How wide a form's columns are, from what they hold, for the Word and the Excel writer.

A field's row is label | value | hint: the label column is as wide as the form's longest
label needs (up to a cap, then it wraps), the hint column as wide as its hints need (up
to a cap), and the value gets the rest, so it is always the widest. A table field's date,
number and yes/no columns get what their values need and its text columns share the rest.
Text widths are estimated from Liberation Sans (Arial's metrics), the forms' font, and a
CJK character (Chinese, full-width punctuation) as a full em, as every CJK font draws it.
Widths are measured on the words as printed (forms.hints.Wording): a Chinese label is
shorter, a bilingual one is two lines (the first language, then the second).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from forms.definition import Field, FormDefinition, Section
from forms.hints import ENGLISH, Wording, hint_lines

#: The title of the section that holds a form's sign-off: who prepared, reviewed and
#: approved it, each with a date. Its name rows are drawn tall enough to sign in.
SIGN_OFF = "Sign-off"

# Word: the letterhead's text width (A4 less 18 mm margins) and a cell's left and right
# padding (Table Grid: 108 twips each side).
WORD_TEXT_MM = 174.0
_CELL_PAD_MM = 3.9
_LABEL_MM = (32.0, 48.0)
_HINT_MM = (30.0, 46.0)
_LABEL_PT, _HINT_PT, _VALUE_PT = 9.5, 8.0, 10.0
# Table columns whose values are short: their width in mm (text columns share the rest).
_FIXED_MM = {"date": 26.0, "datetime": 34.0, "integer": 20.0, "decimal": 24.0, "yesno": 18.0}
# Table columns that hold a person's name need less room than what was done.
_NAME_COLUMNS = frozenset({"owner", "reviewer"})

# Excel: column widths in characters of the workbook's default font (Arial 10: 7 pixels
# a character). A4 less 0.5 inch margins is about 96 such characters; 92 leave room for
# a renderer that measures a little wider, so the sheet prints at 100 % and a hint at
# its own 8.5 pt (8.5, not 8: LibreOffice shrinks a sheet that fits the width by 2 or 3 %
# when its last page would hold a row or two).
SHEET_CHARS = 92
_SHEET_LABEL = (18, 26)
_SHEET_HINT = (24, 34)
_SHEET_FIXED = {"date": 11, "datetime": 16, "integer": 9, "decimal": 11, "yesno": 8}
_SHEET_TEXT = 16
# An em of the label (10 pt), column head (9 pt) and hint (8.5 pt) text in characters of
# the default font (7 px at 96 dpi).
_EM_10PT, _EM_9PT, _EM_HINT = 10 * 96 / 72 / 7, 9 * 96 / 72 / 7, 8.5 * 96 / 72 / 7
# A line of CJK text is as tall as the CJK fonts draw it (Noto Sans CJK: 1.45 em).
_CJK_LINE = 1.45


# Characters every CJK font draws a full em wide: CJK radicals to Yi (ideographs, kana,
# CJK punctuation such as 、。), hangul, compatibility ideographs, vertical and full-width
# forms (（）：，).
_WIDE = (
    (0x2E80, 0xA4CF),
    (0xAC00, 0xD7A3),
    (0xF900, 0xFAFF),
    (0xFE30, 0xFE4F),
    (0xFF00, 0xFF60),
    (0xFFE0, 0xFFE6),
)


def is_wide(ch: str) -> bool:
    code = ord(ch)
    return code >= 0x2E80 and any(low <= code <= high for low, high in _WIDE)


def text_em(text: str, bold: bool = False) -> float:
    """The width of one line of text in ems of Liberation Sans, estimated per character."""
    total = 0.0
    for ch in text:
        if is_wide(ch):  # CJK: a full em
            total += 1.0
        elif ch in " ilIjtfr.,:;!|'()[]/-":
            total += 0.3
        elif ch.isupper() or ch in "mwMW@%":
            total += 0.72
        else:
            total += 0.55 if bold else 0.5
    return total


def lines_em(text: str, bold: bool = False) -> list[float]:
    """The width of each line of text (a bilingual label is two), in ems."""
    return [text_em(line, bold) for line in text.split("\n")]


def text_chars(text: str) -> int:
    """How many characters of a Latin font a text takes: a CJK character takes two."""
    return sum(2 if is_wide(ch) else 1 for ch in text)


def text_mm(text: str, pt: float, bold: bool = False) -> float:
    return text_em(text, bold) * pt * 25.4 / 72


def _clamp(value: float, bounds: tuple[float, float]) -> float:
    low, high = bounds
    return max(low, min(high, value))


def _scalars(form: FormDefinition) -> list[Field]:
    return [f for f in form.fields if f.type != "table"]


@dataclass(frozen=True)
class WordColumns:
    """The widths, in mm, of a form's label | value | hint tables."""

    label: float
    value: float
    hint: float

    def widths(self) -> list[float]:
        return [self.label, self.value, self.hint]


def _widest_mm(text: str, pt: float, bold: bool = False) -> float:
    return max(lines_em(text, bold)) * pt * 25.4 / 72


def word_columns(form: FormDefinition, words: Wording = ENGLISH) -> WordColumns:
    scalars = _scalars(form)
    label_need = max(
        (_widest_mm(words.label(f), _LABEL_PT, bold=True) for f in scalars), default=0.0
    )
    hint_need = max(
        (text_mm(line, _HINT_PT) for f in scalars for line in hint_lines(f, words)), default=0.0
    )
    label = round(_clamp(label_need + _CELL_PAD_MM + 1, _LABEL_MM))
    hint = round(_clamp(hint_need + _CELL_PAD_MM + 1, _HINT_MM))
    return WordColumns(label, WORD_TEXT_MM - label - hint, hint)


def word_table_columns(f: Field, words: Wording = ENGLISH) -> list[float]:
    """The widths, in mm, of a table field's columns, filling the text width."""
    fixed: dict[int, float] = {}
    weights: dict[int, float] = {}
    for i, col in enumerate(f.columns):
        header = _widest_mm(words.label(col), _LABEL_PT, bold=True) + _CELL_PAD_MM + 1
        if col.type in _FIXED_MM:
            fixed[i] = max(_FIXED_MM[col.type], header)
        elif col.type == "choice":
            longest = max(text_mm(words.choice(c), _VALUE_PT) for c in col.choices)
            fixed[i] = max(header, _clamp(longest + _CELL_PAD_MM + 1, (26.0, 44.0)))
        else:
            weights[i] = 0.6 if col.id in _NAME_COLUMNS else 1.0
    rest = WORD_TEXT_MM - sum(fixed.values())
    share = rest / sum(weights.values()) if weights else 0.0
    widths = [fixed[i] if i in fixed else share * weights[i] for i in range(len(f.columns))]
    scale = WORD_TEXT_MM / sum(widths)  # only when no column is text: stretch the fixed ones
    return [w * scale for w in widths]


def word_row_mm(f: Field, section: Section) -> float:
    """The least height of a field's row: room to write by hand, more to sign or to explain."""
    if f.type == "multiline":
        return 18.0
    if section.title == SIGN_OFF and f.type == "text":
        return 11.0
    return 7.0


@dataclass(frozen=True)
class SheetColumns:
    """The widths, in characters, of the sheet's columns A to E: label, value, and the
    three columns a hint spans (table fields use A to E for their own columns)."""

    widths: tuple[int, int, int, int, int]

    @property
    def label(self) -> int:
        return self.widths[0]

    @property
    def value(self) -> int:
        return self.widths[1]

    @property
    def hint(self) -> int:
        return sum(self.widths[2:])


def _sheet_need(col: Field, words: Wording) -> int:
    header = math.ceil(max(lines_em(words.label(col), bold=True)) * _EM_9PT) + 2
    if col.type in _SHEET_FIXED:
        need = _SHEET_FIXED[col.type]
    elif col.type == "choice":
        longest = max(text_chars(words.choice(c)) for c in col.choices)
        need = round(_clamp(longest + 2, (10, 20)))
    else:
        need = _SHEET_TEXT
    return max(need, header)


def sheet_columns(form: FormDefinition, words: Wording = ENGLISH) -> SheetColumns:
    scalars = _scalars(form)
    label_need = max(
        (max(lines_em(words.label(f), bold=True)) * _EM_10PT for f in scalars), default=0.0
    )
    hint_need = max(
        (text_em(line) * _EM_HINT for f in scalars for line in hint_lines(f, words)),
        default=0.0,
    )
    table_need = [0, 0, 0, 0, 0]
    for f in form.fields:
        for i, col in enumerate(f.columns[:5]):
            table_need[i] = max(table_need[i], _sheet_need(col, words))
    label = max(round(_clamp(label_need + 2, _SHEET_LABEL)), table_need[0])
    hint_total = max(round(_clamp(hint_need + 1, _SHEET_HINT)), sum(table_need[2:]))
    hint = _spread(hint_total, table_need[2:])
    value = max(SHEET_CHARS - label - hint_total, table_need[1])
    return SheetColumns((label, value, hint[0], hint[1], hint[2]))


def _spread(total: int, needs: Iterable[int]) -> list[int]:
    """Three columns that hold at least what each needs and `total` together, the room
    left over going to the columns that need least."""
    out = list(needs)
    while sum(out) < total:
        out[out.index(min(out))] += 1
    return out


def wrapped_points(text: str, pt: float, width: int, line_pt: float, bold: bool = False) -> float:
    """How tall text at `pt` is in a column `width` characters wide, each of its own lines
    wrapping on its own, a line `line_pt` tall; a line with CJK in it is as tall as the CJK
    font draws one (1.45 em) and wraps a little sooner (a closing bracket or full stop never
    starts a line)."""
    em_chars = pt * 96 / 72 / 7  # characters of the default font in an em of pt
    total = 0.0
    for line in text.split("\n"):
        wide = any(map(is_wide, line))
        need = text_em(line, bold) * em_chars
        count = max(1, math.ceil(need / max(1, width - 1)))
        if wide and count > 1:
            count = math.ceil(need / max(1, width - 3))
        total += count * (max(line_pt, _CJK_LINE * pt) if wide else line_pt)
    return total


def sheet_row_points(
    f: Field, section: Section, columns: SheetColumns, words: Wording = ENGLISH
) -> float:
    """A field row's height: the wrapped lines of its label and its hint, and room to write."""
    label = wrapped_points(words.label(f), 10, columns.label, 13.0, bold=True)
    hint = sum(wrapped_points(line, 8.5, columns.hint, 10.5) for line in hint_lines(f, words))
    least = 18.0
    if f.type == "multiline":
        least = 48.0
    elif section.title == SIGN_OFF and f.type == "text":
        least = 30.0
    return max(least, label + 5, hint + 6)


# A4's height less the top and bottom margins (0.75 inch; header and footer sit in them).
SHEET_PAGE_POINTS = 841.89 - 2 * 54
#: The height of a row left blank between parts of the sheet.
SHEET_GAP_POINTS = 12.75


def sheet_gap_before(heights: list[float], repeated: float, block: float) -> float:
    """The height of the blank row that follows rows of `heights` (pt), so that a block of
    `block` pt after it starts a new page rather than being cut in two. Pages after the
    first begin with `repeated` pt of title rows. A gap that takes the rest of the page
    stops 8 pt short of its end: a renderer whose page is a little shorter still keeps
    it on this page, and one whose page is a little longer still has no room for the
    block's first row."""
    y = 0.0
    for h in heights:
        if y + h > SHEET_PAGE_POINTS:
            y = repeated
        y += h
    if y + SHEET_GAP_POINTS + block <= SHEET_PAGE_POINTS or block > SHEET_PAGE_POINTS - repeated:
        return SHEET_GAP_POINTS
    return max(SHEET_GAP_POINTS, SHEET_PAGE_POINTS - y - 8)


def sheet_header_points(f: Field, columns: SheetColumns, words: Wording = ENGLISH) -> float:
    """The height of a table's row of column labels (9 pt, bold), each in its own column."""
    tallest = max(
        wrapped_points(words.label(col), 9, width, 12.0, bold=True)
        for col, width in zip(f.columns, columns.widths, strict=False)
    )
    return max(18.0, tallest + 6)


def sheet_text_points(
    text: str, pt: float, columns: SheetColumns, least: float, bold: bool = False
) -> float:
    """The height of a row whose text spans the sheet's width (A to E), at pt: `least`, or
    more when the text wraps to more lines than that holds."""
    return max(least, wrapped_points(text, pt, sum(columns.widths), 1.44 * pt, bold))
