"""`closedloop rebuild`: the registry made again from the case folders alone.

Every case folder's case.json holds the case, its filings (with every field), issued
forms and evidence; its history.jsonl holds the events. A new registry is built beside
the live one and then put in its place; the old one is kept beside it, renamed, with
its journal or write-ahead log, so that SQLite can never roll the new file back with the
old journal, nor read the old log into it.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from archive.casefile import CASE_JSON, HISTORY, SCHEMA
from archive.errors import ArchiveError
from archive.layout import case_folders, quarter_folders
from archive.listing import NEVER_FOLLOWED, first_not_a_folder
from archive.nofollow import read_regular
from archive.quarter import MANIFEST as QUARTER_MANIFEST
from archive.verify import JSON_ERRORS, MAX_RECORD_BYTES, verify_case, verify_quarter
from archive.verify_findings import kind_words
from filing.records import Case, Event, Evidence, Filing, Issued
from filing.registry import Registry
from forms.atomicfile import fsync_dir
from language import _


class RebuildRefused(ArchiveError):
    """A case folder cannot be trusted to rebuild from; the message names it."""


@dataclass(frozen=True)
class Rebuilt:
    cases: int
    filings: int
    where: str  # the registry's file, or the shared database (no password)
    kept_old: Path | None
    chain: tuple[int, str]  # the archive chain's last event and head, as before the loss


# Enough of them to see what happened; verify lists them all.
SHOWN_PROBLEMS = 10


def refuse_untrusted(archive: Path, folders: list[Path]) -> None:
    """RebuildRefused, naming what is wrong, when the case folders cannot be trusted to
    make a registry from."""
    problems = _problems(archive, folders)
    if problems:
        more = len(problems) - SHOWN_PROBLEMS
        raise RebuildRefused(
            _("the archive cannot be trusted to rebuild the registry from:")
            + "\n"
            + "".join(f"  {p}\n" for p in problems[:SHOWN_PROBLEMS])
            + ("  " + _("and {more} more").format(more=more) + "\n" if more > 0 else "")
            + _(
                "Run `closedloop verify` to see everything, restore the folder from a backup "
                "(or move a copied folder out of the Archive), then rebuild"
            )
        )


def rebuild_registry(archive: Path, registry_path: Path, now: datetime) -> Rebuilt:
    folders = case_folders(archive)
    refuse_untrusted(archive, folders)
    fresh = registry_path.with_name(registry_path.name + ".rebuilding")
    for leftover in (fresh, *_sides(fresh)):
        leftover.unlink(missing_ok=True)
    filings = 0
    try:
        with Registry(fresh) as registry:
            with registry.transaction():
                # A reopened case and its successor point at each other: check links at
                # commit.
                registry.db.defer_foreign_keys()
                events: list[tuple[int | None, Event, Path]] = []
                for folder in folders:
                    filings += load_case(registry, folder, events)
                load_history(registry, events)
            chain = registry.chain_head()
    except (
        sqlite3.Error,
        KeyError,
        TypeError,
        ValueError,
        AttributeError,
        RecursionError,
        MemoryError,
    ) as exc:
        # Checked above, so not expected; but a folder the checks let through must end in
        # a message, never a traceback.
        for leftover in (fresh, *_sides(fresh)):
            leftover.unlink(missing_ok=True)
        raise RebuildRefused(
            _(
                "{archive}: the registry cannot be made from the case folders ({why}); "
                "run `closedloop verify` and restore what it finds from a backup"
            ).format(archive=archive, why=repr(exc))
        ) from None
    stamp = _free_stamp(registry_path, now.strftime("%Y%m%d-%H%M%S"))
    kept: Path | None = None
    if registry_path.exists():
        # A second name for the old registry first, then the new one over it in one
        # rename: a stop at any point leaves a registry in place, old or new.
        kept = registry_path.with_name(f"{registry_path.name}.before-rebuild-{stamp}")
        try:
            os.link(registry_path, kept)
        except OSError:  # a file system without hard links (some network shares)
            shutil.copy2(registry_path, kept)
    for side in _sides(registry_path):  # never left to be read with the new registry
        if side.exists():
            side.replace(side.with_name(f"{side.name}.before-rebuild-{stamp}"))
    fresh.replace(registry_path)
    fsync_dir(registry_path.parent)
    return Rebuilt(len(folders), filings, str(registry_path), kept, chain)


#: The files SQLite keeps beside a registry: its rollback journal, or its write-ahead log
#: and that log's shared index (filing/registry/database.py chooses).
SIDES = ("-journal", "-wal", "-shm")


def _sides(registry_path: Path) -> list[Path]:
    return [registry_path.with_name(registry_path.name + side) for side in SIDES]


def _free_stamp(registry_path: Path, stamp: str) -> str:
    """The time stamp for the old registry's kept copy, with a count when two rebuilds
    fall in one second (or one --now): a kept registry is never written over."""
    taken = {p.name for p in registry_path.parent.glob(f"{registry_path.name}*.before-rebuild-*")}
    n = 1
    while True:
        candidate = stamp if n == 1 else f"{stamp}-{n}"
        names = (f"{registry_path.name}{part}.before-rebuild-{candidate}" for part in ("", *SIDES))
        if not taken.intersection(names):
            return candidate
        n += 1


def _problems(archive: Path, folders: list[Path]) -> list[str]:
    """Why the folders cannot be rebuilt from, each with the folder(s) it is about: a
    folder that is not as it was filed, a sealed quarter changed since its close, a case
    held by two folders, events of the archive chain missing or held twice. Nothing is
    picked silently: each is for a person to decide."""
    problems: list[str] = []
    holders: dict[str, list[Path]] = {}
    seqs: dict[int, Path] = {}
    for folder in folders:  # rebuild only from folders that are as they were filed
        step = first_not_a_folder(archive, folder)
        if step is not None:  # a link to a folder elsewhere: never read
            problems.append(
                _("{path}: it is {what}, not a folder: {never_followed}").format(
                    path=archive / step[0], what=step[1], never_followed=_(NEVER_FOLLOWED)
                )
            )
            continue
        check = verify_case(folder)
        case_id = case_id_of(folder)
        if case_id is not None:  # a copy under another number holds its case all the same
            holders.setdefault(case_id, []).append(folder)
        if check.findings:
            first = check.findings[0]
            problems.append(
                f"{folder}: {first.detail}"
                if first.kind == "identity" or not first.file
                else _("{folder}: {file} is {kind} ({detail})").format(
                    folder=folder, file=first.file, kind=kind_words(first.kind), detail=first.detail
                )
            )
            continue
        try:
            lines = _read(folder, HISTORY).splitlines()
            seqs_here = [json.loads(line).get("seq") for line in lines]
        except (RebuildRefused, *JSON_ERRORS, AttributeError) as exc:  # changed since checked
            problems.append(
                _("{path}: cannot be read ({why})").format(path=folder / HISTORY, why=exc)
            )
            continue
        for seq in seqs_here:
            if type(seq) is not int:  # none: an event from before the chain (verify_case
                continue  # found any other)
            if seq in seqs:
                problems.append(
                    _("{folder}: event {seq} of the archive chain is in {other} too").format(
                        folder=folder, seq=seq, other=seqs[seq].name
                    )
                )
            seqs.setdefault(seq, folder)
    for quarter in quarter_folders(archive):
        if not os.path.lexists(quarter / QUARTER_MANIFEST):  # a link or FIFO is a finding
            continue  # a close that did not finish: its case folders were checked above
        for finding in verify_quarter(quarter, archive).findings:
            problems.append(
                _(
                    "{quarter}: {file} is {kind} in the sealed quarter ({detail}); the quarter "
                    "was changed after it was sealed"
                ).format(
                    quarter=quarter,
                    file=finding.file,
                    kind=kind_words(finding.kind),
                    detail=finding.detail,
                )
            )
    for case_id, held in sorted(holders.items()):
        if len(held) > 1:
            problems.append(
                _(
                    "case {case_id} is held by {count} folders: {folders}; one was copied, or "
                    "the number was given twice after the registry was lost: which is the "
                    "case is for you to say"
                ).format(case_id=case_id, count=len(held), folders=", ".join(str(f) for f in held))
            )
    expected = 1
    for seq in sorted(seqs):
        if seq > expected:
            span = (
                _("event {start} is").format(start=expected)
                if seq == expected + 1
                else _("events {start} to {end} are").format(start=expected, end=seq - 1)
            )
            problems.append(
                _(
                    "{archive}: {span} in no case folder's history: a case folder, or the "
                    "end of a history, was removed"
                ).format(archive=archive, span=span)
            )
        expected = seq + 1
    return problems


def _read(folder: Path, name: str) -> bytes:
    """A file of the case folder, never through a link nor from a FIFO."""
    try:
        return read_regular(folder, Path(name), MAX_RECORD_BYTES).data
    except OSError as exc:
        raise RebuildRefused(
            _("{path}: cannot be read ({why})").format(path=folder / name, why=exc.strerror or exc)
        ) from None


def case_id_of(folder: Path) -> str | None:
    """The case the folder's case.json is of (None when it cannot be told)."""
    try:
        case = json.loads(_read(folder, CASE_JSON)).get("case")
    except (RebuildRefused, *JSON_ERRORS, AttributeError):
        return None
    case_id = case.get("case_id") if isinstance(case, dict) else None
    return case_id if isinstance(case_id, str) else None


