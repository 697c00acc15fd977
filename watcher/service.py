"""`closedloop watch`: the shared folder as a live service.

The observer thread (watchdog's native one, or its polling one for network shares where
native events never arrive) only puts paths on a queue; it never waits for processing.
One worker thread owns the registry: it drains the queue into the stability tracker,
rescans the Inbox periodically (events get lost), and files each finished file in the
order it became ready. Files already in the Inbox at start are processed first.

A file that fails is tried again after the delay the log states, not sooner. A registry
that fails (app/faults.py) stops the service instead: every file after it would fail
the same way. Log lines are escaped, so no name can break or forge one.
"""

from __future__ import annotations

import logging
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

from watchdog.events import (
    EVENT_TYPE_CLOSED_NO_WRITE,
    EVENT_TYPE_CREATED,
    EVENT_TYPE_MOVED,
    EVENT_TYPE_OPENED,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from app.faults import RegistryFailed, RegistryProbe, registry_failure
from app.folder import SharedFolder
from app.instance import InstanceLock
from app.intake import FileResult, Intake, Limits, inbox_files
from app.notes import shown
from app.opening import open_registry
from archive.errors import ArchiveError
from archive.packet import Renderer, build_packet
from filing.policy import Policy
from mail.notify import MailSettings, queue_digest, send_due
from watcher.stability import Backoff, StabilityTracker

log = logging.getLogger("closedloop.watcher")

# Reading a file (ours included) raises these; they say nothing changed.
_READ_ONLY_EVENTS = (EVENT_TYPE_OPENED, EVENT_TYPE_CLOSED_NO_WRITE)
LOG_CHARS = 4000  # a log line: a name and a whole reason, never a 9 MB value


def _say(level: int, text: str) -> None:
    """Log `text` escaped (app.notes.shown): bytes of a name that are not UTF-8 would
    make the log file's handler fail and drop the line; a line break or a terminal escape
    in a name would forge a line or reach the terminal of whoever reads the log."""
    log.log(level, "%s", shown(text, LOG_CHARS))


class _Events(FileSystemEventHandler):
    def __init__(self, inbox: Path, paths: queue.Queue[Path], rescan: threading.Event) -> None:
        self.inbox = inbox
        self.paths = paths
        self.rescan = rescan

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in _READ_ONLY_EVENTS:
            return
        if event.is_directory:
            # A folder moved in whole raises no event for the files in it: walk the Inbox.
            if event.event_type in (EVENT_TYPE_CREATED, EVENT_TYPE_MOVED):
                self.rescan.set()
            return
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            if raw:
                path = Path(os.fsdecode(raw))
                if path != self.inbox and path.is_relative_to(self.inbox):  # at any depth
                    self.paths.put(path)


class Watcher:
    def __init__(
        self,
        root: Path,
        policy: Policy,
        company: str,
        window: float = 2.0,
        poll: float | None = None,
        rescan: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now().replace(microsecond=0),
        on_result: Callable[[FileResult], None] | None = None,
        close_quarters: bool = False,
        closure_packets: bool = False,
        mail: MailSettings | None = None,
        weekly_reports: bool = False,
        mail_every: float = 30.0,
        stale_owner: float = 15 * 60.0,
        wall: Callable[[], float] = time.time,
        first_retry: float = 1.0,
        limits: Limits | None = None,
    ) -> None:
        self.folder = SharedFolder(root)
        self.mail = mail if mail is not None and mail.enabled else None
        self.weekly_reports = weekly_reports
        self.mail_every = mail_every  # seconds between looks at the mail queue when idle
        self.policy = policy
        self.company = company
        self.window = window
        self.poll = poll
        self.rescan = rescan
        self.stale_owner = stale_owner  # seconds: [watch] stale_owner_minutes
        self.wall = wall  # the clock of file times, for the age of owner files
        self.clock = clock
        self.now = now
        self.on_result = on_result
        self.close_quarters = close_quarters
        self.closure_packets = closure_packets
        self.limits = limits  # what one file may cost ([inbox] max_evidence_mb); None: defaults
        self._paths: queue.Queue[Path] = queue.Queue()
        self._rescan_soon = threading.Event()  # a folder arrived: walk before the next rescan
        self._stop = threading.Event()
        self._lock = InstanceLock(self.folder.state)
        self._observer: BaseObserver | None = None
        self._worker: threading.Thread | None = None
        self._renderer: threading.Thread | None = None
        self._mailer: threading.Thread | None = None
        self._mail_wake = threading.Event()  # set when a filing may have queued mail
        self._to_render: queue.Queue[str] = queue.Queue()
        self._rendered: queue.Queue[tuple[str, bytes | Exception]] = queue.Queue()
        self._backoff = Backoff(first=first_retry)  # doubling from there, up to a minute
        self.processed = 0
        self.error: BaseException | None = None  # why the worker stopped, if it failed
        self._probe = RegistryProbe(self.folder.registry)  # made again at start()
        self.working = threading.Event()  # set once the worker holds the registry

    @property
    def failed(self) -> bool:
        return self.error is not None

    def start(self) -> None:
        self._lock.acquire()
        try:
            # A registry it cannot open, or one missing over an archive: say so now.
            open_registry(self.folder).close()
            # The file the service works on from now: another one at its path later is a
            # registry replaced under it.
            self._probe = RegistryProbe(self.folder.registry)
            observer: BaseObserver = PollingObserver(timeout=self.poll) if self.poll else Observer()
            observer.schedule(
                _Events(self.folder.inbox, self._paths, self._rescan_soon),
                str(self.folder.inbox),
                recursive=True,
            )
            observer.start()
        except BaseException:
            self._lock.release()
            raise
        self._observer = observer
        self._worker = self._thread(self._loop, "closedloop-worker")
        if self.closure_packets:
            self._renderer = self._thread(self._render_packets, "closedloop-packets")
        if self.mail is not None:
            self._mailer = self._thread(self._send_mail, "closedloop-mail")
        mode = f"polling every {self.poll:g} s" if self.poll else "native events"
        _say(
            logging.INFO,
            f"watching {self.folder.inbox} ({mode}, stability window {self.window:g} s)",
        )

    def stop(self, timeout: float = 30.0) -> None:
        """Stop after the file in hand."""
        self._stop.set()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout)
        if self._worker is not None:
            self._worker.join(timeout)
        if self._renderer is not None:
            self._renderer.join(timeout)
        self._mail_wake.set()
        if self._mailer is not None:
            # A send in hand may wait for the server's answer (the mail timeout); the mail
            # stays queued if it does not finish, and goes at the next start.
            self._mailer.join(timeout)
        self._lock.release()
        log.info("stopped")

    def _thread(self, work: Callable[[], None], name: str) -> threading.Thread:
        def run() -> None:
            try:
                work()
            except Exception as exc:  # the folder or registry went away: the service stops
                self._fail(exc)

        thread = threading.Thread(target=run, name=name, daemon=True)
        thread.start()
        return thread

    def _fail(self, exc: BaseException) -> None:
        """Stop the service for good (a thread's error), saying why."""
        failure = registry_failure(exc)
        if failure is None and isinstance(exc, sqlite3.DatabaseError):
            failure = exc  # the intake lets only a registry's own errors through
        if failure is not None and not isinstance(exc, RegistryFailed):
            exc = RegistryFailed(self.folder.registry, failure)
        if self.error is None:
            self.error = exc
            _say(logging.ERROR, f"the watcher stopped: {exc}")
        self._stop.set()

    def _loop(self) -> None:
        tracker = StabilityTracker(self.window, self.stale_owner, self.wall)
        with Intake(
            self.folder.root,
            self.policy,
            self.company,
            self.closure_packets,
            packets_later=True,
            mail=self.mail,
            weekly_reports=self.weekly_reports,
            limits=self.limits,
        ) as intake:
            if intake.recovered:
                log.info("finished %d filings an interrupted run left", intake.recovered)
            intake.wanted += intake.cases_missing_packets()
            probe = self._probe
            self.working.set()
            next_scan = next_probe = 0.0  # the Inbox as found at start comes first
            while not self._stop.is_set():
                now = self.clock()
                if now >= next_probe:  # even while the folder is quiet:
                    self._lock.check()  # .closedloop moved away: another may file beside us
                    probe.check(intake.registry.schema_version)  # the registry gone bad
                    next_probe = now + 1.0
                if self._rescan_soon.is_set():
                    self._rescan_soon.clear()
                    self._note(tracker, inbox_files(self.folder), now, walked=True)
                if now >= next_scan:
                    self._note(tracker, inbox_files(self.folder), now, walked=True)
                    next_scan = now + self.rescan
                    if self.close_quarters:  # the first look after a quarter ends seals it
                        for sealed in intake.seal_ended_quarters(self.now()):
                            self._report(sealed)
                    for reported in intake.weekly_report_due(self.now()):
                        self._report(reported)
                self._drain(tracker, now)
                for path in self._backoff.due(now):  # unchanged since it failed: no new wait
                    tracker.note(path, now, settled=self._backoff.unchanged(path))
                ready = tracker.ready(self.clock())
                for stale in tracker.take_stale_owners():
                    _say(logging.WARNING, stale.message())
                for path in ready:
                    if self._stop.is_set():
                        break
                    self._process(intake, path, probe)
                self._hand_over_packets(intake)
                self._stop.wait(0.1)

    def _hand_over_packets(self, intake: Intake) -> None:
        """Cases that want a packet go to the packet thread; packets it built are filed
        here, by the one worker that writes the registry and the folders."""
        for case_id in intake.wanted:
            self._to_render.put(case_id)
        intake.wanted.clear()
        while True:
            try:
                case_id, built = self._rendered.get_nowait()
            except queue.Empty:
                return
            if isinstance(built, Exception):
                self._report(
                    FileResult(
                        case_id,
                        "ignored",
                        case_id,
                        reason=f"the closure packet could not be built ({built}); "
                        "build it with `closedloop packet`",
                    ),
                    logging.WARNING,
                )
                continue
            try:
                self._report(intake.file_built_packet(case_id, built, self.now()))
            except (ArchiveError, OSError) as exc:
                self._report(
                    FileResult(case_id, "ignored", case_id, reason=f"packet not filed ({exc})"),
                    logging.WARNING,
                )

    def _render_packets(self) -> None:
        """The packet thread: renders with LibreOffice, reading the registry, writing nothing."""
        renderer = Renderer(self.folder.state / "libreoffice")
        with open_registry(self.folder) as registry:  # never one made anew
            while not self._stop.is_set():
                try:
                    case_id = self._to_render.get(timeout=0.2)
                except queue.Empty:
                    continue
                try:
                    pdf: bytes | Exception = build_packet(
                        self.folder.archive, registry, self.policy, case_id, renderer, self.now()
                    )
                except Exception as exc:  # one packet must not end the thread: reported
                    pdf = exc
                self._rendered.put((case_id, pdf))

    def _send_mail(self) -> None:
        """The mail thread: queues the daily digest and sends what is due, with a registry
        connection of its own; a slow or absent mail server never holds up filing."""
        assert self.mail is not None
        with open_registry(self.folder) as registry:  # never one made anew
            while not self._stop.is_set():
                self._mail_wake.clear()  # before the look: a wake-up during it is kept
                try:
                    queue_digest(registry, self.mail, self.policy, self.now())
                    send_due(registry, self.folder.archive, self.mail, self.now())
                except Exception as exc:  # the registry busy, the server away: tried again
                    if registry_failure(exc) is not None:
                        self._fail(exc)
                        return
                    _say(logging.WARNING, f"mail: {exc}; trying again shortly")
                self._mail_wake.wait(self.mail_every)

    def _drain(self, tracker: StabilityTracker, now: float) -> None:
        paths = []
        while True:
            try:
                paths.append(self._paths.get_nowait())
            except queue.Empty:
                break
        self._note(tracker, paths, now)

    def _note(
        self, tracker: StabilityTracker, paths: Iterable[Path], now: float, walked: bool = False
    ) -> None:
        """Events and scans, except for files waiting for their next try."""
        tracker.note_all((p for p in paths if not self._backoff.holds(p)), now, walked)

    def _process(self, intake: Intake, path: Path, probe: RegistryProbe) -> None:
        if not os.path.lexists(path):  # a dangling link is still an entry to handle
            self._backoff.succeeded(path)  # gone: nothing left to try
            return
        result = intake.process(path, self.now())
        if result.retry:
            # A file's failure or the registry's? Every file would fail on a broken
            # registry: stop rather than retry them all (RegistryFailed ends the loop).
            probe.check(intake.registry.schema_version)
        self.processed += 1
        if result.issued:
            self._mail_wake.set()
        level = logging.WARNING if result.outcome == "refused" else logging.INFO
        retry = ""
        if result.retry:
            delay = self._backoff.failed(path, self.clock())
            level = logging.WARNING
            retry = f"; trying again in {delay:g} s (try {self._backoff.tries(path)})"
        else:
            self._backoff.succeeded(path)
        self._report(result, level, retry)
        if result.outcome == "filed":
            # Written where the share's writers cannot reach (this log, the digest), the
            # head lets `verify --anchor` prove later that nothing up to it was changed.
            seq, head = intake.registry.chain_head()
            _say(logging.INFO, f"archive chain: event {seq}, head {head}")

    def _report(self, result: FileResult, level: int = logging.INFO, retry: str = "") -> None:
        case = f" ({result.case_id})" if result.case_id else ""
        _say(level, f"{result.outcome} {result.file}{case}: {result.reason or ''}{retry}")
        if self.on_result is not None:
            self.on_result(result)
