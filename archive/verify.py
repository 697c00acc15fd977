"""`closedloop verify`: is the archive as it was filed?

For each case folder: every file its manifest lists is there (else *missing*) with the
hash listed (else *altered*); every file in the folder is listed (else *unexpected*);
nothing in the folder is a link, a FIFO, a device or anything else but a file or a folder
(else *not-a-file*: never followed, opened or read, archive/listing.py);
the history's chain of hashes is whole (else *history*); case.json can be read, is of
the case the folder's name says (else *identity*) and agrees with the manifest about
every filed original, piece of evidence and issued copy.

A folder can be forged so that all of that holds (a file replaced, its manifest line and
case.json rewritten to match; a history's last line removed). So, when the registry is
there, each folder is also held against it (else *registry*): the case is in the
registry, every file has the hash the registry recorded when it was filed, case.json and
the history are the registry's, and every case in the registry has a folder. Across the
folders: no case in two folders (*identity*), and the archive-wide chain of every event
(filing/chain.py) recomputed from the histories is whole and the registry's (*chain*),
and reaches the anchor when one is given (*anchor*).

Each case costs the same whatever the size of the archive: its own files, a few
indexed reads of the registry, one hash an event.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archive.casefile import (
    CASE_JSON,
    GENESIS,
    HISTORY,
    MANIFEST,
    SCHEMA,
    case_files,
    parse_manifest,
)
from archive.chaincheck import ChainCheck, ChainReport, link_of
from archive.layout import case_folders, folder_case_id, quarter_folders
from archive.listing import NEVER_FOLLOWED, first_not_a_folder, list_folder, what_is
from archive.nofollow import NotARegularFile, hash_regular, read_regular
from filing.registry import Registry

__all__ = [
    "CaseCheck",
    "Finding",
    "Verification",
    "case_folders",
    "quarter_folders",
    "verify_archive",
    "verify_case",
    "verify_quarter",
]


@dataclass(frozen=True)
class Finding:
    folder: str  # the case folder, relative to Archive/ ("" for the archive as a whole)
    file: str  # relative to the case folder
    # missing | altered | unexpected | not-a-file | history | unreadable | identity
    # | registry | chain | anchor
    kind: str
    detail: str

    def to_json(self) -> dict[str, str]:
        return {"folder": self.folder, "file": self.file, "kind": self.kind, "detail": self.detail}


@dataclass
class CaseCheck:
    folder: Path
    files: int
    bytes: int
    findings: list[Finding]
    quarter: bool = False  # a sealed quarter's own manifest, not a case
    whole: bool = False  # the archive as a whole: the case list, the archive chain


@dataclass
class _Read:
    """What checking one case folder read, for the checks against the registry and
    across folders (nothing is read twice)."""

    folder: Path
    case_id: str | None = None  # as case.json says, else as the folder's name says
    present: dict[str, Path] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)  # the files hashed so far
    data: dict[str, bytes] = field(default_factory=dict)  # case.json and history, as read
    history: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (line, entry)


def verify_archive(
    archive: Path, registry: Registry | None = None, anchor: str | None = None
) -> Iterator[CaseCheck]:
    """Check each case folder, then each sealed quarter's manifest, then the archive as a
    whole, in turn (a caller can show progress)."""
    return iter(Verification(archive, registry, anchor))


class Verification:
    """One run of verify. `len()` is the number of checks it yields; after the run,
    `chain` tells how far the archive chain goes and where the anchor was found."""

    def __init__(
        self,
        archive: Path,
        registry: Registry | None = None,
        anchor: str | None = None,
        registry_problem: str | None = None,
    ) -> None:
        self.archive, self.registry, self.anchor = archive, registry, anchor
        self.registry_problem = registry_problem
        self.chain: ChainReport | None = None
        # The registry first, then the folders: a case or an event recorded while verify
        # runs (by the service) is not held against a folder listed before it existed.
        self.registry_events = registry.chain_head()[0] if registry else 0
        self.registry_cases = [c.case_id for c in registry.cases()] if registry else []
        self.cases = case_folders(archive)
        self.quarters = quarter_folders(archive)

    def __len__(self) -> int:
        return len(self.cases) + len(self.quarters) + 1

    def __iter__(self) -> Iterator[CaseCheck]:
        chain = ChainCheck()
        holders: dict[str, list[str]] = {}
        self._broken: set[str] = set()  # folders whose history is already found wrong
        for folder in self.cases:
            check, read = _check_case(folder, self.archive)
            shown = folder.relative_to(self.archive).as_posix()
            if any(f.file == HISTORY for f in check.findings):
                self._broken.add(shown)
            if read.case_id is not None:
                holders.setdefault(read.case_id, []).append(shown)
                for _, entry in read.history:
                    link = link_of(entry, read.case_id, shown)
                    if link is not None:
                        chain.add(link)
                if self.registry is not None:
                    check.findings += _against_registry(self.registry, read, shown, check)
            yield check
        for folder in self.quarters:
            yield verify_quarter(folder, self.archive)
        yield self._whole(holders, chain)

    def _whole(self, holders: dict[str, list[str]], chain: ChainCheck) -> CaseCheck:
        found: list[Finding] = []
        if self.registry_problem:
            found.append(Finding("", "", "registry", self.registry_problem))
        for case_id, folders in sorted(holders.items()):
            if len(folders) > 1:
                found.append(
                    Finding(
                        folders[1],
                        "",
                        "identity",
                        f"{len(folders)} folders hold case {case_id}: {', '.join(folders)}; "
                        "one was copied, or the number was given twice after the registry "
                        "was lost: keep the one the registry knows, move the other out of "
                        "the Archive",
                    )
                )
        for case_id in self.registry_cases:
            if case_id not in holders:
                found.append(
                    Finding(
                        "",
                        "",
                        "registry",
                        f"case {case_id} is in the registry but no folder in the Archive holds "
                        "it: its folder was deleted or moved out; restore it from a backup",
                    )
                )
        registry = self.registry
        self.chain = chain.fold(
            registry.chain(self.registry_events) if registry is not None else None,
            self.registry_events,
            self.anchor,
        )
        for folder, what in self.chain.problems:
            if folder in self._broken:
                continue  # said once, with the line, by the folder's own check
            kind = "anchor" if what.startswith("the anchor") else "chain"
            found.append(Finding(folder, HISTORY if folder else "", kind, what))
        return CaseCheck(self.archive, 0, 0, found, whole=True)


def verify_quarter(folder: Path, archive: Path) -> CaseCheck:
    """A sealed quarter's manifest covers every file in it, the case folders included."""
    shown = folder.relative_to(archive).as_posix()
    linked = _not_a_folder(folder, archive, shown)
    if linked is not None:
        return CaseCheck(folder, 0, 0, [linked], quarter=True)
    listed, _, found, _ = _against_manifest(folder, shown, "the quarter's manifest", {})
    if listed is None:  # nothing to compare the files with: each would be "unexpected"
        found = [f for f in found if f.kind != "unexpected"]
    return CaseCheck(folder, 0, 0, found, quarter=True)


