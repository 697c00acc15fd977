"""`closedloop packet`'s side of the desk: find the folder's office, hand it the job, and
bring back what to print (and the packet, for --out). None whenever the desk cannot do
it: the command then builds the packet itself.

Light on purpose: this runs before anything else is loaded."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

from archive.office_record import alive, read_record
from closedloop.desk.record import read_desk
from closedloop.desk.wire import (
    ANSWER_BYTES,
    ANSWER_SECONDS,
    PACKET_BYTES,
    VERSION,
    WireError,
    address,
    peer,
    read_exactly,
    read_line,
    send_line,
)

CONNECT_SECONDS = 2.0
STATE = ".closedloop"
CLOCK_VARIABLE = "CLOSEDLOOP_NOW"  # app/settings: the clock of tests and replays


@dataclass(frozen=True)
class Answer:
    """What the desk said: the line to print (in the folder's language), where (stdout,
    or stderr for an error), the exit code, and the packet's bytes when they were asked
    for."""

    text: str
    exit_code: int
    pdf: bytes | None = None

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


def ask(root: Path, case_id: str, out: Path | None, clock: str | None) -> Answer | None:
    """The answer of a desk to building `case_id`'s packet (into its case folder, or its
    bytes for `out`), or None: no desk, not ours, not answered."""
    state = root / STATE
    try:
        folder = state.lstat()
    except OSError:
        return None
    request = {
        "version": VERSION,
        "job": "packet",
        "case": case_id,
        "root": str(root),
        "clock": clock or os.environ.get(CLOCK_VARIABLE) or None,
        "out": None if out is None else str(out),
        "folder": [folder.st_dev, folder.st_ino],
    }
    for pid, name in _desks(state):
        if alive(pid):
            answer = _ask(pid, name, request, want_pdf=out is not None)
            if answer is not None:
                return answer
    return None


def _desks(state: Path) -> list[tuple[int, str]]:
    """The desks that may build the folder's packet, the one that can file it first: the
    service's (it holds the folder's lock while it runs), then the office's."""
    desks = []
    service = read_desk(state)
    if service is not None:
        desks.append(service)
    office = read_record(state)
    if office is not None and office.desk:
        desks.append((office.pid, office.desk))
    return desks


def _ask(pid: int, name: str, request: dict[str, object], want_pdf: bool) -> Answer | None:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(CONNECT_SECONDS)
            conn.connect(address(name))
            if peer(conn)[0] != pid:
                return None  # not the process the record names: never talk to it
            send_line(conn, request)
            answer = read_line(conn, ANSWER_BYTES, ANSWER_SECONDS)
            return _answer(conn, answer, want_pdf)
    except (OSError, WireError):
        return None


def _answer(conn: socket.socket, data: dict[str, object], want_pdf: bool) -> Answer | None:
    text, code, size = data.get("text"), data.get("exit"), data.get("pdf", 0)
    if data.get("fallback") or not isinstance(text, str) or type(code) is not int:
        return None
    if type(size) is not int or not 0 <= size <= PACKET_BYTES:
        return None
    conn.settimeout(CONNECT_SECONDS * 30)  # the bytes follow the line at once
    pdf = read_exactly(conn, size) if size else None
    if want_pdf and code == 0 and pdf is None:
        return None
    return Answer(text, code, pdf)
