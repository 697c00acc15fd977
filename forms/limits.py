"""What a form can hold: the bounds past which a file is not a form but an attack or an accident.

The readers check them before they expand anything (a table range, a row number, a text),
so that a small file cannot make a read cost more than a real form does. Each bound is
many times what the forms in forms/definitions/ and the corpus's real forms reach.
"""

from __future__ import annotations

#: Rows of one table field. The templates give 4-6 rows; people add some, never hundreds.
MAX_TABLE_ROWS = 1000
#: Columns a table field's range may span (the widest table has 5 columns).
MAX_TABLE_COLUMNS = 64
#: Row and column numbers a spreadsheet can have (Excel: 1,048,576 rows, XFD columns).
MAX_SHEET_ROW = 1_048_576
MAX_SHEET_COLUMN = 16_384

#: The longest value, in characters, each field type takes. A name, a number or a date is
#: a line (a one-line text field is allowed a long paragraph: the round-trip tests type
#: 1500 characters into one); a multiline field a few pages of findings; anything longer
#: belongs in the case's evidence folder.
MAX_CHARS: dict[str, int] = {
    "text": 2_000,
    "multiline": 30_000,
    "multichoice": 2_000,
    "choice": 200,
}
#: Dates, numbers and yes/no: what no typing of one needs more than. The smallest limit
#: (forms.values checks no shorter text).
MAX_CHARS_OTHER = 100
#: Numbers beyond 10^20 (or below 10^-20) are not amounts or counts on a form, and written
#: out in full (which a reader does) 1E+999999999 is a gigabyte.
MAX_NUMBER_EXPONENT = 20


def max_chars(field_type: str) -> int:
    """The longest value a field of this type takes."""
    return MAX_CHARS.get(field_type, MAX_CHARS_OTHER)
