"""The quarter close: every case closed in a quarter is sealed into
`Archive/2026Q4 Customer Complaint Closed-Loop/`, with the quarter's summary workbook and
a manifest of every file in it, and the files are made read-only. Open cases stay where
they are.

Nothing is sealed through a link: the cases to seal and the quarter folder are looked at
first without following links (archive/listing.py), and a link, a FIFO or a device in any
of them (a filed original or a piece of evidence replaced by a link to a file elsewhere)
refuses the close, naming each, before anything is moved or made read-only. The modes are
set through handles opened without following links, and the manifest hashes only regular
files opened so, so nothing outside the Archive is changed or sealed even by an entry
swapped in while the close runs.

Each step can be done again: a case folder is moved by one rename (a case already in the
quarter folder is left there), and the summary and the manifest are rewritten whole,
atomically, from what the quarter folder holds. So a close that stopped half way is
finished by running it again, and running it twice changes nothing.
"""

from __future__ import annotations

import io
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook

from archive.casefile import manifest
from archive.casefolder import case_folder, quarter_of_folder
from archive.errors import ArchiveError
from archive.layout import is_quarter_folder
from archive.listing import NEVER_FOLLOWED, list_folder, set_modes, what_is
from archive.nofollow import NotARegularFile, hash_regular
from archive.page_words import in_context
from filing.folders import FolderNames
from filing.policy import Policy
from filing.registry import Case, Registry
from filing.words import category_label, department_name, resolution_words
from forms.atomicfile import atomic_write_bytes, fsync_dir
from language import N_, _
from reports.names import NAMES, named, replace_others
from reports.report import list_sheet, quarterly_report, workbook_bytes, write_report

QUARTER = re.compile(r"^(?P<year>\d{4})Q(?P<q>[1-4])$")
# The summary's name without ".xlsx", in the language in use when the quarter is sealed
# ("2026Q4 Summary", "2026Q4 结案汇总"); a close run again replaces the other language's.
SUMMARY = N_("{quarter} Summary")
MANIFEST = "manifest.sha256"
# forms/atomicfile.py's temp file: `.<name>.<12 hex digits>.part`, left behind when a write
# was killed before its rename. Nothing closedloop files starts with a dot (safe_name).
LEFTOVER = re.compile(r"^\..+\.[0-9a-f]{12}\.part$")


# Enough of them to see what happened and where.
SHOWN_ENTRIES = 10


class QuarterRefused(ArchiveError):
    """The quarter cannot be sealed as its folders are; the message names each entry and
    what to do."""


class BadQuarter(ArchiveError):
    def __init__(self, text: str) -> None:
        super().__init__(
            _("'{text}' is not a quarter; write it like 2026Q4 (year, Q, 1 to 4)").format(text=text)
        )


