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
from language import N_, _

#: The registry as a finding names it, as what lists a folder's files.
THE_REGISTRY = N_("the registry")


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
                _(
                    "the registry has no case {case_id}: the folder was made or copied "
                    "outside closedloop, or its case.json rewritten"
                ).format(case_id=read.case_id),
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
            said = _("the registry recorded it, not in the folder")
            found.append(Finding(shown, name, "registry", said))
            continue
        if name not in read.hashes:
            try:
                read.hashes[name] = hash_regular(read.folder, Path(name))[0]
            except OSError as exc:
                found.append(Finding(shown, name, *unread(exc, _(THE_REGISTRY), listed=True)))
                continue
        if read.hashes[name] == digest:
            continue
        if name == HISTORY:
            detail = _history_difference(read.data.get(name, b""), expected[HISTORY])
        elif name == CASE_JSON:
            detail = _record_difference(read.data.get(name, b""), expected[CASE_JSON])
        else:
            detail = _(
                "SHA-256 is {actual}, the registry recorded {digest} when it was filed: the "
                "file was replaced"
            ).format(actual=read.hashes[name], digest=digest)
        found.append(Finding(shown, name, "registry", detail))
    for name in sorted(set(read.present) - set(wanted) - seen):
        said = _("in the folder, not in the registry's record")
        found.append(Finding(shown, name, "registry", said))
    return found


def _history_difference(mine: bytes, theirs: bytes) -> str:
    have, want = mine.splitlines(), theirs.splitlines()
    if len(have) < len(want) and want[: len(have)] == have:
        return _(
            "the registry has {more} more event(s) than the folder's {lines} line(s), the next "
            "{event}: lines were removed from the end of the history"
        ).format(more=len(want) - len(have), lines=len(have), event=_event(want[len(have)]))
    if len(have) > len(want) and have[: len(want)] == want:
        return _("lines {first} to {last} are events the registry does not have").format(
            first=len(want) + 1, last=len(have)
        )
    n = next((i for i, (a, b) in enumerate(zip(have, want, strict=False)) if a != b), None)
    if n is None:
        return _("the history's lines are the registry's, its line ends are not: it was rewritten")
    return _(
        "line {n} is not the registry's event {n} ({event}): the history was rewritten"
    ).format(n=n + 1, event=_event(want[n]))


def _event(line: bytes) -> str:
    entry = json.loads(line)
    return _("{event} at {at}").format(event=repr(entry["event"]), at=entry["at"])


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
        differ = [_("values nested too deep")]
    differ += sorted(set(have) - set(want))
    return _(
        "case.json is not the registry's record of the case ({values} differ): it was rewritten"
    ).format(values=", ".join(differ) or _("spelling"))
