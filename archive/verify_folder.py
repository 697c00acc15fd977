"""A case folder against itself: its files against its manifest (missing, altered,
unexpected, not a file), then its history and case.json (archive.verify_records). What
it read is kept for the checks against the registry and across folders."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archive.casefile import CASE_JSON, HISTORY, MANIFEST, parse_manifest
from archive.layout import folder_case_id
from archive.listing import NEVER_FOLLOWED, first_not_a_folder, list_folder, what_is
from archive.nofollow import NotARegularFile, hash_regular, read_regular
from archive.verify_findings import CaseCheck, Finding, foreign, unread
from archive.verify_records import (
    MAX_RECORD_BYTES,
    read_history,
    read_record,
    record_case_id,
    unkept,
)
from language import N_, _

#: What lists a case folder's files, as a finding names it.
THE_MANIFEST = N_("the manifest")


@dataclass
class FolderRead:
    """What checking one case folder read, for the checks against the registry and
    across folders (nothing is read twice)."""

    folder: Path
    case_id: str | None = None  # as case.json says, else as the folder's name says
    present: dict[str, Path] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)  # the files hashed so far
    data: dict[str, bytes] = field(default_factory=dict)  # case.json and history, as read
    history: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (line, entry)


def not_a_folder(folder: Path, archive: Path | None, shown: str) -> Finding | None:
    """A finding when the folder, or a folder on its way from the Archive, is not a real
    folder (a link to one elsewhere): it is not read at all."""
    try:
        if archive is not None:
            step = first_not_a_folder(archive, folder)
        else:
            what = what_is(folder)
            step = (folder.name, what) if what is not None else None
    except OSError as exc:
        return Finding(
            shown, "", "unreadable", _("the folder cannot be read ({why})").format(why=exc.strerror)
        )
    if step is None:
        return None
    where, what = step
    return Finding(
        shown,
        "",
        "not-a-file",
        _(
            "{where} is {what}, not a folder: {never_followed}, so nothing in it was checked; "
            "remove the link and restore the folder from a backup"
        ).format(where=where, what=what, never_followed=_(NEVER_FOLLOWED)),
    )


def check_case(folder: Path, archive: Path | None) -> tuple[CaseCheck, FolderRead]:
    shown = folder.relative_to(archive).as_posix() if archive else folder.name
    linked = not_a_folder(folder, archive, shown)
    if linked is not None:  # not this case's folder: held against nothing, read not at all
        return CaseCheck(folder, 0, 0, [linked]), FolderRead(folder)
    read = FolderRead(folder, case_id=folder_case_id(folder.name))
    whose = _(THE_MANIFEST)
    listed, read.present, found, size = against_manifest(folder, shown, whose, read.hashes)
    for name in (HISTORY, CASE_JSON):
        if name in read.present:
            try:
                read.data[name] = read_regular(folder, Path(name), MAX_RECORD_BYTES).data
            except OSError as exc:
                found.append(Finding(shown, name, *unread(exc, whose, listed=True)))
    if HISTORY in read.data:
        problems, read.history = read_history(read.data[HISTORY])
        for problem in problems:
            found.append(Finding(shown, HISTORY, "history", problem))
    if CASE_JSON in read.data:
        record, record_problems = read_record(read.data[CASE_JSON], listed or {})
        for file, kind, detail in record_problems:
            found.append(Finding(shown, file, kind, detail))
        named = record_case_id(record)
        for problem in unkept(record, read.history):
            found.append(Finding(shown, HISTORY, "history", problem))
        if record is not None and named is None:
            said = _("case.json does not say which case it is")
            found.append(Finding(shown, CASE_JSON, "unreadable", said))
        elif named is not None and named != read.case_id:
            found.append(
                Finding(
                    shown,
                    CASE_JSON,
                    "identity",
                    _(
                        "case.json is of case {named}, the folder's name says {case_id}: "
                        "the folder was copied or renamed by hand; the case's folder is the one "
                        "the registry knows"
                    ).format(named=named, case_id=read.case_id),
                )
            )
            read.case_id = named
    return CaseCheck(folder, len(read.present), size, found), read


def against_manifest(
    folder: Path, shown: str, whose: str, hashes: dict[str, str]
) -> tuple[dict[str, str] | None, dict[str, Path], list[Finding], int]:
    """The folder's files against its manifest: what is listed (None if the manifest
    cannot be read), what is there, the findings, and the bytes read. The hashes it
    computes go into `hashes`. Nothing is read through a link, nor from a FIFO or device:
    such an entry is a finding of its own. `whose`: the manifest, in words."""
    found: list[Finding] = []
    try:
        listing = list_folder(folder)
    except OSError as exc:
        said = _("cannot be listed ({why})").format(why=exc.strerror)
        return None, {}, [Finding(shown, "", "unreadable", said)], 0
    listed: dict[str, str] | None = None
    if MANIFEST not in listing.foreign:
        try:
            data = read_regular(folder, Path(MANIFEST), MAX_RECORD_BYTES).data
            listed = parse_manifest(data)
        except NotARegularFile as exc:
            listing.foreign[MANIFEST] = exc.what
        except (OSError, UnicodeDecodeError) as exc:
            said = _("{whose} cannot be read ({why})").format(whose=whose, why=exc)
            found.append(Finding(shown, MANIFEST, "unreadable", said))
    present = {name: folder / name for name in listing.files if name != MANIFEST}
    size = 0
    for name, digest in sorted((listed or {}).items()):
        if name in listing.foreign:
            continue  # said below, once
        path = present.get(name)
        if path is None:
            above = listing.foreign_above(name)
            said = _("listed in {whose}, not in the folder").format(whose=whose)
            if above:
                said += _(": {step} on its way is {what}, not followed").format(
                    step=above[0], what=above[1]
                )
            found.append(Finding(shown, name, "missing", said))
            continue
        try:
            actual, length = hash_regular(folder, Path(name))
        except OSError as exc:
            found.append(Finding(shown, name, *unread(exc, whose, listed=True)))
            continue
        hashes[name] = actual
        size += length
        if actual != digest:
            said = _("SHA-256 is {actual}, {whose} says {digest}").format(
                actual=actual, whose=whose, digest=digest
            )
            found.append(Finding(shown, name, "altered", said))
    for name, what in sorted(listing.foreign.items()):
        if name == MANIFEST:
            detail = _(
                "{whose} is {what}: {never_followed}, so it was not read and nothing in "
                "the folder could be checked against it; remove it and restore the manifest "
                "from a backup"
            ).format(whose=whose, what=what, never_followed=_(NEVER_FOLLOWED))
        else:
            detail = foreign(what, whose, name in (listed or {}))
        found.append(Finding(shown, name, "not-a-file", detail))
    for name in sorted(set(present) - set(listed or {})):
        said = _("in the folder, not in {whose}").format(whose=whose)
        found.append(Finding(shown, name, "unexpected", said))
    return listed, present, found, size