@dataclass(frozen=True)
class Quarter:
    year: int
    q: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        match = QUARTER.match(text.strip().upper())
        if match is None:
            raise BadQuarter(text)
        return cls(int(match["year"]), int(match["q"]))

    @classmethod
    def of(cls, moment: date) -> Quarter:
        return cls(moment.year, (moment.month - 1) // 3 + 1)

    def __str__(self) -> str:
        return f"{self.year}Q{self.q}"

    def folder(self, archive: Path, names: FolderNames) -> Path:
        """Where this quarter is sealed: the folder it already has (named in whatever
        language the settings had then), or one named as the settings say now."""
        if archive.is_dir():
            for path in archive.glob(f"{self} *"):
                if quarter_of_folder(path.name) == str(self) and is_quarter_folder(path):
                    return path
        return archive / names.quarter_folder(str(self))

    def contains(self, moment: date) -> bool:
        return Quarter.of(moment) == self

    def ended_by(self, moment: date) -> bool:
        return (self.year, self.q) < (moment.year, (moment.month - 1) // 3 + 1)


@dataclass(frozen=True)
class QuarterClosed:
    quarter: Quarter
    folder: Path
    moved: list[str]  # case ids moved by this run
    cases: list[str]  # every case in the quarter folder
    summary: str = ""  # the names of the summary and the report written into it
    report: str = ""


def closed_in(registry: Registry, quarter: Quarter) -> list[Case]:
    return [
        c
        for c in registry.cases(state="closed")
        if c.closed_at is not None and quarter.contains(c.closed_at)
    ]


def unsealed_quarters(archive: Path, registry: Registry, now: datetime) -> list[Quarter]:
    """Quarters that have ended with closed cases still outside their quarter's folder."""
    found = set()
    for case in registry.cases(state="closed"):
        if case.closed_at is None:
            continue
        quarter = Quarter.of(case.closed_at)
        if quarter.ended_by(now) and quarter not in found:
            where = case_folder(archive, case.case_id, case.customer)
            if not is_quarter_folder(where.parent):
                found.add(quarter)
    return sorted(found, key=lambda q: (q.year, q.q))


def close_quarter(
    archive: Path,
    registry: Registry,
    quarter: Quarter,
    now: datetime,
    policy: Policy,
    company: str = "",
    reports: Path | None = None,
    currency: str = "CNY",
) -> QuarterClosed:
    """Seal the quarter; its report goes into the quarter folder (the workbook) and, when
    `reports` is given, into that folder too (workbook and page)."""
    if not quarter.ended_by(now):
        raise ArchiveError(
            _("{quarter} has not ended yet ({today}); close a quarter once it is over").format(
                quarter=quarter, today=f"{now:%Y-%m-%d}"
            )
        )
    cases = closed_in(registry, quarter)
    target = quarter.folder(archive, policy.folders)
    folders = {case.case_id: case_folder(archive, case.case_id, case.customer) for case in cases}
    # The cases sealed by an earlier run are looked at with the quarter folder.
    _refuse_foreign(
        archive, quarter, [target, *(f for f in folders.values() if f.parent != target)]
    )
    _writable(target)
    target.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(target)
    moved = []
    for case in cases:
        current = folders[case.case_id]
        if current.parent == target:
            continue  # sealed by an earlier run
        if not current.is_dir():
            raise ArchiveError(
                _(
                    "{folder}: the folder of closed case {case_id} is not in the Archive; "
                    "restore it from a backup, then close the quarter again"
                ).format(folder=current, case_id=case.case_id)
            )
        current.replace(target / current.name)
        moved.append(case.case_id)
    fsync_dir(archive)
    fsync_dir(target)
    summary = f"{named(SUMMARY, str(quarter))}.xlsx"
    atomic_write_bytes(target / summary, _summary(quarter, cases, policy.outboxes))
    replace_others(target, SUMMARY, str(quarter), (".xlsx",))
    report = quarterly_report(registry, policy, quarter.year, quarter.q, now, company, currency)
    atomic_write_bytes(target / f"{report.name}.xlsx", workbook_bytes(report))
    replace_others(target, NAMES["quarterly"], str(quarter), (".xlsx",))
    if reports is not None:
        write_report(reports, report)
    atomic_write_bytes(target / MANIFEST, _quarter_manifest(target, quarter))
    _read_only(target)
    cases_in = [c.case_id for c in cases]
    return QuarterClosed(quarter, target, moved, cases_in, summary, f"{report.name}.xlsx")


def _summary(quarter: Quarter, cases: list[Case], outboxes: Mapping[str, str]) -> bytes:
    """The sealed quarter's list of cases, in the words people read (labels, names)."""
    wb = Workbook()
    wb.remove(wb.worksheets[0])
    head = [
        _("Case"),
        _("Customer"),
        _("Product"),
        _("Category"),
        _("Department"),
        in_context(_("when|Opened")),
        in_context(_("when|Closed")),
        _("Days open"),
        _("Resolution"),
        _("Re-registered as"),
    ]
    rows = []
    for c in sorted(cases, key=lambda c: c.case_id):
        closed = c.closed_at or c.opened_at
        rows.append(
            [
                c.case_id,
                c.customer,
                c.product,
                category_label(c.category),
                department_name(outboxes, c.department),
                c.opened_at,
                closed,
                (closed - c.opened_at).days,
                resolution_words(c.resolution),
                c.reopened_as,
            ]
        )
    list_sheet(wb, str(quarter), head, rows, [15, 28, 16, 22, 24, 17, 17, 10, 30, 16])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _refuse_foreign(archive: Path, quarter: Quarter, folders: list[Path]) -> None:
    """Refuse the close, before anything is moved or its mode changed, when a folder to
    seal is not a real folder or holds anything but files and folders. Sealing goes
    through no link: a filed file replaced by a link to one elsewhere (a key, a private
    folder) would otherwise be made read-only and its bytes sealed as the case's."""
    found: list[str] = []
    for folder in folders:
        shown = f"{archive.name}/{folder.relative_to(archive).as_posix()}"
        try:
            what = what_is(folder)
        except FileNotFoundError:
            continue  # the quarter not started yet; a missing case folder is said below
        if what is not None:
            found.append(_("{path} is {what}, not a folder").format(path=shown, what=what))
            continue
        for name, entry in sorted(list_folder(folder).foreign.items()):
            found.append(_("{path} is {what}").format(path=f"{shown}/{name}", what=entry))
    if found:
        raise _refusal(quarter, found)


def _refusal(quarter: Quarter, found: list[str]) -> QuarterRefused:
    more = len(found) - SHOWN_ENTRIES
    return QuarterRefused(
        _(
            "{quarter} was not sealed: {never_followed}, and seals only files and folders. "
            "In the folders to seal:"
        ).format(quarter=quarter, never_followed=_(NEVER_FOLLOWED))
        + "\n"
        + "".join(f"  {line}\n" for line in found[:SHOWN_ENTRIES])
        + ("  " + _("and {more} more").format(more=more) + "\n" if more > 0 else "")
        + _(
            "Remove each of them (where one took the place of a filed file, restore that file "
            "from a backup: `closedloop verify` lists what is missing or altered), then close "
            "the quarter again"
        )
    )


def _quarter_manifest(folder: Path, quarter: Quarter) -> bytes:
    """The SHA-256 of every regular file in the quarter folder, each opened without
    following a link; anything else found now (swapped in since the check) refuses."""
    listing = list_folder(folder)
    shown = f"{folder.parent.name}/{folder.name}"
    if listing.foreign:
        raise _refusal(
            quarter,
            [
                _("{path} is {what}").format(path=f"{shown}/{n}", what=w)
                for n, w in sorted(listing.foreign.items())
            ],
        )
    hashes = {}
    for name in listing.files:
        if name != MANIFEST and not LEFTOVER.match(name.rsplit("/", 1)[-1]):
            try:
                hashes[name] = hash_regular(folder, Path(name))[0]
            except NotARegularFile as exc:
                said = _("{path} is {what}").format(path=f"{shown}/{name}", what=exc.what)
                raise _refusal(quarter, [said]) from None
    return manifest(hashes)


def _remove_leftovers(folder: Path) -> None:
    """Temp files of writes killed before their rename (a close stopped half way): half
    written, never meant to be kept, and never sealed. Only regular files: unlink removes
    a link itself, never its target, but a link is refused before this anyway."""
    for name in list_folder(folder).files:
        path = folder / name
        if LEFTOVER.match(path.name) and stat.S_ISREG(os.lstat(path).st_mode):
            path.unlink()


def _read_only(folder: Path) -> None:
    """Files r--r--r--, folders r-xr-xr-x: what is sealed is not changed by accident."""
    set_modes(folder, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH, 0o555)


def _writable(folder: Path) -> None:
    """Open a sealed quarter folder again for a re-run (it is sealed again at the end)."""
    try:
        if what_is(folder) is not None:
            return  # refused before: never through a link
    except FileNotFoundError:
        return
    set_modes(folder, 0o644, 0o755)