def verify_case(folder: Path, archive: Path | None = None) -> CaseCheck:
    """The folder against itself: its manifest, its history's chain, its case.json."""
    return _check_case(folder, archive)[0]


# case.json and the history are read whole: far more than any case holds, and a file that
# claims more is not read to find out (a sparse one may claim gigabytes).
MAX_RECORD_BYTES = 64 * 1024 * 1024
# What json.loads raises on a file from the share: bad JSON (ValueError), nesting deeper
# than the interpreter's stack ('[' * 100000: RecursionError), or more than memory holds.
JSON_ERRORS = (ValueError, RecursionError, MemoryError)


def _not_a_folder(folder: Path, archive: Path | None, shown: str) -> Finding | None:
    """A finding when the folder, or a folder on its way from the Archive, is not a real
    folder (a link to one elsewhere): it is not read at all."""
    try:
        if archive is not None:
            step = first_not_a_folder(archive, folder)
        else:
            what = what_is(folder)
            step = (folder.name, what) if what is not None else None
    except OSError as exc:
        return Finding(shown, "", "unreadable", f"the folder cannot be read ({exc.strerror})")
    if step is None:
        return None
    where, what = step
    return Finding(
        shown,
        "",
        "not-a-file",
        f"{where} is {what}, not a folder: {NEVER_FOLLOWED}, so nothing in it was checked; "
        "remove the link and restore the folder from a backup",
    )


