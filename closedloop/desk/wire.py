"""What goes between `closedloop packet` and the office's desk, and its bounds.

The command sends one request, a JSON object on one line. The desk answers with a line
saying it takes the job (`accepted`) or that the command should build the packet itself
(`fallback`); then, once the job is done, with its answer on one line, followed by the
packet's bytes when the command asked for them (with --out: the command writes the file
itself, with its own rights). Every line is bounded, and so is each wait."""

from __future__ import annotations

import json
import socket
import struct
import time
from typing import Any

VERSION = 1
REQUEST_BYTES = 16 * 1024
ANSWER_BYTES = 256 * 1024  # the answer's line: a message, never the packet
PACKET_BYTES = 1 << 30  # a packet attaches its originals: at most a few hundred MB
#: The wait for a request once connected: a client that says nothing is let go.
REQUEST_SECONDS = 10.0
#: The wait for the desk to take the request (it takes each at once, on a thread): a
#: desk that does not is no desk, and the command builds the packet itself.
ACCEPT_SECONDS = 10.0
#: The wait for the answer: a packet through a LibreOffice of its own (the office being
#: away) may take its renderer's whole bound.
ANSWER_SECONDS = 900.0
_CREDENTIALS = struct.Struct("3i")  # struct ucred: pid, uid, gid


class WireError(Exception):
    """The other side broke off or sent what is not the protocol."""


def address(name: str) -> str:
    """The abstract socket's address (Linux: a name not in any folder)."""
    return "\0" + name


def peer(conn: socket.socket) -> tuple[int, int]:
    """The process at the other end of `conn`, as the kernel saw it connect: (pid, uid)."""
    pid, uid, _gid = _CREDENTIALS.unpack(
        conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _CREDENTIALS.size)
    )
    return pid, uid


def send_line(conn: socket.socket, data: dict[str, Any]) -> None:
    # ASCII: a path that is not UTF-8 (its bytes kept as lone surrogates) goes as \udcff
    # escapes, where encoding it would fail.
    conn.sendall(json.dumps(data, ensure_ascii=True).encode() + b"\n")


def read_line(conn: socket.socket, limit: int, seconds: float) -> dict[str, Any]:
    """One JSON object on one line, of at most `limit` bytes, within `seconds` in all (a
    peer sending a byte at a time is not waited on for ever); what follows the line stays
    in the socket for `read_exactly`."""
    deadline = time.monotonic() + seconds
    buf = bytearray()
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise WireError(f"no whole line within {seconds:g} s")
        conn.settimeout(left)
        byte = conn.recv(1)
        if not byte:
            raise WireError("the other side closed before a whole line")
        if byte == b"\n":
            break
        buf += byte
        if len(buf) > limit:
            raise WireError(f"a line longer than {limit} bytes")
    try:
        data = json.loads(buf)
    except (ValueError, RecursionError) as exc:  # RecursionError: nested past the stack
        raise WireError(f"not JSON: {exc!r}") from None
    if not isinstance(data, dict):
        raise WireError("not a JSON object")
    return data


def read_exactly(conn: socket.socket, size: int) -> bytes:
    chunks = []
    left = size
    while left:
        chunk = conn.recv(min(left, 1 << 20))
        if not chunk:
            raise WireError(f"the other side closed {left} bytes short")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
