"""The desk's side: threads of `closedloop office` (or of `closedloop watch`) that build
closure packets for `closedloop packet` (the package's docstring says why, and whom it
serves). One job at a time, in the order they come; each as the command would do it
(closedloop/desk/job.py; under `watch`, watcher/desk_filing.py), in the folder's
language, with its answer (what to print, the exit code) made here."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import secrets
import socket
import stat
import threading
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from closedloop.cli.common import EXIT_REFUSED, explained, folder_settings
from closedloop.desk.job import make_packet
from closedloop.desk.wire import (
    REQUEST_BYTES,
    REQUEST_SECONDS,
    VERSION,
    WireError,
    address,
    peer,
    read_line,
    send_line,
)
from forms.shown import shown
from language import _

log = logging.getLogger("closedloop.office")

BACKLOG = 64  # commands connecting at once, before the desk takes each on its thread
CALLERS = 64  # commands taken at once (waiting their turn); more build for themselves
LOG_CHARS = 4000  # a log line: a message and its paths, never a megabyte
STOP_SECONDS = 25.0  # a stop waits this long for the packet in hand (systemd: 30 s)
_SENT_SECONDS = 60.0  # a command that does not take its answer is let go
_FALLBACK: dict[str, Any] = {"fallback": True}  # "build it yourself"
_ACCEPTED: dict[str, Any] = {"accepted": True}  # "it is mine now: wait for the answer"


class Job(Protocol):
    """Build a case's packet at a clock (None: now): its bytes, and where it was filed."""

    def __call__(
        self, case_id: str, clock: str | None, *, into_folder: bool
    ) -> tuple[bytes, Path | None]: ...


class PacketDesk:
    """Serves the folder at `root` while inside `with`. `name` goes into the office's
    record (archive/office_record.py), where the command finds it.

    Each command is taken on a thread of its own at once (told "accepted", or sent back
    to build for itself), and the jobs run one at a time, in turn. A command that has
    been told "accepted" never builds the packet itself: the desk may have filed it."""

    def __init__(
        self,
        root: Path,
        job: Job | None = None,
        request_seconds: float = REQUEST_SECONDS,
        *,
        warm: bool = True,
    ) -> None:
        self.root = root.absolute()
        #: What builds a packet: as the command does (closedloop/desk/job.py), or, under
        #: `watch`, the service's way (watcher/desk_filing.py: its worker files it).
        self.job: Job = job or functools.partial(make_packet, self.root)
        self.request_seconds = request_seconds
        #: WeasyPrint loaded at the start (some 20 MB): the office's process is there to
        #: render; `watch` loads it with its first packet instead.
        self.warm = warm
        self.state = self.root / ".closedloop"
        self.name = f"closedloop-desk-{secrets.token_hex(16)}"
        self._sock: socket.socket | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="desk", daemon=True)
        self._one_job = threading.Lock()  # the jobs, one at a time
        self._callers = threading.BoundedSemaphore(CALLERS)

    def __enter__(self) -> PacketDesk:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(address(self.name))
        sock.listen(BACKLOG)
        sock.settimeout(0.5)  # a look at the stop flag twice a second
        self._sock = sock
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()
        # The job in hand is finished (a packet half filed would wait for the next start's
        # recovery); those waiting their turn are told the desk stopped.
        if self._one_job.acquire(timeout=STOP_SECONDS):
            self._one_job.release()

    def _serve(self) -> None:
        sock = self._sock
        assert sock is not None
        try:
            if self.warm:
                with folder_settings(self.root).speaking():
                    _warm()
            while not self._stop.is_set():
                try:
                    conn, _addr = sock.accept()
                except TimeoutError:
                    continue
                if not self._slot():
                    conn.close()
                    break
                threading.Thread(target=self._take, args=(conn,), daemon=True).start()
        except Exception:
            log.exception(_("the packet desk stopped"))
        finally:
            # Closed whatever ended the loop: a command then connects to no one and builds
            # the packet itself, where it would wait on a socket nobody accepts.
            sock.close()

    def _slot(self) -> bool:
        """A place for one more command; with many at once, the rest wait to be taken
        (each waits 10 s for its "accepted", then builds the packet itself). False when
        the desk stops meanwhile."""
        while not self._callers.acquire(timeout=0.5):
            if self._stop.is_set():
                return False
        return True

    def _take(self, conn: socket.socket) -> None:
        """One command, on its own thread; whatever it sends, the desk goes on."""
        try:
            with conn, folder_settings(self.root).speaking():
                try:
                    self._handle(conn)
                except (OSError, WireError) as exc:  # the command went away: its loss
                    said = _("a packet request broke off: {error}").format(error=exc)
                    log.info("%s", shown(said, LOG_CHARS))
                except Exception:
                    log.exception(_("a packet request failed"))
        finally:
            self._callers.release()

    def _handle(self, conn: socket.socket) -> None:
        pid, uid = peer(conn)
        try:
            state = self.state.lstat()
        except OSError:  # the folder gone from under the desk: the command says what it finds
            send_line(conn, _FALLBACK)
            return
        if not may_write(state, pid, uid):  # another user builds with their own rights
            send_line(conn, _FALLBACK)
            return
        request = read_line(conn, REQUEST_BYTES, self.request_seconds)
        # The command means this folder (its .closedloop is this one's): a record copied
        # with a folder names an office that serves another.
        if not _fits(request) or request.get("folder") != [state.st_dev, state.st_ino]:
            send_line(conn, _FALLBACK)
            return
        send_line(conn, _ACCEPTED)
        with self._one_job:
            if self._stop.is_set():
                stopped = _(
                    "the process that builds the folder's packets stopped before it built this "
                    "one; run the command again"
                )
                answer, pdf = (
                    {"text": _("Error: {message}").format(message=stopped), "exit": EXIT_REFUSED},
                    None,
                )
            else:
                answer, pdf = self._answer(request)
        out = request["out"]
        # The console says what was done, and for whom (escaped: the paths in it are the
        # command's, and could forge a line).
        said = _("closure packet for process {pid}: {said}").format(
            pid=pid,
            said=answer["text"]
            if pdf is None
            else _("built, and sent to it for {out}").format(out=out),
        )
        log.info("%s", shown(said, LOG_CHARS))
        conn.settimeout(_SENT_SECONDS)
        send_line(conn, answer)
        if pdf is not None:
            conn.sendall(pdf)

    def _answer(self, request: dict[str, Any]) -> tuple[dict[str, Any], bytes | None]:
        case_id, clock, out, root = (request[k] for k in ("case", "clock", "out", "root"))
        try:
            pdf, where = self.job(case_id, clock, into_folder=out is None)
        except Exception as exc:
            said = explained(exc)
            if said is None:  # a fault of closedloop's: said here, and to the command
                failed = _("the packet desk could not build {case_id}")
                log.exception("%s", shown(failed.format(case_id=case_id), LOG_CHARS))
                said = ("error", f"{failed.format(case_id=case_id)}: {exc!r}")
            # The folder as the command named it, not as this process does.
            message = said[1].replace(str(self.root), root)
            return {
                "text": _("Error: {message}").format(message=message),
                "exit": EXIT_REFUSED,
            }, None
        if where is not None:  # the path as the command's ROOT names it
            with contextlib.suppress(ValueError):  # an Archive not under ROOT: as it is
                where = Path(root) / where.absolute().relative_to(self.root)
            return {"text": _("Wrote {where}").format(where=where), "exit": 0}, None
        return {"text": _("Wrote {where}").format(where=out), "exit": 0, "pdf": len(pdf)}, pdf


