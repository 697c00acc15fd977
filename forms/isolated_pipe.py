"""One reading process as the parent holds it: the child, a thread feeding it requests
and one collecting its replies, as length-prefixed frames over its stdin and stdout.
A child that stops reading or answering never blocks the parent: only a deadline is
waited on (forms.isolated)."""

from __future__ import annotations

import contextlib
import os
import queue
import struct
import subprocess
import sys
import threading
import time
import weakref
from typing import IO, Any, Final

if sys.platform == "linux":
    import fcntl

#: An answer larger than this cannot be a form's values (parts expand to 256 MB at most).
MAX_REPLY_BYTES = 256 * 1024 * 1024

HEAD = struct.Struct("!Q")  # a frame's length, before its bytes


class Late:
    """The deadline passed before the child answered."""


LATE: Final = Late()


class Child:
    """One reading process, with a thread feeding it requests and one collecting replies."""

    def __init__(self, command: list[str]) -> None:
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._requests: queue.SimpleQueue[tuple[bytes, ...] | None] = queue.SimpleQueue()
        self._replies: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        # An owner that forgets close() still leaves no process behind when it goes.
        self._end = weakref.finalize(self, _kill, self.proc, self._requests)
        # A write larger than the pipe takes goes through its own thread, so that a child
        # that stops reading (frozen, or killed mid-file) can never block the parent: only
        # the deadline is waited on. One that fits is written directly (see send).
        self._room = _pipe_room(self.proc.stdin.fileno())
        self._threads = [
            threading.Thread(
                target=_feed,
                args=(self.proc.stdin, self._requests),
                daemon=True,
                name="closedloop-reader-feed",
            ),
            threading.Thread(
                target=_collect,
                args=(self.proc.stdout, self._replies),
                daemon=True,
                name="closedloop-reader-collect",
            ),
        ]
        try:
            for thread in self._threads:
                thread.start()
        except BaseException:
            self._end()
            raise

    def send(self, *parts: bytes) -> None:
        """One request: its parts (the language, the file's name, its bytes), a frame each."""
        if sum(HEAD.size + len(part) for part in parts) > self._room:
            self._requests.put(parts)
            return
        # The pipe is empty (the child takes a request whole before it answers, and the
        # last was answered), so a write that fits never waits; it saves a thread's
        # hand-over, a third of the cost of a read here.
        request = b"".join(piece for part in parts for piece in (HEAD.pack(len(part)), part))
        assert self.proc.stdin is not None
        fd = self.proc.stdin.fileno()
        with contextlib.suppress(OSError):  # the child is gone: the collector says so
            view = memoryview(request)
            while view:
                view = view[os.write(fd, view) :]

    def reply(self, deadline: float) -> bytes | Late | None:
        """The next answer; None once the child has gone; LATE when the deadline passed."""
        try:
            return self._replies.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            return LATE

    def stop(self, grace: float = 0.0) -> int | None:
        """Kill the child (after `grace` s to exit by itself) and its threads; its status."""
        if grace:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=grace)
        self._end()
        for thread in self._threads:
            thread.join(timeout=5)
        return self.proc.returncode


def _pipe_room(fd: int) -> int:
    """How many bytes an empty pipe into the child takes without waiting for it to read."""
    if sys.platform != "linux":
        return 0
    try:
        return fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1024 * 1024)
    except OSError:  # beyond this user's pipe allowance: the pipe keeps what it has
        try:
            return fcntl.fcntl(fd, fcntl.F_GETPIPE_SZ)
        except OSError:
            return 0


def _kill(proc: subprocess.Popen[bytes], requests: queue.SimpleQueue[Any]) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    requests.put(None)


def _feed(stream: IO[bytes], requests: queue.SimpleQueue[tuple[bytes, ...] | None]) -> None:
    # A write fails once the child is gone (the collector reports that); so does the flush
    # in close() into a pipe whose reader is gone.
    with contextlib.suppress(OSError, ValueError), contextlib.closing(stream):
        while (request := requests.get()) is not None:
            for part in request:
                stream.write(HEAD.pack(len(part)))
                stream.write(part)
            stream.flush()


def _collect(stream: IO[bytes], replies: queue.SimpleQueue[bytes | None]) -> None:
    try:
        while (body := read_frame(stream, MAX_REPLY_BYTES)) is not None:
            replies.put(body)
    except (OSError, ValueError):
        pass
    finally:
        replies.put(None)
        stream.close()


def read_frame(stream: IO[bytes], limit: int) -> bytes | None:
    """The next frame's bytes; None at the end of the stream or for one over `limit`."""
    head = stream.read(HEAD.size)
    if len(head) < HEAD.size:
        return None
    (size,) = HEAD.unpack(head)
    if size > limit:
        return None
    body = stream.read(size)
    return body if len(body) == size else None


def write_frame(stream: IO[bytes], body: bytes) -> None:
    stream.write(HEAD.pack(len(body)))
    stream.write(body)
    stream.flush()
