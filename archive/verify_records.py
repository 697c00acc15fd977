"""A case folder's own records read back and checked: the history (each line follows the
one before in a chain of hashes, the archive chain's numbers only grow) and case.json (it
reads, it is of the schema, it agrees with the manifest, and every filed file still has
its event in the history)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from archive.casefile import CASE_JSON, GENESIS, SCHEMA
from language import _

# case.json and the history are read whole: far more than any case holds, and a file that
# claims more is not read to find out (a sparse one may claim gigabytes).
MAX_RECORD_BYTES = 64 * 1024 * 1024
# What json.loads raises on a file from the share: bad JSON (ValueError), nesting deeper
# than the interpreter's stack ('[' * 100000: RecursionError), or more than memory holds.
JSON_ERRORS = (ValueError, RecursionError, MemoryError)


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


def read_history(data: bytes) -> tuple[list[str], list[tuple[int, dict[str, Any]]]]:
    """The history's problems, and its lines that can be read, with their numbers."""
    previous = GENESIS
    problems: list[str] = []
    entries: list[tuple[int, dict[str, Any]]] = []
    last_seq = 0
    for n, line in enumerate(data.splitlines(), start=1):
        entry = _history_entry(line)
        prev = entry.get("prev") if entry is not None else None
        if entry is None:
            problems.append(_("line {n} is not a history entry").format(n=n))
        if prev != previous:
            problems.append(
                _(
                    "line {n} does not follow line {before}: the chain of hashes is broken there"
                ).format(n=n, before=n - 1)
                if n > 1
                else _("line 1 is not the start of a history")
            )
        if entry is not None:
            seq = entry.get("seq")
            if seq is not None and (type(seq) is not int or seq <= last_seq):
                problems.append(
                    _(
                        "line {n} has the archive chain number {seq}, which is not a number "
                        "after {last}: the line was edited"
                    ).format(n=n, seq=repr(seq), last=last_seq)
                )
            else:
                last_seq = seq or last_seq
                entries.append((n, entry))
        previous = hashlib.sha256(line).hexdigest()
    return problems, entries


def read_record(
    data: bytes, listed: dict[str, str]
) -> tuple[dict[str, Any] | None, list[tuple[str, str, str]]]:
    try:
        record: dict[str, Any] = json.loads(data)
        if not isinstance(record, dict):
            raise ValueError("not a JSON object")
    except RecursionError:
        return None, _unreadable(_("case.json cannot be read (nested too deep)"))
    except MemoryError:
        return None, _unreadable(_("case.json cannot be read (too large to hold)"))
    except ValueError as exc:
        return None, _unreadable(_("case.json cannot be read ({why})").format(why=exc))
    if record.get("schema") != SCHEMA:
        said = _("case.json has schema {schema}").format(schema=repr(record.get("schema")))
        return None, _unreadable(said)
    problems = []
    try:
        files = [(f["file"], f["sha256"]) for f in record.get("filings", [])]
        files += [(e["file"], e["sha256"]) for e in record.get("evidence", [])]
        files += [(i["copy"], i["sha256"]) for i in record.get("issued", []) if i.get("copy")]
    except (KeyError, TypeError, AttributeError) as exc:
        said = _("case.json lacks a file's name or hash ({why})").format(why=exc)
        return None, _unreadable(said)
    if not all(isinstance(v, str) for pair in files for v in pair):
        return None, _unreadable(_("case.json gives a file's name or hash not as text"))
    for file, digest in files:
        if listed.get(file, digest) != digest:
            said = _("case.json and the manifest record other hashes")
            problems.append((file, "altered", said))
        elif file not in listed:
            problems.append((file, "missing", _("recorded in case.json, not in the manifest")))
    return record, problems


def _unreadable(detail: str) -> list[tuple[str, str, str]]:
    return [(CASE_JSON, "unreadable", detail)]


def unkept(record: dict[str, Any] | None, history: list[tuple[int, dict[str, Any]]]) -> list[str]:
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
                _(
                    "line {n} ({what} at {at}) records a file with SHA-256 {sha256}, which the "
                    "folder no longer holds: the file was replaced after it was filed"
                ).format(n=n, what=repr(what), at=entry.get("at"), sha256=digest)
            )
    return problems


def record_case_id(record: dict[str, Any] | None) -> str | None:
    case = record.get("case") if record else None
    named = case.get("case_id") if isinstance(case, dict) else None
    return named if isinstance(named, str) else None