def load_case(
    registry: Registry, folder: Path, events: list[tuple[int | None, Event, Path]]
) -> int:
    """The case of `folder` into the registry (as a case of the registry's site), its
    events added to `events` for load_history; returns its filings' count."""
    try:
        record: dict[str, Any] = json.loads(_read(folder, CASE_JSON))
    except JSON_ERRORS as exc:
        why = (
            _("nested too deep") if isinstance(exc, RecursionError) else str(exc) or _("too large")
        )
        raise RebuildRefused(
            _("{path}: cannot be read ({why})").format(path=folder / CASE_JSON, why=why)
        ) from None
    if record.get("schema") != SCHEMA:
        raise RebuildRefused(
            _(
                "{path}: schema {schema}, this closedloop knows {known}; use the closedloop "
                "that wrote it"
            ).format(path=folder / CASE_JSON, schema=repr(record.get("schema")), known=SCHEMA)
        )
    case = Case.from_json(record["case"])
    if registry.site:  # loaded into a shared registry: a case of this site from now on
        if case.site not in ("", registry.site):
            raise RebuildRefused(
                _(
                    "{path}: case {case_id} is a case of site {other}, not of this folder's "
                    "site {site}; move its folder to that site's Archive"
                ).format(
                    path=folder / CASE_JSON,
                    case_id=case.case_id,
                    other=case.site,
                    site=registry.site,
                )
            )
        case = replace(case, site=registry.site)
    registry.note_case_number(case.case_id)
    registry.save_case(case)
    for f in record["filings"]:
        registry.add_filing(Filing.from_json(f, case.case_id))
    for i in record["issued"]:
        registry.add_issued(Issued.from_json(i, case.case_id))
    for e in record["evidence"]:
        registry.add_evidence(Evidence.from_json(e, case.case_id))
    for line in _read(folder, HISTORY).splitlines():
        h = json.loads(line)  # checked by verify_case; anything else ends in a refusal
        events.append((h.get("seq"), Event.from_json(h, case.case_id), folder))
    return len(record["filings"])


def load_history(registry: Registry, events: list[tuple[int | None, Event, Path]]) -> None:
    """The events as they were recorded: those from before the archive chain first (each
    case's in its order), then the chained ones in the chain's order, so that the chain
    comes out link for link as it was (its numbers were checked to run from 1 unbroken)."""
    for seq, event, _folder in events:
        if seq is None:
            registry.append_history(event, chained=False)
    for seq, event, folder in sorted(
        ((s, e, f) for s, e, f in events if s is not None), key=lambda x: x[0]
    ):
        given = registry.append_history(event)
        if given != seq:  # not expected after the checks; never a chain out of step
            raise ValueError(f"{folder}: event {seq} of the archive chain came out as {given}")