def _fits(request: dict[str, Any]) -> bool:
    """Whether the request is one a desk serves: the protocol's version and fields."""
    clock, out = request.get("clock"), request.get("out")
    return (
        request.get("version") == VERSION
        and request.get("job") == "packet"
        and isinstance(request.get("case"), str)
        and isinstance(request.get("root"), str)
        and (clock is None or isinstance(clock, str))
        and (out is None or isinstance(out, str))
    )


def may_write(state: os.stat_result, pid: int, uid: int) -> bool:
    """Whether process `pid` of user `uid` may write the folder's .closedloop (`state`:
    its registry and records): its owner, root, a member of its group when the group may
    write it. Such a user could file a packet anyway; anyone else builds with their own
    rights. The service runs as an account of its own, and the people who work the
    folder are in its group."""
    if uid in (os.geteuid(), 0, state.st_uid):
        return True
    if state.st_mode & stat.S_IWOTH:
        return True
    return bool(state.st_mode & stat.S_IWGRP) and state.st_gid in _groups(pid)


def _warm() -> None:
    """WeasyPrint loaded and its fonts looked up once, before the first packet asks."""
    from archive.packet import PacketError, render_page
    from archive.page_words import fonts

    try:
        render_page(f"<style>p {{ font-family: {fonts()} }}</style><p>.</p>")
    except PacketError as exc:  # no WeasyPrint: each packet says so
        log.warning("%s", exc)


def _groups(pid: int) -> set[int]:
    """The groups of process `pid` (its primary and supplementary ones), as /proc says."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return set()
    found: set[int] = set()
    for line in text.splitlines():
        if line.startswith(("Gid:", "Groups:")):  # Gid: real, effective, saved, file system
            found.update(int(g) for g in line.split(":", 1)[1].split())
    return found
