"""A case folder against the registry: the case is there, every file has the hash the
registry recorded when it was filed, and case.json and the history are the registry's.
A difference is said in words: lines removed from the end of a history, a line
rewritten, which values of case.json differ."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from archive.casefile import CASE_JSON, HISTORY, MANIFEST, case_files, parse_manifest
from archive.nofollow import hash_regular
from archive.verify_findings import CaseCheck, Finding, unread
from archive.verify_folder import FolderRead
from archive.verify_records import JSON_ERRORS
from filing.registry import Registry


def against_registry(
    registry: Registry, read: FolderRead, shown: str, check: CaseCheck
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
                found.append(Finding(shown, name, *unread(exc, "the registry", listed=True)))
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
