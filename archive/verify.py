"""`closedloop verify`: is the archive as it was filed?

For each case folder: every file its manifest lists is there (else *missing*) with the
hash listed (else *altered*); every file in the folder is listed (else *unexpected*);
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
from archive.hashing import file_sha256
from archive.layout import case_folders, folder_case_id, quarter_folders
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
    # missing | altered | unexpected | history | unreadable | identity | registry | chain
    # | anchor
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

    case_id: str | None = None  # as case.json says, else as the folder's name says
    present: dict[str, Path] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)  # the files hashed so far
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
    listed, _, found, _ = _against_manifest(folder, shown, "the quarter's manifest", {})
    if listed is None:  # nothing to compare the files with
        found = found[:1]
    return CaseCheck(folder, 0, 0, found, quarter=True)


def verify_case(folder: Path, archive: Path | None = None) -> CaseCheck:
    """The folder against itself: its manifest, its history's chain, its case.json."""
    return _check_case(folder, archive)[0]


def _check_case(folder: Path, archive: Path | None) -> tuple[CaseCheck, _Read]:
    shown = folder.relative_to(archive).as_posix() if archive else folder.name
    read = _Read(case_id=folder_case_id(folder.name))
    listed, read.present, found, size = _against_manifest(
        folder, shown, "the manifest", read.hashes
    )
    if HISTORY in read.present:
        problems, read.history = _read_history(read.present[HISTORY])
        for problem in problems:
            found.append(Finding(shown, HISTORY, "history", problem))
    if CASE_JSON in read.present:
        record, record_problems = _read_record(read.present[CASE_JSON], listed or {})
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


def _against_manifest(
    folder: Path, shown: str, whose: str, hashes: dict[str, str]
) -> tuple[dict[str, str] | None, dict[str, Path], list[Finding], int]:
    """The folder's files against its manifest: what is listed (None if the manifest
    cannot be read), what is there, the findings, and the bytes read. The hashes it
    computes go into `hashes`."""
    found: list[Finding] = []
    try:
        listed: dict[str, str] | None = parse_manifest((folder / MANIFEST).read_bytes())
    except (OSError, UnicodeDecodeError) as exc:
        found.append(Finding(shown, MANIFEST, "unreadable", f"{whose} cannot be read ({exc})"))
        listed = None
    present = {
        p.relative_to(folder).as_posix(): p
        for p in folder.rglob("*")
        if p.is_file() and p != folder / MANIFEST
    }
    size = 0
    for name, digest in sorted((listed or {}).items()):
        path = present.get(name)
        if path is None:
            found.append(Finding(shown, name, "missing", f"listed in {whose}, not in the folder"))
            continue
        actual, length = file_sha256(path)
        hashes[name] = actual
        size += length
        if actual != digest:
            found.append(
                Finding(shown, name, "altered", f"SHA-256 is {actual}, {whose} says {digest}")
            )
    for name in sorted(set(present) - set(listed or {})):
        found.append(Finding(shown, name, "unexpected", f"in the folder, not in {whose}"))
    return listed, present, found, size


def _read_history(path: Path) -> tuple[list[str], list[tuple[int, dict[str, Any]]]]:
    """The history's problems, and its lines that can be read, with their numbers."""
    previous = GENESIS
    problems: list[str] = []
    entries: list[tuple[int, dict[str, Any]]] = []
    last_seq = 0
    for n, line in enumerate(path.read_bytes().splitlines(), start=1):
        try:
            entry = json.loads(line)
            prev = entry.get("prev")
        except (ValueError, AttributeError):
            problems.append(f"line {n} is not a history entry")
            entry, prev = None, None
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
    path: Path, listed: dict[str, str]
) -> tuple[dict[str, Any] | None, list[tuple[str, str, str]]]:
    try:
        record: dict[str, Any] = json.loads(path.read_bytes())
        if not isinstance(record, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as exc:
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
            read.hashes[name] = file_sha256(path)[0]
        if read.hashes[name] == digest:
            continue
        if name == HISTORY:
            detail = _history_difference(path.read_bytes(), expected[HISTORY])
        elif name == CASE_JSON:
            detail = _record_difference(path.read_bytes(), expected[CASE_JSON])
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
    except ValueError:
        have = {}
    if not isinstance(have, dict):
        have = {}
    differ = [k for k in sorted(want) if k != "case" and have.get(k) != want[k]]
    case = have.get("case")
    if not isinstance(case, dict):
        case = {}
    differ += [f"case.{k}" for k in sorted(want["case"]) if case.get(k) != want["case"][k]]
    differ += sorted(set(have) - set(want))
    return (
        f"case.json is not the registry's record of the case ({', '.join(differ) or 'spelling'} "
        "differ): it was rewritten"
    )
