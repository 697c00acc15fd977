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
from forms.identity import CASE_ID

CHUNK = 1 << 20


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


def case_folders(archive: Path) -> list[Path]:
    """The case folders under Archive/ (named `CC-YYYY-NNNN ...`)."""
    if not archive.is_dir():
        return []
    return sorted(
        p for p in archive.iterdir() if p.is_dir() and CASE_ID.match(p.name.split(" ", 1)[0])
    )


def verify_archive(archive: Path) -> Iterator[CaseCheck]:
    """Check each case folder in turn (a caller can show progress)."""
    for folder in case_folders(archive):
        yield verify_case(folder)


def verify_case(folder: Path) -> CaseCheck:
    found: list[Finding] = []

    def finding(file: str, kind: str, detail: str) -> None:
        found.append(Finding(folder.name, file, kind, detail))

    try:
        listed = parse_manifest((folder / MANIFEST).read_bytes())
    except (OSError, UnicodeDecodeError) as exc:
        finding(MANIFEST, "unreadable", f"the manifest cannot be read ({exc})")
        listed = {}
    present = {
        p.relative_to(folder).as_posix(): p
        for p in folder.rglob("*")
        if p.is_file() and p.name != MANIFEST
    }
    size = 0
    for name, digest in sorted(listed.items()):
        path = present.get(name)
        if path is None:
            finding(name, "missing", "listed in the manifest, not in the folder")
            continue
        actual, length = _sha256(path)
        size += length
        if actual != digest:
            finding(name, "altered", f"SHA-256 is {actual}, the manifest says {digest}")
    for name in sorted(set(present) - set(listed)):
        finding(name, "unexpected", "in the folder, not in the manifest")
    if HISTORY in present:
        for problem in _history_problems(present[HISTORY]):
            finding(HISTORY, "history", problem)
    if CASE_JSON in present:
        for file, kind, detail in _record_problems(present[CASE_JSON], listed):
            finding(file, kind, detail)
    return CaseCheck(folder, len(present), size, found)


def _sha256(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    length = 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            length += len(chunk)
    return digest.hexdigest(), length


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
