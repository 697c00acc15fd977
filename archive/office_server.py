"""Running the resident office: one LibreOffice for a shared folder, for as long as
`closedloop office ROOT` runs (archive/office.py finds and uses it; how its processes are
started is archive/office_boot.py).

One office per folder: `closedloop office` holds a lock on .closedloop/office.lock while
it runs. It records the office in .closedloop/office.json as "starting", then "running"
once it answers, and removes the record before stopping it. Its LibreOffice has a profile
of its own, .closedloop/office, apart from the fresh processes' .closedloop/libreoffice
(a profile serves one process at a time).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import shutil
import signal
import stat
import subprocess
import threading
import time
from datetime import datetime
from pathlib import Path
from types import TracebackType

from archive.office import OfficeClient
from archive.office_boot import (
    PYTHON,
    copy_unoserver,
    free_ports,
    package_folder,
    soffice_programs,
    unoserver_command,
)
from archive.office_record import (
    HOST,
    LOCK,
    PROFILE,
    RECORD,
    OfficeError,
    OfficeRecord,
    read_record,
    refuse_link,
    remove_record,
    state_folder,
    write_record,
)
from language import _

try:
    import fcntl
except ImportError:  # Windows: no resident office there (no python3-uno either)
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger("closedloop.office")

STOP_GRACE = 10.0  # seconds LibreOffice gets to end on SIGTERM before it is killed
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class OfficeRunning(OfficeError):
    """Another `closedloop office` already runs (or starts) for the folder."""


class ResidentOffice:
    """One LibreOffice for the shared folder whose .closedloop is `state`, behind
    unoserver. Used as a context manager: entering takes the folder's office lock (one
    office per folder: OfficeRunning) and prepares; `start()` starts it and records it;
    leaving stops it, removes its record and lets the lock go."""

    def __init__(
        self,
        state: Path,
        python: str = PYTHON,
        binary: str | None = None,
        start_timeout: float = 120.0,
        conversion_timeout: int = 60,
        desk: str = "",
    ) -> None:
        self.state = Path(state).absolute()
        self.desk = desk  # named in the record: where this process builds packets
        self.python = python
        self.binary = binary
        self.start_timeout = start_timeout
        self.conversion_timeout = conversion_timeout
        self.profile = self.state / PROFILE
        self.record: OfficeRecord | None = None
        self._lock_fd: int | None = None
        self._package: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ResidentOffice:
        self._lock()
        try:
            self._launcher, self._program = soffice_programs(self.binary)
            self._check_python()
            self._package = package_folder()
            copy_unoserver(self._package)
            self._make_profile()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
        if self._package is not None:
            shutil.rmtree(self._package, ignore_errors=True)
            self._package = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # lets the lock go
            self._lock_fd = None

    def _lock(self) -> None:
        if fcntl is None:
            raise OfficeError(_("the resident office runs on Linux only"))
        with state_folder(self.state) as folder:
            for name in (LOCK, RECORD, PROFILE):
                refuse_link(folder, name, self.state)
            fd = os.open(LOCK, os.O_RDWR | os.O_CREAT | _NOFOLLOW, 0o644, dir_fd=folder)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            record = read_record(self.state)
            raise OfficeRunning(
                _("an office already runs for {root} (process {pid}, since {started})").format(
                    root=self.state.parent,
                    pid=record.pid if record else "?",
                    started=record.started if record else "?",
                )
            ) from None
        except OSError as exc:
            os.close(fd)
            raise OfficeError(
                _("{path} cannot be locked ({why})").format(
                    path=self.state / LOCK, why=exc.strerror or exc
                )
            ) from None
        self._lock_fd = fd
        # Whatever record is there was left by an office that is gone (none holds the
        # lock): stale, so removed before anyone takes it for this one.
        if (stale := read_record(self.state)) is not None:
            remove_record(self.state, stale.pid)

    def _check_python(self) -> None:
        why = ""
        try:
            run = subprocess.run(
                [self.python, "-I", "-c", "import uno"], capture_output=True, timeout=60
            )
            lines = run.stderr.decode(errors="replace").strip().splitlines()
            why = lines[-1] if run.returncode and lines else ""
            if run.returncode and not why:
                why = _("exit code {code}").format(code=run.returncode)
        except (OSError, subprocess.TimeoutExpired) as exc:
            why = str(exc)
        if why:
            raise OfficeError(
                _(
                    "{python} cannot load uno, LibreOffice's bridge to Python ({why}); "
                    "install python3-uno (apt-get install python3-uno), or name the Python "
                    "that has it with --python"
                ).format(python=self.python, why=why)
            )

    def _make_profile(self) -> None:
        with state_folder(self.state) as folder:
            refuse_link(folder, PROFILE, self.state)
            with contextlib.suppress(FileExistsError):
                os.mkdir(PROFILE, 0o755, dir_fd=folder)
            if not stat.S_ISDIR(os.stat(PROFILE, dir_fd=folder, follow_symlinks=False).st_mode):
                raise OfficeError(_("{path} is not a folder; remove it").format(path=self.profile))
        if (self.profile / "user").is_dir():
            return
        with contextlib.suppress(subprocess.TimeoutExpired):  # then said below
            subprocess.run(
                [
                    self._launcher,
                    f"-env:UserInstallation={self.profile.as_uri()}",
                    *("--headless", "--norestore", "--terminate_after_init"),
                ],
                capture_output=True,
                timeout=self.start_timeout,
                env={**os.environ, "HOME": str(self.profile)},
                check=False,
            )
        if not (self.profile / "user").is_dir():
            raise OfficeError(
                _("LibreOffice made no profile in {path} within {seconds} s").format(
                    path=self.profile, seconds=f"{self.start_timeout:g}"
                )
            )

    def start(self, stop: threading.Event | None = None) -> OfficeRecord | None:
        """Start the office and wait until it answers; its record says "starting", then
        "running". None when `stop` is set first."""
        assert self._package is not None, "start() inside `with ResidentOffice(...)`"
        self._end(0)
        port, uno_port = free_ports(2)
        self._proc = subprocess.Popen(
            unoserver_command(
                self.python,
                self._package,
                port,
                uno_port,
                self.profile,
                self._program,
                self.conversion_timeout,
            ),
            stdin=subprocess.DEVNULL,
            # Its own process group: a Ctrl-C at the terminal reaches this process only,
            # which stops the office in order; the group is what is killed at the end.
            start_new_session=True,
            env={**os.environ, "HOME": str(self.profile)},
        )
        started = datetime.now().astimezone().isoformat(timespec="seconds")
        record = OfficeRecord(
            os.getpid(), self._proc.pid, port, uno_port, started, "starting", HOST, self.desk
        )
        write_record(self.state, record)
        client = OfficeClient(port)
        deadline = time.monotonic() + self.start_timeout
        while not client.answers():
            code = self._proc.poll()
            if code is not None or time.monotonic() > deadline:
                self.stop()
                raise OfficeError(
                    _(
                        "LibreOffice did not start (unoserver ended with exit code {code}; "
                        "its messages are above)"
                    ).format(code=code)
                    if code is not None
                    else _("LibreOffice did not answer within {seconds} s of its start").format(
                        seconds=f"{self.start_timeout:g}"
                    )
                )
            if (stop or threading.Event()).wait(0.25):
                self.stop()
                return None
        self.record = dataclasses.replace(record, state="running")
        write_record(self.state, self.record)
        return self.record

    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def exit_code(self) -> int | None:
        return None if self._proc is None else self._proc.poll()

    def stop(self) -> None:
        """Its record first (nothing is sent to it after that), then the office: SIGTERM,
        and what is left of its process group killed after STOP_GRACE seconds (at once
        if it never answered: it has nothing to finish)."""
        remove_record(self.state, os.getpid())
        self._end(STOP_GRACE if self.record is not None else 0)
        self.record = None

    def _end(self, grace: float) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None and grace > 0:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(grace)
            except (ProcessLookupError, PermissionError, subprocess.TimeoutExpired):
                pass
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    def serve(self, stop: threading.Event) -> None:
        """Keep the office up until `stop` is set: started, and started again whenever
        it ends (after 1 s, doubling up to a minute while it keeps ending soon after its
        start). A first start that fails raises OfficeError; a later one is logged and
        tried again."""
        pause, first = 1.0, True
        while not stop.is_set():
            try:
                record = self.start(stop)
            except OfficeError as exc:
                if first:
                    raise
                log.warning(
                    _(
                        "the office could not be started again: {error}; trying again in {seconds} s"
                    ).format(error=exc, seconds=f"{pause:g}")
                )
                record = None
            first = False
            if record is not None:
                log.info(
                    _(
                        "LibreOffice runs for {root} on {host}:{port} (unoserver, process {pid})"
                    ).format(
                        root=self.state.parent, host=HOST, port=record.port, pid=record.server_pid
                    )
                )
                since = time.monotonic()
                while not stop.wait(1.0) and self.running():
                    pass
                if stop.is_set():
                    break
                if time.monotonic() - since > 60:
                    pause = 1.0
                log.warning(
                    _(
                        "the office ended by itself (exit code {code}); starting it again in {seconds} s"
                    ).format(code=self.exit_code(), seconds=f"{pause:g}")
                )
                self.stop()
            stop.wait(pause)
            pause = min(pause * 2, 60.0)
        self.stop()
        log.info(_("the office for {root} stopped").format(root=self.state.parent))
