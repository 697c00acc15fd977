"""`.closedloop/desk.json`: the packet desk of the `closedloop watch` that runs for the
folder (the process, and its socket's name). The service holds the folder's lock, so while
it runs its desk is the one that can build and file a packet; `closedloop office`'s desk
is named in the office's own record (archive/office_record.py).

Written atomically, read without following a link or waiting on a pipe (forms/atomicfile),
and removed by the process that wrote it when it stops."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from archive.office_record import DESK_NAME
from forms.atomicfile import atomic_write_bytes, read_json, remove_leftovers

DESK_RECORD = "desk.json"


def write_desk(state: Path, pid: int, name: str) -> None:
    data = json.dumps({"pid": pid, "desk": name}).encode() + b"\n"
    remove_leftovers(state, {DESK_RECORD})  # a write a kill cut short, by an earlier watch
    atomic_write_bytes(state / DESK_RECORD, data)


def read_desk(state: Path) -> tuple[int, str] | None:
    """(pid, socket name), or None: no record, a link, not one of ours."""
    try:
        data = read_json(state / DESK_RECORD)
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    pid, name = data.get("pid"), data.get("desk")
    if type(pid) is not int or pid <= 0 or not isinstance(name, str):
        return None
    return (pid, name) if DESK_NAME.fullmatch(name) else None


def remove_desk(state: Path, pid: int) -> None:
    """Remove the record if process `pid` wrote it (a later service's stays)."""
    found = read_desk(state)
    if found is not None and found[0] == pid:
        with contextlib.suppress(OSError):
            (state / DESK_RECORD).unlink()
