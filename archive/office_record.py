"""The record of a folder's resident office, `.closedloop/office.json`: where it runs, and
whether its process lives. Read and written without following a link: a record made a
link is no record (and `closedloop office` refuses to write over it).

Kept apart from the office's client (archive/office.py): `closedloop packet` reads the
record first, and should not pay for the XML-RPC client when the office builds the packet
for it (closedloop/desk).
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from archive.errors import ArchiveError
from archive.nofollow import write_at
from forms.atomicfile import remove_leftovers
from language import _

RECORD = "office.json"  # in .closedloop: where the folder's office runs
LOCK = "office.lock"  # in .closedloop: held by the one `closedloop office` of the folder
PROFILE = "office"  # in .closedloop: the resident LibreOffice's own profile
HOST = "127.0.0.1"  # loopback only: the office converts whatever it is sent
#: The desk's abstract socket name (closedloop/desk): made by the office, random.
DESK_NAME = re.compile(r"closedloop-desk-[0-9a-f]{32}")
_POSIX = os.name == "posix"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_RECORD_BYTES = 64 * 1024


class OfficeError(ArchiveError):
    """The resident office cannot be run or used; the message says why and what to do."""


@dataclass(frozen=True)
class OfficeRecord:
    """Where a folder's office runs: `pid` is the `closedloop office` process that owns
    the record (and stops the office), `server_pid` its unoserver, `port` unoserver's
    XML-RPC port, `uno_port` LibreOffice's own, `started` when it was started (ISO 8601),
    `state` "starting" until it first answers, then "running"; `desk` the name of the
    abstract socket on which the process builds closure packets for `closedloop packet`
    (closedloop/desk), "" when it has none."""

    pid: int
    server_pid: int
    port: int
    uno_port: int
    started: str
    state: str = "running"
    host: str = HOST
    desk: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: object) -> OfficeRecord | None:
        """The record, or None for anything else (a record half made by hand, say)."""
        if not isinstance(data, dict):
            return None
        ints = ("pid", "server_pid", "port", "uno_port")
        if not all(type(data.get(k)) is int and data[k] > 0 for k in ints):
            return None
        if not isinstance(data.get("started"), str) or data.get("host", HOST) != HOST:
            return None
        state = data.get("state", "running")
        if state not in ("starting", "running"):
            return None
        desk = data.get("desk", "")
        if not isinstance(desk, str) or not DESK_NAME.fullmatch(desk):
            desk = ""  # an older office's record, or one edited: no desk to talk to
        return cls(
            data["pid"],
            data["server_pid"],
            data["port"],
            data["uno_port"],
            data["started"],
            state,
            HOST,
            desk,
        )


@contextlib.contextmanager
def state_folder(state: Path) -> Iterator[int]:
    """A handle on .closedloop, refused when it is a link (writing there could land
    anywhere)."""
    try:
        fd = os.open(state, os.O_RDONLY | _DIRECTORY | _NOFOLLOW)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            raise OfficeError(
                _("{state} is a link or not a folder; closedloop never follows one").format(
                    state=state
                )
            ) from None
        raise OfficeError(
            _("{state} cannot be opened ({why})").format(state=state, why=exc.strerror or exc)
        ) from None
    try:
        yield fd
    finally:
        os.close(fd)


def refuse_link(fd: int, name: str, state: Path) -> None:
    """Refuse `name` in the folder `fd` when it is a link: the office writes only its own."""
    try:
        info = os.stat(name, dir_fd=fd, follow_symlinks=False)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode):
        raise OfficeError(
            _(
                "{path} is a link; closedloop never follows one: remove it, and start the "
                "office again"
            ).format(path=state / name)
        )


def read_record(state: Path) -> OfficeRecord | None:
    """The record in `state` (.closedloop), or None: none, a link, not a record."""
    if not _POSIX:
        return None  # the office runs on Linux, beside Debian's python3-uno
    try:
        with state_folder(state) as folder:
            fd = os.open(RECORD, os.O_RDONLY | _NOFOLLOW | _NONBLOCK, dir_fd=folder)
    except (OfficeError, OSError):
        return None  # missing, a link (ELOOP), unreadable: there is no office to use
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > _RECORD_BYTES:
            return None
        try:
            return OfficeRecord.from_json(json.loads(fh.read(_RECORD_BYTES)))
        except (OSError, ValueError):
            return None


def write_record(state: Path, record: OfficeRecord) -> None:
    """Put the record in place atomically (a reader sees the old one or the new one,
    never half of one), without following a link at .closedloop or at the record."""
    data = json.dumps(record.to_json(), indent=2).encode() + b"\n"
    with state_folder(state) as folder:
        refuse_link(folder, RECORD, state)
        remove_leftovers(state, {RECORD})  # a write a kill cut short, by an earlier office
        # The rename replaces whatever is at the name (a link put there meanwhile too); it
        # never writes through it.
        write_at(folder, RECORD, io.BytesIO(data), mode=0o644)


def remove_record(state: Path, pid: int) -> None:
    """Remove the record if it is the one process `pid` wrote (a later office's stays)."""
    record = read_record(state)
    if record is None or record.pid != pid:
        return
    with contextlib.suppress(OfficeError, OSError), state_folder(state) as folder:
        os.unlink(RECORD, dir_fd=folder)


def alive(pid: int) -> bool:
    """Whether process `pid` runs (a zombie, killed and not yet reaped, does not)."""
    if pid <= 0:
        return False  # kill(0) and kill(-1) would mean whole groups
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's: it exists
    try:
        # The state is the field after the command's name, which is in parentheses.
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return True
    return fields[0] not in ("Z", "X")
