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

from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from app.application import BATCH, App
from app.faults import RegistryFailed, RegistryProbe, registry_failure
from app.folder import SharedFolder
from app.instance import InstanceLock
from app.intake.inbox import inbox_files
from app.jobs.base import AnyJob, Trigger, When
from app.results import FileResult, Outcome, outcome_words
from app.settings import Settings
from filing.registry import RegistryUnreachable
from forms.shown import shown
from language import _, folders
from watcher.desk_filing import DeskFilings
from watcher.events import InboxEvents
from watcher.lanes import Lane
from watcher.stability import Backoff, StabilityTracker

log = logging.getLogger("closedloop.watcher")

LOG_CHARS = 4000  # a log line: a name and a whole reason, never a 9 MB value


def _say(level: int, text: str) -> None:
    """Log `text` escaped (forms.shown): bytes of a name that are not UTF-8 would
    make the log file's handler fail and drop the line; a line break or a terminal escape
    in a name would forge a line or reach the terminal of whoever reads the log."""
    log.log(level, "%s", shown(text, LOG_CHARS))


class Watcher:
    """The service on one shared folder: `settings` give its timing ([watch]) and its
    after-effects; the rest are the clocks and hooks tests and replays set."""

    def __init__(
        self,
        root: Path,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now().replace(microsecond=0),
        wall: Callable[[], float] = time.time,
        on_result: Callable[[FileResult], None] | None = None,
        mail_every: float = 30.0,
        first_retry: float = 1.0,
    ) -> None:
        self.folder = SharedFolder(root, settings.policy.folders)
        self.settings = settings
        timing = settings.watch
        self.window = timing.window
        self.poll = timing.poll
        self.rescan = timing.rescan
        self.stale_owner = timing.stale_owner_seconds
        self.mail_every = mail_every  # seconds between looks at the mail queue when idle
        self.wall = wall  # the clock of file times, for the age of owner files
        self.clock = clock
        self.now = now
        self.on_result = on_result
        self._paths: queue.Queue[Path] = queue.Queue()
        self._rescan_soon = threading.Event()  # a folder arrived: walk before the next rescan
        self._stop = threading.Event()
        self._lock = InstanceLock(self.folder.state)
        self._observer: BaseObserver | None = None
        self._threads: list[threading.Thread] = []
        # By the job's kind: a start again (the registry's server was away) makes new jobs,
        # and keeps the lanes.
        self._lanes: dict[type[AnyJob], Lane] = {}
        self._backoff = Backoff(first=first_retry)  # doubling from there, up to a minute
        self.processed = 0
        self.error: BaseException | None = None  # why the worker stopped, if it failed
        # made again at start()
        self._probe = RegistryProbe(self.folder.registry, self.settings.registry.shared)
        self.working = threading.Event()  # set once the worker holds the registry
        self._wake = threading.Event()  # something for the worker to do now
        #: `closedloop packet`'s packets, built for it and filed by the worker.
        self.desk = DeskFilings(lambda: self._open(isolated=False), self._wake)
        self._filed_since_look = False  # files handled since the last look at the folder

    @property
    def failed(self) -> bool:
        return self.error is not None

    def _open(self, isolated: bool = True) -> App:
        return App.open(
            self.folder.root, self.settings, isolated=isolated, mail_every=self.mail_every
        )

    def start(self) -> None:
        self._lock.acquire()
        try:
            # A folder not laid out, a registry it cannot open, or one missing over an
            # archive: say so now. A shared registry's server away is not one of them: the
            # worker waits for it (the Inbox keeps what is saved meanwhile).
            try:
                self._open(isolated=False).close()
            except RegistryUnreachable as exc:
                with self.settings.speaking():
                    waits = _(
                        "{error}; the service waits for it, and files saved meanwhile wait in the {inbox}"
                    )
                    _say(logging.WARNING, waits.format(error=exc, **folders()))
            # The file the service works on from now: another one at its path later is a
            # registry replaced under it.
            self._probe = RegistryProbe(self.folder.registry, self.settings.registry.shared)
            observer: BaseObserver = PollingObserver(timeout=self.poll) if self.poll else Observer()
            observer.schedule(
                InboxEvents(self.folder.inbox, self._paths, self._rescan_soon),
                str(self.folder.inbox),
                recursive=True,
            )
            observer.start()
        except BaseException:
            self._lock.release()
            raise
        self._observer = observer
        self._thread(self._loop, "closedloop-worker")
        with self.settings.speaking():
            mode = (
                _("polling every {seconds} s").format(seconds=f"{self.poll:g}")
                if self.poll
                else _("native events")
            )
            watching = _("watching {inbox} ({mode}, stability window {seconds} s)")
            _say(
                logging.INFO,
                watching.format(inbox=self.folder.inbox, mode=mode, seconds=f"{self.window:g}"),
            )

    def stop(self, timeout: float = 30.0) -> None:
        """Stop after the file in hand. A mail being sent may wait for the server's answer
        (the mail timeout); it stays queued if it does not finish, and goes at the next start."""
        self._stop.set()
        self._wake.set()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout)
        for thread in list(self._threads):
            thread.join(timeout)
        self.desk.fail_waiting()
        self._lock.release()
        with self.settings.speaking():
            log.info("%s", _("stopped"))

    def _thread(self, work: Callable[[], None], name: str) -> threading.Thread:
        def run() -> None:
            # A thread starts with no language set: this one speaks the folder's.
            with self.settings.speaking():
                try:
                    work()
                except Exception as exc:  # the folder or registry went away: the service stops
                    self._fail(exc)

        thread = threading.Thread(target=run, name=name, daemon=True)
        self._threads.append(thread)
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
            _say(logging.ERROR, _("the watcher stopped: {error}").format(error=exc))
        self._stop.set()

    def _loop(self) -> None:
        """The worker: open, catch up, then file until stopped. While the shared registry's
        server is away (at the start, or while catching up) it waits, 1, 2, 4 … 60 s, and
        starts again: nothing was filed half-way, and the Inbox keeps what is saved."""
        lost = 0.0
        while not self._stop.is_set():
            try:
                self._work()
                return
            except RegistryUnreachable as exc:
                lost = min(60.0, lost * 2 or 1.0)
                retry = _("{error}; the files wait in the {inbox}, trying again in {seconds} s")
                _say(logging.WARNING, retry.format(error=exc, seconds=f"{lost:g}", **folders()))
                self._stop.wait(lost)

    def _work(self) -> None:
        tracker = StabilityTracker(self.window, self.stale_owner, self.wall)
        with self._open() as app:
            recovered = app.recover()
            if recovered:
                finished = _("finished {count} filings an interrupted run left")
                log.info("%s", finished.format(count=recovered))
            for job in app.jobs:
                if job.slow and type(job) not in self._lanes:  # each on a thread of its own,
                    # with a registry of its own
                    lane = Lane(job, lambda: self._open(isolated=False), self.now, self._stop)
                    self._lanes[type(job)] = lane
                    self._thread(lane.run, f"closedloop-{type(job).__name__}")
            self._say_all(self._after(app, Trigger(When.START, self.now())))
            probe = self._probe
            self.working.set()
            next_scan = next_probe = 0.0  # the Inbox as found at start comes first
            periodic = {job: 0.0 for job in app.jobs if job.every is not None}
            lost = 0.0  # how long the last wait for an unreachable registry was
            while not self._stop.is_set():
                try:
                    now = self.clock()
                    if now >= next_probe:  # even while the folder is quiet:
                        self._lock.check()  # .closedloop moved away: another may file beside us
                        probe.check(app.registry.schema_version)  # the registry gone bad
                        next_probe = now + 1.0
                    if self._rescan_soon.is_set():
                        self._rescan_soon.clear()
                        self._note(tracker, inbox_files(self.folder), now, walked=True)
                    if now >= next_scan:
                        self._note(tracker, inbox_files(self.folder), now, walked=True)
                        next_scan = now + self.rescan
                        self._look(app)
                    for job, due in periodic.items():
                        if now >= due:
                            self._say_all(self._after(app, Trigger(When.LOOK, self.now()), [job]))
                            periodic[job] = now + (job.every or self.rescan)
                    self._drain(tracker, now)
                    for path in self._backoff.due(now):  # unchanged since it failed: no new wait
                        tracker.note(path, now, settled=self._backoff.unchanged(path))
                    ready = tracker.ready(self.clock())
                    for stale in tracker.take_stale_owners():
                        _say(logging.WARNING, stale.message())
                    for start in range(0, len(ready), BATCH):  # a backlog: in batches
                        if self._stop.is_set():
                            break
                        if self._process(app, ready[start : start + BATCH], probe):
                            periodic = dict.fromkeys(periodic, 0.0)  # it may have queued mail
                        self._filed_since_look = True
                    if self._filed_since_look and not ready:
                        self._look(app)  # a burst is over: the To do pages catch up now
                    self._collect(app)
                    self._file_for_desk(app)
                    self._wake.wait(0.1)
                    self._wake.clear()
                    lost = 0.0
                except RegistryUnreachable as exc:
                    # The shared registry's server is away: nothing was filed half-way (the
                    # files stay in the Inbox); wait, longer each time, and go on.
                    lost = min(60.0, lost * 2 or 1.0)
                    retry = _("{error}; the files wait in the {inbox}, trying again in {seconds} s")
                    _say(logging.WARNING, retry.format(error=exc, seconds=f"{lost:g}", **folders()))
                    self._stop.wait(lost)

    def _look(self, app: App) -> None:
        """A look at the folder for the jobs that look at each rescan (quarter, weekly
        report, outboxes' To do pages)."""
        self._filed_since_look = False
        looking = [job for job in app.jobs if job.every is None]
        self._say_all(self._after(app, Trigger(When.LOOK, self.now()), looking))

    def _after(
        self, app: App, trigger: Trigger, jobs: list[AnyJob] | None = None
    ) -> list[FileResult]:
        """Run the jobs on `trigger`: fast ones in line, slow ones handed to their lane (the
        filing then says what is under way)."""
        out: list[FileResult] = []
        for job in app.jobs if jobs is None else jobs:
            lane = self._lanes.get(type(job))
            if lane is None:
                out += app.after(trigger, [job])
                continue
            for work in job.todo(app, trigger):
                if lane.put(work) and trigger.filed is not None and job.later:
                    filed, later = trigger.filed, _(job.later)
                    filed.reason = f"{filed.reason}; {later}" if filed.reason else later
        return out

    def _collect(self, app: App) -> None:
        """Record what the lanes made, here, by the one worker that writes the registry
        and the folders."""
        for lane in self._lanes.values():
            job = lane.job
            for work, made in lane.finished():
                if isinstance(made, Exception) and registry_failure(made) is not None:
                    raise made  # a lane's registry failed: the service stops
                try:
                    done = job.done(app, work, made, self.now())
                except Exception as exc:
                    if registry_failure(exc) is not None:
                        raise
                    what = str(work) or type(job).__name__
                    self._report(
                        FileResult(
                            what,
                            Outcome.IGNORED,
                            reason=_("{error}; tried again later").format(error=exc),
                        ),
                        logging.WARNING,
                    )
                    continue
                self._say_all(done.alone())
                if done.changed:
                    trigger = Trigger(When.CHANGED, self.now(), cases=done.changed)
                    self._say_all(self._after(app, trigger))

    def _file_for_desk(self, app: App) -> None:
        """File the packets `closedloop packet` had built; their pages follow."""

        def then(case_id: str) -> None:
            self._say_all(self._after(app, Trigger(When.CHANGED, self.now(), cases=(case_id,))))

        self.desk.file_waiting(app, then)

    def _say_all(self, results: list[FileResult]) -> None:
        for result in results:
            quiet = result.outcome in (
                Outcome.FILED,
                Outcome.SEALED,
                Outcome.REPORTED,
                Outcome.MAILED,
            )
            self._report(result, logging.INFO if quiet else logging.WARNING)

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

    def _process(self, app: App, paths: list[Path], probe: RegistryProbe) -> bool:
        """File entries as one batch, then run what each filing calls for; whether any
        issued forms."""
        present = []
        for path in paths:
            if os.path.lexists(path):  # a dangling link is still an entry to handle
                present.append(path)
            else:
                self._backoff.succeeded(path)  # gone: nothing left to try
        if not present:
            return False
        now = self.now()
        results = app.file_all(present, now)
        if any(r.retry for r in results):
            # A file's failure or the registry's? Every file would fail on a broken
            # registry: stop rather than retry them all (RegistryFailed ends the loop).
            probe.check(app.registry.schema_version)
        for path, result in zip(present, results, strict=True):
            self._said(app, path, result, now)
        if any(r.outcome is Outcome.FILED for r in results):
            # Written where the share's writers cannot reach (this log, the digest), the
            # head lets `verify --anchor` prove later that nothing up to it was changed.
            seq, head = app.registry.chain_head()
            _say(
                logging.INFO,
                _("archive chain: event {seq}, head {head}").format(seq=seq, head=head),
            )
        return any(r.issued for r in results)

    def _said(self, app: App, path: Path, result: FileResult, now: datetime) -> None:
        """A filing's after-effects, and what it came to said."""
        self.processed += 1
        after: list[FileResult] = []
        if result.outcome is Outcome.FILED and result.cases:
            after = self._after(app, Trigger(When.FILED, now, result, result.cases))
        level = logging.WARNING if result.outcome is Outcome.REFUSED else logging.INFO
        retry = ""
        if result.retry:
            delay = self._backoff.failed(path, self.clock())
            level = logging.WARNING
            retry = _("; trying again in {seconds} s (try {count})").format(
                seconds=f"{delay:g}", count=self._backoff.tries(path)
            )
        else:
            self._backoff.succeeded(path)
        self._report(result, level, retry)
        self._say_all(after)

    def _report(self, result: FileResult, level: int = logging.INFO, retry: str = "") -> None:
        case = f" ({result.case_id})" if result.case_id else ""
        what = f"{outcome_words(result.outcome)} {result.file}{case}"
        _say(level, _("{what}: {reason}").format(what=what, reason=f"{result.reason or ''}{retry}"))
        if self.on_result is not None:
            self.on_result(result)
