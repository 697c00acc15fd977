"""The resident office: `closedloop office ROOT` runs one LibreOffice for the folder until
it is stopped, and `watch` keeps one of its own when none runs (OfficeKeeper)."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import click

from app.folder import SharedFolder
from app.opening import refuse_links
from app.settings import Settings, load_settings
from archive.office_boot import PYTHON, die_with
from archive.office_record import alive, read_record
from archive.office_server import STOP_GRACE, OfficeRunning, ResidentOffice
from closedloop.cli.common import errors, root_argument
from closedloop.cli.group import cli
from closedloop.desk.server import PacketDesk
from language import _

log = logging.getLogger("closedloop.office")


@cli.command("office")
@root_argument
@click.option(
    "--python",
    default=PYTHON,
    show_default=True,
    metavar="PATH",
    help="The Python that has LibreOffice's uno module (Debian's python3-uno); unoserver "
    "runs on it.",
)
@click.option("--parent", type=int, hidden=True, help="Stop when process PID ends.")
@click.option("--no-desk", is_flag=True, hidden=True, help="Build no packets (watch's own).")
def office_cmd(root: Path, python: str, parent: int | None, no_desk: bool) -> None:
    """Run one LibreOffice for ROOT until stopped (Ctrl-C or SIGTERM): the closure packets
    of every command and of the service are rendered by it, a fraction of a second a form
    instead of a LibreOffice start each time. It is started again if it ends. `closedloop
    packet` hands it the whole packet to build (closedloop/desk)."""
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    # Handlers first: a stop asked for while the office starts is still a clean stop.
    before = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        # `watch`'s own office (OfficeKeeper) ends with the watch, even one killed by -9.
        if parent is not None and not die_with(parent):
            return
        with errors():
            settings = load_settings(root)
            folder = SharedFolder.laid_out(root, settings.policy.folders)
            refuse_links(folder)
            _log_to_console()
            try:
                with (
                    ResidentOffice(folder.state, python=python) as office,
                    contextlib.nullcontext() if no_desk else PacketDesk(root) as desk,
                ):
                    # In the record: `closedloop packet` asks it. The watch that starts
                    # its own office has a desk of its own (it holds the folder's lock).
                    office.desk = desk.name if desk is not None else ""
                    office.serve(stop)
            except OfficeRunning:
                if parent is None:
                    raise
                # `watch`'s own office gives way to one started for the folder meanwhile
                # (say, by its systemd unit); the watch's renders use that one.
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)


def _log_to_console() -> None:
    logger = logging.getLogger("closedloop")
    if not logger.handlers:  # a process of its own: the console is its only output
        handler = logging.StreamHandler()
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%d %H:%M:%S")
        )
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


class OfficeKeeper:
    """`watch`'s own office: a `closedloop office ROOT` child, started when no office runs
    for the folder, started again when it ends (at once; after 30 s, doubling up to 10
    minutes, while it keeps ending within a minute of its start), and stopped with the
    watch. While none answers, packets are rendered by a LibreOffice of their own."""

    EVERY = 5.0  # seconds between looks at the child

    def __init__(self, root: Path, state: Path, settings: Settings) -> None:
        self.root = root.absolute()
        self.state = state
        self.settings = settings
        self._stop = threading.Event()
        # The child is started and stopped from this thread, which lives as long as the
        # watch does: the child's parent-death signal follows the thread that started it.
        self._thread = threading.Thread(target=self._keep, name="office", daemon=True)

    @classmethod
    def for_watch(cls, root: Path, state: Path, settings: Settings) -> OfficeKeeper | None:
        """A keeper, started; None where no packet is built or no office can run."""
        if not settings.archive.closure_packets or not sys.platform.startswith("linux"):
            return None
        if shutil.which("soffice") is None and shutil.which("libreoffice") is None:
            return None
        keeper = cls(root, state, settings)
        keeper._thread.start()
        return keeper

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _someone_elses(self) -> bool:
        """Whether an office not started here runs (or starts) for the folder."""
        record = read_record(self.state)
        return record is not None and alive(record.pid)

    def _keep(self) -> None:
        child: subprocess.Popen[bytes] | None = None
        started = next_start = 0.0
        failures = 0  # ends in a row, each within a minute of its start
        with self.settings.speaking():
            try:
                while True:
                    now = time.monotonic()
                    if child is not None and child.poll() == 0:
                        child = None  # it gave way to another office of the folder
                    if child is not None and child.poll() is not None:
                        failures = failures + 1 if now - started < 60 else 0
                        wait = min(30.0 * 2 ** (failures - 2), 600.0) if failures > 1 else 0.0
                        next_start = now + wait
                        log.warning(
                            _(
                                "the resident LibreOffice (closedloop office, process {pid}) "
                                "ended with exit code {code}; packets are rendered by a "
                                "LibreOffice of their own until it is started again in "
                                "{seconds} s"
                            ).format(pid=child.pid, code=child.returncode, seconds=f"{wait:.0f}")
                        )
                        child = None
                    if child is None and now >= next_start and not self._someone_elses():
                        child, started = self._start(), now
                        next_start = now + (600.0 if child is None else 0.0)
                    if self._stop.wait(self.EVERY):
                        break
            finally:
                if child is not None:
                    _end(child)

    def _start(self) -> subprocess.Popen[bytes] | None:
        try:
            child = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "closedloop",
                    "office",
                    str(self.root),
                    "--parent",
                    str(os.getpid()),
                    "--no-desk",
                ],
                stdin=subprocess.DEVNULL,
            )
        except OSError as exc:
            log.warning(
                _(
                    "the resident LibreOffice cannot be started ({why}); packets are rendered "
                    "by a LibreOffice of their own"
                ).format(why=exc)
            )
            return None
        log.info(
            _(
                "a resident LibreOffice starts for the closure packets (closedloop office, "
                "process {pid})"
            ).format(pid=child.pid)
        )
        return child


def _end(child: subprocess.Popen[bytes]) -> None:
    """SIGTERM, the office's own grace to stop, then a kill."""
    child.terminate()
    try:
        child.wait(STOP_GRACE + 10)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
