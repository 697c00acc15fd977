"""`closedloop verify`: is the archive as it was filed?

For each case folder: every file its manifest lists is there (else *missing*) with the
hash listed (else *altered*); every file in the folder is listed (else *unexpected*);
the history's chain of hashes is whole (else *history*); case.json can be read and
agrees with the manifest about every filed original, piece of evidence and issued copy.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archive.casefile import CASE_JSON, GENESIS, HISTORY, MANIFEST, SCHEMA, parse_manifest
from archive.casefolder import QUARTER_SUFFIX
from archive.hashing import file_sha256
from forms.identity import CASE_ID


@dataclass(frozen=True)
class Finding:
    folder: str  # the case folder's name
    file: str  # relative to the case folder
    kind: str  # missing | altered | unexpected | history | unreadable
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


def case_folders(archive: Path) -> list[Path]:
    """The case folders under Archive/ (named `CC-YYYY-NNNN ...`), open ones and those
    sealed in a quarter folder."""
    if not archive.is_dir():
        return []
    found = []
    for p in archive.iterdir():
        if p.is_dir() and p.name.endswith(QUARTER_SUFFIX):
            found += [q for q in p.iterdir() if q.is_dir() and _is_case(q)]
        elif p.is_dir() and _is_case(p):
            found.append(p)
    return sorted(found, key=lambda p: p.name)


def quarter_folders(archive: Path) -> list[Path]:
    if not archive.is_dir():
        return []
    return sorted(p for p in archive.iterdir() if p.is_dir() and p.name.endswith(QUARTER_SUFFIX))


def _is_case(folder: Path) -> bool:
    return CASE_ID.match(folder.name.split(" ", 1)[0]) is not None


def verify_archive(archive: Path) -> Iterator[CaseCheck]:
    """Check each case folder, then each sealed quarter's manifest, in turn (a caller can
    show progress)."""
    for folder in case_folders(archive):
        yield verify_case(folder, archive)
    for folder in quarter_folders(archive):
        yield verify_quarter(folder, archive)


def verify_quarter(folder: Path, archive: Path) -> CaseCheck:
    """A sealed quarter's manifest covers every file in it, the case folders included."""
    shown = folder.relative_to(archive).as_posix()
    listed, _, found, _ = _against_manifest(folder, shown, "the quarter's manifest")
    if listed is None:  # nothing to compare the files with
        found = found[:1]
    return CaseCheck(folder, 0, 0, found, quarter=True)


def verify_case(folder: Path, archive: Path | None = None) -> CaseCheck:
    shown = folder.relative_to(archive).as_posix() if archive else folder.name
    listed, present, found, size = _against_manifest(folder, shown, "the manifest")
    if HISTORY in present:
        for problem in _history_problems(present[HISTORY]):
            found.append(Finding(shown, HISTORY, "history", problem))
    if CASE_JSON in present:
        for file, kind, detail in _record_problems(present[CASE_JSON], listed or {}):
            found.append(Finding(shown, file, kind, detail))
    return CaseCheck(folder, len(present), size, found)


def _against_manifest(
    folder: Path, shown: str, whose: str
) -> tuple[dict[str, str] | None, dict[str, Path], list[Finding], int]:
    """The folder's files against its manifest: what is listed (None if the manifest
    cannot be read), what is there, the findings, and the bytes read."""
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
        size += length
        if actual != digest:
            found.append(
                Finding(shown, name, "altered", f"SHA-256 is {actual}, {whose} says {digest}")
            )
    for name in sorted(set(present) - set(listed or {})):
        found.append(Finding(shown, name, "unexpected", f"in the folder, not in {whose}"))
    return listed, present, found, size


def _history_problems(path: Path) -> list[str]:
    previous = GENESIS
    problems = []
    for n, line in enumerate(path.read_bytes().splitlines(), start=1):
        try:
            prev = json.loads(line).get("prev")
        except (ValueError, AttributeError):
            problems.append(f"line {n} is not a history entry")
            prev = None
        if prev != previous:
            problems.append(
                f"line {n} does not follow line {n - 1}: the chain of hashes is broken there"
                if n > 1
                else "line 1 is not the start of a history"
            )
        previous = hashlib.sha256(line).hexdigest()
    return problems


def _record_problems(path: Path, listed: dict[str, str]) -> list[tuple[str, str, str]]:
    try:
        record: dict[str, Any] = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        return [(CASE_JSON, "unreadable", f"case.json cannot be read ({exc})")]
    if record.get("schema") != SCHEMA:
        return [(CASE_JSON, "unreadable", f"case.json has schema {record.get('schema')!r}")]
    problems = []
    files = [(f["file"], f["sha256"]) for f in record.get("filings", [])]
    files += [(e["file"], e["sha256"]) for e in record.get("evidence", [])]
    files += [(i["copy"], i["sha256"]) for i in record.get("issued", []) if i.get("copy")]
    for file, digest in files:
        if listed.get(file, digest) != digest:
            problems.append((file, "altered", "case.json and the manifest record other hashes"))
        elif file not in listed:
            problems.append((file, "missing", "recorded in case.json, not in the manifest"))
    return problems
