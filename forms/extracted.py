"""What a format reader hands over: raw cell contents by field, before typing."""

from __future__ import annotations

from dataclasses import dataclass, field

from forms.values import Raw


@dataclass
class TableRows:
    """The non-blank rows of a table field: (row number as seen in the form, cells)."""

    rows: list[tuple[int, dict[str, Raw]]] = field(default_factory=list)


@dataclass
class Extracted:
    scalars: dict[str, Raw] = field(default_factory=dict)
    tables: dict[str, TableRows] = field(default_factory=dict)
    date1904: bool = False
