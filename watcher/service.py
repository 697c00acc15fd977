"""`closedloop watch`: the shared folder as a live service.

The observer thread (watchdog's native one, or its polling one for network shares where
native events never arrive) only puts paths on a queue; it never waits for processing.
One worker thread owns the registry: it drains the queue into the stability tracker,
rescans the Inbox periodically (events get lost), and files each finished file in the
order it became ready. Files already in the Inbox at start are processed first.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from archive.errors import ArchiveError
from archive.packet import Renderer, build_packet
from filing.policy import Policy
from filing.registry import Registry
from watcher.folders import SharedFolder
from watcher.ingest import FileResult, Intake, inbox_files
from watcher.instance import InstanceLock
from watcher.notify import MailSettings, queue_digest, send_due
from watcher.stability import Backoff, StabilityTracker

log = logging.getLogger("closedloop.watcher")


class _Events(FileSystemEventHandler):
    def __init__(self, inbox: Path, paths: queue.Queue[Path]) -> None:
        self.inbox = inbox
        self.paths = paths

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory:
            return
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            if raw:
                path = Path(str(raw))
                if self.inbox in (path.parent, path.parent.parent):  # or Inbox/<case>/
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
        self.clock = clock
        self.now = now
        self.on_result = on_result
        self.close_quarters = close_quarters
        self.closure_packets = closure_packets
        self._paths: queue.Queue[Path] = queue.Queue()
        self._stop = threading.Event()
        self._lock = InstanceLock(self.folder.state)
        self._observer: BaseObserver | None = None
        self._worker: threading.Thread | None = None
        self._renderer: threading.Thread | None = None
        self._mailer: threading.Thread | None = None
        self._mail_wake = threading.Event()  # set when a filing may have queued mail
        self._to_render: queue.Queue[str] = queue.Queue()
        self._rendered: queue.Queue[tuple[str, bytes | Exception]] = queue.Queue()
        self._backoff = Backoff()
        self.processed = 0
        self.error: BaseException | None = None  # why the worker stopped, if it failed

    @property
    def failed(self) -> bool:
        return self.error is not None

    def start(self) -> None:
        self._lock.acquire()
        try:
            Registry(self.folder.registry).close()  # a registry it cannot open: say so now
            observer: BaseObserver = PollingObserver(timeout=self.poll) if self.poll else Observer()
            observer.schedule(
                _Events(self.folder.inbox, self._paths), str(self.folder.inbox), recursive=True
            )
            observer.start()
        except BaseException:
            self._lock.release()
            raise
        self._observer = observer
        self._worker = threading.Thread(target=self._work, name="closedloop-worker", daemon=True)
        self._worker.start()
        if self.closure_packets:
            self._renderer = threading.Thread(
                target=self._render_packets, name="closedloop-packets", daemon=True
            )
            self._renderer.start()
        if self.mail is not None:
            self._mailer = threading.Thread(
                target=self._send_mail, name="closedloop-mail", daemon=True
            )
            self._mailer.start()
        mode = f"polling every {self.poll:g} s" if self.poll else "native events"
        log.info("watching %s (%s, stability window %g s)", self.folder.inbox, mode, self.window)

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

    def _work(self) -> None:
        try:
            self._loop()
        except Exception as exc:  # the folder or registry went away: the service must stop
            self.error = exc
            log.error("the watcher stopped: %s", exc)

    def _loop(self) -> None:
        tracker = StabilityTracker(self.window)
        with Intake(
            self.folder.root,
            self.policy,
            self.company,
            self.closure_packets,
            packets_later=True,
            mail=self.mail,
            weekly_reports=self.weekly_reports,
        ) as intake:
            if intake.recovered:
                log.info("finished %d filings an interrupted run left", intake.recovered)
            intake.wanted += intake.cases_missing_packets()
            next_scan = 0.0  # the Inbox as found at start comes first
            while not self._stop.is_set():
                now = self.clock()
                if now >= next_scan:
                    tracker.note_all(inbox_files(self.folder), now)
                    next_scan = now + self.rescan
                    if self.close_quarters:  # the first look after a quarter ends seals it
                        for sealed in intake.seal_ended_quarters(self.now()):
                            self._report(sealed)
                    for reported in intake.weekly_report_due(self.now()):
                        self._report(reported)
                self._drain(tracker, now)
                tracker.note_all(self._backoff.due(now), now)
                for path in tracker.ready(self.clock()):
                    if self._stop.is_set():
                        break
                    self._process(intake, path)
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
        with Registry(self.folder.registry) as registry:
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
        with Registry(self.folder.registry) as registry:
            while not self._stop.is_set():
                self._mail_wake.clear()  # before the look: a wake-up during it is kept
                try:
                    queue_digest(registry, self.mail, self.policy, self.now())
                    send_due(registry, self.folder.archive, self.mail, self.now())
                except Exception as exc:  # the registry busy or gone: logged, tried again
                    log.warning("mail: %s; trying again shortly", exc)
                self._mail_wake.wait(self.mail_every)

    def _drain(self, tracker: StabilityTracker, now: float) -> None:
        while True:
            try:
                path = self._paths.get_nowait()
            except queue.Empty:
                return
            tracker.note(path, now)

    def _process(self, intake: Intake, path: Path) -> None:
        if not path.exists():
            return
        result = intake.process(path, self.now())
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

    def _report(self, result: FileResult, level: int = logging.INFO, retry: str = "") -> None:
        log.log(
            level,
            "%s %s%s: %s%s",
            result.outcome,
            result.file,
            f" ({result.case_id})" if result.case_id else "",
            result.reason or "",
            retry,
        )
        if self.on_result is not None:
            self.on_result(result)
