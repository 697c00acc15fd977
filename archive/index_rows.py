"""The rows the auditor's indexes list (`Archive/index.html`, and `group.html` on a shared
registry), and the data files that hold them.

A ten-year archive holds 100,000 cases, and the index must show its first screen and
answer each keystroke in a blink, from file:// with no server. So the rows are small:
each is a list in the order of `COLUMNS` (no key repeated 100,000 times), with ids where
a value comes from a short list (category, state, resolution, department: their words are
given once per data file), the times already in words, and of the deadlines only the
earliest one not yet met (a case is overdue when that is past; the browser works it out as
you look). A data file holds the cases of a hundred case numbers, so that a change
rewrites one small file; it is a script (`CLOSEDLOOP.add({...});`) because browsers run
scripts from file:// but refuse to fetch files.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from archive.casefolder import case_folder, quarter_of_folder
from archive.quarter import Quarter
from filing.calendar import WorkingCalendar
from filing.policy import Policy
from filing.records import Case
from filing.status import case_deadlines
from filing.words import category_label, department_name, minute, resolution_words, state_words
from forms.atomicfile import atomic_write_bytes, loads, read_small

#: What each place of a row holds. `quarter`: the one a case is sealed in, else the one it
#: closed in; `sealed`: 1 when its folder is in that quarter's; `due`: the earliest deadline
#: not met (ISO, local time), "" when none; `page`: 1 when its page is in this Archive (the
#: group index lists other sites' cases, whose pages are at their site); `site`: the group
#: index's rows only.
COLUMNS = (
    "id",
    "customer",
    "product",
    "category",
    "state",
    "resolution",
    "department",
    "quarter",
    "sealed",
    "opened",
    "closed",
    "due",
    "page",
    "site",
)
#: The columns whose values are ids of a short list: a data file gives their words.
WORDED = ("category", "state", "resolution", "department")
START, END = "CLOSEDLOOP.add(", ");\n"

Row = list[Any]


def shard_of(case_id: str) -> str:
    """The data file a case's row lives in: a hundred case numbers to a file."""
    return case_id[:-2]


def by_number(text: str) -> tuple[Any, ...]:
    """A case number's (or a data file's) place in a list: CC-2026-10000 after
    CC-2026-9999, as people count."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text))


@dataclass(frozen=True)
class Rows:
    """How the rows of one Archive are made: its folder, its settings."""

    archive: Path
    policy: Policy

    def row(self, case: Case, here: bool = True, site: str | None = None) -> Row:
        """The case's row; `here`: its folder (and page) is in this Archive."""
        quarter, sealed = self.quarter(case, here)
        deadlines = case_deadlines(case, self.policy, self.calendar)
        waiting = [d.due for d in deadlines if not d.met_at]
        row: Row = [
            case.case_id,
            case.customer or "",
            case.product or "",
            case.category or "",
            case.state,
            case.resolution or "",
            case.department or "",
            quarter,
            int(sealed),
            minute(case.opened_at),
            minute(case.closed_at),
            min(waiting).isoformat(timespec="minutes") if waiting else "",
            int(here),
        ]
        if site is not None:
            row.append(site)
        return row

    @cached_property
    def calendar(self) -> WorkingCalendar:
        # Made once: a calendar fills its holidays a year at a time as it is asked, and a
        # new one per row (0.5 ms to make, and every year filled again) doubled the time
        # of writing every page anew.
        return WorkingCalendar(self.policy.calendar)

    def quarter(self, case: Case, here: bool = True) -> tuple[str, bool]:
        """The quarter a case belongs to (the one it is sealed in, else the one it closed
        in, else none) and whether it is sealed there."""
        folder = case_folder(self.archive, case.case_id, case.customer) if here else None
        if folder is not None and folder.parent != self.archive:
            return quarter_of_folder(folder.parent.name) or "", True
        if case.closed_at is not None:
            return str(Quarter.of(case.closed_at.date())), False
        return "", False

    def words(self, rows: Iterable[Row]) -> dict[str, dict[str, str]]:
        """The words of the ids `rows` hold, by column, in the language in use."""
        shown: dict[str, dict[str, str]] = {column: {} for column in WORDED}
        say: dict[str, Callable[[str], str]] = {
            "category": category_label,
            "state": state_words,
            "resolution": resolution_words,
            "department": self.department,
        }
        for row in rows:
            for column in WORDED:
                value = row[COLUMNS.index(column)]
                if value and value not in shown[column]:
                    shown[column][value] = say[column](value)
        return shown

    def department(self, department: str) -> str:
        return department_name(self.policy.outboxes, department)

    def write(self, path: Path, rows: dict[str, Row], now: datetime) -> None:
        """Write a data file: its rows newest first (the index lists them so), the words of
        their ids, and when it was written (the index shows the latest of its files)."""
        listed = [rows[case_id] for case_id in sorted(rows, key=by_number, reverse=True)]
        data = {
            "rows": listed,
            "words": self.words(listed),
            "written": minute(now),
            "written_at": now.isoformat(timespec="seconds"),
        }
        text = START + json.dumps(data, ensure_ascii=True, separators=(",", ":")) + END
        # Not synced to disk: derived pages, made again from the registry when lost.
        atomic_write_bytes(path, text.encode("ascii"), False)


def read(path: Path) -> dict[str, Row] | None:
    """A data file's rows by case number; None when it is missing or not of this shape
    (a closedloop before these rows: the caller makes its rows again)."""
    try:
        text = read_small(path)
        if not (text.startswith(START) and text.endswith(END)):
            return None
        data = loads(text[len(START) : -len(END)])
        rows = data["rows"]
        if not all(isinstance(r, list) and len(r) >= len(COLUMNS) - 1 for r in rows):
            return None
        return {str(r[0]): r for r in rows}
    except (OSError, ValueError, KeyError, TypeError):
        return None
