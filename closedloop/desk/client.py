"""`closedloop packet`'s side of the desk: find the folder's desks (watch's, then the
office's), hand the job to one, and bring back what to print (and the packet, for --out).
None whenever no desk takes it: the command then builds the packet itself.

Light on purpose: this runs before anything else is loaded."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from archive.office_record import alive, read_record
from closedloop.desk.record import read_desk
from closedloop.desk.wire import (
    ACCEPT_SECONDS,
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
EXIT_REFUSED = 2  # closedloop/cli/common.py's, not loaded here
STATE = ".closedloop"
CLOCK_VARIABLE = "CLOSEDLOOP_NOW"  # app/settings: the clock of tests and replays


@dataclass(frozen=True)
class Answer:
    """What the desk said: the line to print (in the folder's language), where (stdout,
    or stderr for an error), the exit code, and the packet's bytes when they were asked
    for. `lost_by`: the desk's process when it took the job and no answer came back:
    the packet may have been filed, so the command must not build it again."""

    text: str
    exit_code: int
    pdf: bytes | None = None
    lost_by: int | None = None

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


def ask(root: Path, case_id: str, out: Path | None, clock: str | None) -> Answer | None:
    """The answer of a desk to building `case_id`'s packet (into its case folder, or its
    bytes for `out`), or None: no desk, not ours, not taken."""
    state = root / STATE
    try:
        folder = state.lstat()
    except OSError:
        return None
    # The command's own clock, as it would have used it (the desk's process may run with
    # another time zone, or a CLOSEDLOOP_NOW of its own).
    clock = (
        clock or os.environ.get(CLOCK_VARIABLE) or datetime.now().replace(microsecond=0).isoformat()
    )
    request = {
        "version": VERSION,
        "job": "packet",
        "case": case_id,
        "root": str(root),
        "clock": clock,
        "out": None if out is None else str(out),
        "folder": [folder.st_dev, folder.st_ino],
    }
    # Trusted: a desk run by this user, by the owner of the folder's .closedloop (the
    # service's account), or by root. Anyone else who can write the record could name a
    # desk of their own, and be handed the request, and answer with any text or bytes.
    trusted = {os.geteuid(), folder.st_uid, 0}
    for pid, name in _desks(state):
        if alive(pid):
            answer = _ask(pid, name, trusted, request, want_pdf=out is not None)
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


def _ask(
    pid: int, name: str, trusted: set[int], request: dict[str, object], want_pdf: bool
) -> Answer | None:
    try:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    except OSError:
        return None
    with conn:
        try:
            conn.settimeout(CONNECT_SECONDS)
            conn.connect(address(name))
            peer_pid, peer_uid = peer(conn)
            if peer_pid != pid or peer_uid not in trusted:
                return None  # not the process the record names, or not one to trust
            send_line(conn, request)
            if not read_line(conn, ANSWER_BYTES, ACCEPT_SECONDS).get("accepted"):
                return None  # sent back: this command builds it
        except (OSError, WireError):
            return None  # not taken: this command builds it
        try:
            return _answer(conn, read_line(conn, ANSWER_BYTES, ANSWER_SECONDS), want_pdf)
        except (OSError, WireError):
            return Answer("", EXIT_REFUSED, lost_by=pid)


def _answer(conn: socket.socket, data: dict[str, object], want_pdf: bool) -> Answer:
    text, code, size = data.get("text"), data.get("exit"), data.get("pdf", 0)
    if not isinstance(text, str) or type(code) is not int:
        raise WireError("an answer without its text and exit code")
    if type(size) is not int or not 0 <= size <= PACKET_BYTES:
        raise WireError(f"an answer of {size!r} bytes")
    conn.settimeout(CONNECT_SECONDS * 30)  # the bytes follow the line at once
    pdf = read_exactly(conn, size) if size else None
    if want_pdf and code == 0 and pdf is None:
        raise WireError("an answer without the packet")
    return Answer(text, code, pdf)