def _check_case(folder: Path, archive: Path | None) -> tuple[CaseCheck, _Read]:
    shown = folder.relative_to(archive).as_posix() if archive else folder.name
    linked = _not_a_folder(folder, archive, shown)
    if linked is not None:  # not this case's folder: held against nothing, read not at all
        return CaseCheck(folder, 0, 0, [linked]), _Read(folder)
    read = _Read(folder, case_id=folder_case_id(folder.name))
    listed, read.present, found, size = _against_manifest(
        folder, shown, "the manifest", read.hashes
    )
    for name in (HISTORY, CASE_JSON):
        if name in read.present:
            try:
                read.data[name] = read_regular(folder, Path(name), MAX_RECORD_BYTES).data
            except OSError as exc:
                found.append(Finding(shown, name, *_unread(exc, "the manifest", listed=True)))
    if HISTORY in read.data:
        problems, read.history = _read_history(read.data[HISTORY])
        for problem in problems:
            found.append(Finding(shown, HISTORY, "history", problem))
    if CASE_JSON in read.data:
        record, record_problems = _read_record(read.data[CASE_JSON], listed or {})
        for file, kind, detail in record_problems:
            found.append(Finding(shown, file, kind, detail))
        named = _record_case_id(record)
        for problem in _unkept(record, read.history):
            found.append(Finding(shown, HISTORY, "history", problem))
        if record is not None and named is None:
            found.append(
                Finding(shown, CASE_JSON, "unreadable", "case.json does not say which case it is")
            )
        elif named is not None and named != read.case_id:
            found.append(
                Finding(
                    shown,
                    CASE_JSON,
                    "identity",
                    f"case.json is of case {named}, the folder's name says {read.case_id}: "
                    "the folder was copied or renamed by hand; the case's folder is the one "
                    "the registry knows",
                )
            )
            read.case_id = named
    return CaseCheck(folder, len(read.present), size, found), read


def _unread(exc: OSError, whose: str, listed: bool) -> tuple[str, str]:
    """The kind and detail of a finding about a file that could not be read."""
    if isinstance(exc, NotARegularFile):  # swapped for a link or a FIFO since the listing
        return "not-a-file", _foreign(exc.what, whose, listed)
    return "unreadable", f"cannot be read ({exc.strerror or exc})"


def _foreign(what: str, whose: str, listed: bool) -> str:
    if listed:
        return (
            f"{what} where {whose} lists a file: {NEVER_FOLLOWED}, so it was not read; "
            "remove it and restore the file from a backup"
        )
    return f"{what}, not in {whose}: {NEVER_FOLLOWED}, so it was not read; remove it"


def _against_manifest(
    folder: Path, shown: str, whose: str, hashes: dict[str, str]
) -> tuple[dict[str, str] | None, dict[str, Path], list[Finding], int]:
    """The folder's files against its manifest: what is listed (None if the manifest
    cannot be read), what is there, the findings, and the bytes read. The hashes it
    computes go into `hashes`. Nothing is read through a link, nor from a FIFO or device:
    such an entry is a finding of its own."""
    found: list[Finding] = []
    try:
        listing = list_folder(folder)
    except OSError as exc:
        return None, {}, [Finding(shown, "", "unreadable", f"cannot be listed ({exc.strerror})")], 0
    listed: dict[str, str] | None = None
    if MANIFEST not in listing.foreign:
        try:
            data = read_regular(folder, Path(MANIFEST), MAX_RECORD_BYTES).data
            listed = parse_manifest(data)
        except NotARegularFile as exc:
            listing.foreign[MANIFEST] = exc.what
        except (OSError, UnicodeDecodeError) as exc:
            found.append(Finding(shown, MANIFEST, "unreadable", f"{whose} cannot be read ({exc})"))
    present = {name: folder / name for name in listing.files if name != MANIFEST}
    size = 0
    for name, digest in sorted((listed or {}).items()):
        if name in listing.foreign:
            continue  # said below, once
        path = present.get(name)
        if path is None:
            above = listing.foreign_above(name)
            found.append(
                Finding(
                    shown,
                    name,
                    "missing",
                    f"listed in {whose}, not in the folder"
                    + (f": {above[0]} on its way is {above[1]}, not followed" if above else ""),
                )
            )
            continue
        try:
            actual, length = hash_regular(folder, Path(name))
        except OSError as exc:
            found.append(Finding(shown, name, *_unread(exc, whose, listed=True)))
            continue
        hashes[name] = actual
        size += length
        if actual != digest:
            found.append(
                Finding(shown, name, "altered", f"SHA-256 is {actual}, {whose} says {digest}")
            )
    for name, what in sorted(listing.foreign.items()):
        if name == MANIFEST:
            detail = (
                f"{whose} is {what}: {NEVER_FOLLOWED}, so it was not read and nothing in "
                "the folder could be checked against it; remove it and restore the manifest "
                "from a backup"
            )
        else:
            detail = _foreign(what, whose, name in (listed or {}))
        found.append(Finding(shown, name, "not-a-file", detail))
    for name in sorted(set(present) - set(listed or {})):
        found.append(Finding(shown, name, "unexpected", f"in the folder, not in {whose}"))
    return listed, present, found, size


def _history_entry(line: bytes) -> dict[str, Any] | None:
    """The line as a history entry, None when it is not one: JSON of one object whose
    values are plain (a nested value is no field closedloop writes, and would cost a deep
    recursion again where the archive chain hashes it)."""
    try:
        entry = json.loads(line)
    except JSON_ERRORS:
        return None
    if not isinstance(entry, dict) or any(isinstance(v, dict | list) for v in entry.values()):
        return None
    return entry


def _read_history(data: bytes) -> tuple[list[str], list[tuple[int, dict[str, Any]]]]:
    """The history's problems, and its lines that can be read, with their numbers."""
    previous = GENESIS
    problems: list[str] = []
    entries: list[tuple[int, dict[str, Any]]] = []
    last_seq = 0
    for n, line in enumerate(data.splitlines(), start=1):
        entry = _history_entry(line)
        prev = entry.get("prev") if entry is not None else None
        if entry is None:
            problems.append(f"line {n} is not a history entry")
        if prev != previous:
            problems.append(
                f"line {n} does not follow line {n - 1}: the chain of hashes is broken there"
                if n > 1
                else "line 1 is not the start of a history"
            )
        if entry is not None:
            seq = entry.get("seq")
            if seq is not None and (type(seq) is not int or seq <= last_seq):
                problems.append(
                    f"line {n} has the archive chain number {seq!r}, which is not a number "
                    f"after {last_seq}: the line was edited"
                )
            else:
                last_seq = seq or last_seq
                entries.append((n, entry))
        previous = hashlib.sha256(line).hexdigest()
    return problems, entries


def _read_record(
    data: bytes, listed: dict[str, str]
) -> tuple[dict[str, Any] | None, list[tuple[str, str, str]]]:
    try:
        record: dict[str, Any] = json.loads(data)
        if not isinstance(record, dict):
            raise ValueError("not a JSON object")
    except RecursionError:
        return None, [(CASE_JSON, "unreadable", "case.json cannot be read (nested too deep)")]
    except MemoryError:
        return None, [(CASE_JSON, "unreadable", "case.json cannot be read (too large to hold)")]
    except ValueError as exc:
        return None, [(CASE_JSON, "unreadable", f"case.json cannot be read ({exc})")]
    if record.get("schema") != SCHEMA:
        return None, [(CASE_JSON, "unreadable", f"case.json has schema {record.get('schema')!r}")]
    problems = []
    try:
        files = [(f["file"], f["sha256"]) for f in record.get("filings", [])]
        files += [(e["file"], e["sha256"]) for e in record.get("evidence", [])]
        files += [(i["copy"], i["sha256"]) for i in record.get("issued", []) if i.get("copy")]
    except (KeyError, TypeError, AttributeError) as exc:
        return None, [(CASE_JSON, "unreadable", f"case.json lacks a file's name or hash ({exc})")]
    if not all(isinstance(v, str) for pair in files for v in pair):
        return None, [
            (CASE_JSON, "unreadable", "case.json gives a file's name or hash not as text")
        ]
    for file, digest in files:
        if listed.get(file, digest) != digest:
            problems.append((file, "altered", "case.json and the manifest record other hashes"))
        elif file not in listed:
            problems.append((file, "missing", "recorded in case.json, not in the manifest"))
    return record, problems


def _unkept(record: dict[str, Any] | None, history: list[tuple[int, dict[str, Any]]]) -> list[str]:
    """Each filing's and each piece of evidence's event holds the file's SHA-256: the file
    must still be the one case.json (and so the manifest and the folder) holds. This ties
    the files to the history, and so to the archive chain and its anchor: a file replaced
    with case.json and the manifest rewritten to match no longer has its event."""
    if record is None:
        return []
    kept = {f.get("sha256") for f in record.get("filings", [])}
    kept |= {e.get("sha256") for e in record.get("evidence", [])}
    problems = []
    for n, entry in history:
        what, digest = entry.get("event"), entry.get("sha256")
        if not isinstance(what, str) or not isinstance(digest, str):
            continue
        if (what.startswith("filed") or what == "evidence added") and digest not in kept:
            problems.append(
                f"line {n} ({what!r} at {entry.get('at')}) records a file with SHA-256 "
                f"{digest}, which the folder no longer holds: the file was replaced after it "
                "was filed"
            )
    return problems


def _record_case_id(record: dict[str, Any] | None) -> str | None:
    case = record.get("case") if record else None
    named = case.get("case_id") if isinstance(case, dict) else None
    return named if isinstance(named, str) else None


def _against_registry(
    registry: Registry, read: _Read, shown: str, check: CaseCheck
) -> list[Finding]:
    """The folder against what the registry recorded for its case. A file the folder's
    own checks already found wrong is not reported again."""
    assert read.case_id is not None
    if registry.case(read.case_id) is None:
        return [
            Finding(
                shown,
                CASE_JSON,
                "registry",
                f"the registry has no case {read.case_id}: the folder was made or copied "
                "outside closedloop, or its case.json rewritten",
            )
        ]
    expected = case_files(registry, read.case_id)
    wanted = parse_manifest(expected[MANIFEST])
    seen = {f.file for f in check.findings}
    found: list[Finding] = []
    for name, digest in sorted(wanted.items()):
        if name in seen:
            continue
        path = read.present.get(name)
        if path is None:
            found.append(
                Finding(shown, name, "registry", "the registry recorded it, not in the folder")
            )
            continue
        if name not in read.hashes:
            try:
                read.hashes[name] = hash_regular(read.folder, Path(name))[0]
            except OSError as exc:
                found.append(Finding(shown, name, *_unread(exc, "the registry", listed=True)))
                continue
        if read.hashes[name] == digest:
            continue
        if name == HISTORY:
            detail = _history_difference(read.data.get(name, b""), expected[HISTORY])
        elif name == CASE_JSON:
            detail = _record_difference(read.data.get(name, b""), expected[CASE_JSON])
        else:
            detail = (
                f"SHA-256 is {read.hashes[name]}, the registry recorded {digest} when it was "
                "filed: the file was replaced"
            )
        found.append(Finding(shown, name, "registry", detail))
    for name in sorted(set(read.present) - set(wanted) - seen):
        found.append(
            Finding(shown, name, "registry", "in the folder, not in the registry's record")
        )
    return found


def _history_difference(mine: bytes, theirs: bytes) -> str:
    have, want = mine.splitlines(), theirs.splitlines()
    if len(have) < len(want) and want[: len(have)] == have:
        return (
            f"the registry has {len(want) - len(have)} more event(s) than the folder's "
            f"{len(have)} line(s), the next {_event(want[len(have)])}: lines were removed "
            "from the end of the history"
        )
    if len(have) > len(want) and have[: len(want)] == want:
        return f"lines {len(want) + 1} to {len(have)} are events the registry does not have"
    n = next((i for i, (a, b) in enumerate(zip(have, want, strict=False)) if a != b), None)
    if n is None:
        return "the history's lines are the registry's, its line ends are not: it was rewritten"
    return (
        f"line {n + 1} is not the registry's event {n + 1} ({_event(want[n])}): "
        "the history was rewritten"
    )


def _event(line: bytes) -> str:
    entry = json.loads(line)
    return f"{entry['event']!r} at {entry['at']}"


def _record_difference(mine: bytes, theirs: bytes) -> str:
    want: dict[str, Any] = json.loads(theirs)
    try:
        have = json.loads(mine)
    except JSON_ERRORS:
        have = {}
    if not isinstance(have, dict):
        have = {}
    case = have.get("case")
    if not isinstance(case, dict):
        case = {}
    try:  # a value nested near the stack's limit may not compare
        differ = [k for k in sorted(want) if k != "case" and have.get(k) != want[k]]
        differ += [f"case.{k}" for k in sorted(want["case"]) if case.get(k) != want["case"][k]]
    except RecursionError:
        differ = ["values nested too deep"]
    differ += sorted(set(have) - set(want))
    return (
        f"case.json is not the registry's record of the case ({', '.join(differ) or 'spelling'} "
        "differ): it was rewritten"
    )
