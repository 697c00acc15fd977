"""The application: one shared folder (its settings, its folders, its registry), used by
every command, by `ingest` and by `watch`.

`file(path)` files one Inbox entry; the after-effects of filings (auditor pages, the
closure packet, the quarter seal, the weekly report, mail) are the jobs of app/jobs,
which `after()` runs in line and the service moves onto threads. Opening an App creates
nothing: a folder that is not laid out is refused.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar, cast

from app.faults import inbox_waits, registry_failure
from app.folder import SharedFolder
from app.instance import InstanceLock
from app.intake.desk import Desk, Limits
from app.intake.entry import take
from app.intake.inbox import inbox_files
from app.jobs import after_effects
from app.jobs.base import AnyJob, Trigger, When
from app.opening import open_registry, refuse_links
from app.results import FileResult, Outcome
from app.settings import Settings, load_settings
from archive.auditor import AuditorPages
from archive.group_index import GroupIndex
from archive.journal import Batch, JournalError, batch, recover
from archive.packet import Renderer
from filing.calendar import WorkingCalendar
from filing.engine import Engine, IssuedForm
from filing.records import Quarantined
from filing.registry import DiskFull, Registry, RegistryUnreachable
from forms.isolated import IsolatedReader
from forms.shown import shown
from language import _
from mail.compose import queue_issued
from mail.refusal import queue_refusal

_Method = TypeVar("_Method", bound=Callable[..., Any])

#: Inbox entries filed in one transaction at most (archive/journal.py's batch): enough that
#: a backlog's flushes are shared by many, few enough that a batch holds the registry for
#: well under a second and a failure of the whole batch sends few back to wait.
BATCH = 16


def speaking(method: _Method) -> _Method:
    """What `method` says (notes, mail, pages, reasons) is in the folder's language."""

    @functools.wraps(method)
    def said(self: App, *args: Any, **kwargs: Any) -> Any:
        with self.settings.speaking():
            return method(self, *args, **kwargs)

    return cast(_Method, said)


class App:
    """One shared folder. Holds a registry connection: use it from one thread."""

    def __init__(
        self,
        folder: SharedFolder,
        settings: Settings,
        registry: Registry,
        *,
        isolated: bool = True,
        mail_every: float = 30.0,
    ) -> None:
        self.folder = folder
        self.settings = settings
        self.registry = registry
        self.pages = AuditorPages(folder.archive, registry, settings.policy)
        self.group_index = GroupIndex(self.pages)  # looked at on a registry sites share
        # Made once: a calendar costs milliseconds to make.
        self.calendar: WorkingCalendar = self.pages.calendar
        self.renderer = Renderer(folder.state / "libreoffice")
        self.jobs: list[AnyJob] = after_effects(settings, mail_every)
        # Plans that cannot be finished now (a full disk): reported, never a stop.
        self.jammed: list[str] = []
        # One reading process for the whole run: it starts at the first form (an empty
        # Inbox costs nothing) and is reused, so a form costs a fraction of a ms more.
        self.reading = IsolatedReader() if isolated else None
        limits = Limits(
            evidence_bytes=settings.inbox.max_evidence_bytes,
            isolated=isolated,
            reader=self.reading.read if self.reading is not None else None,
        )
        self.desk = Desk(
            folder,
            registry,
            Engine(registry, settings.policy),
            settings.company_name,
            limits,
            self._queue_mail if settings.mail.enabled else None,
            self._queue_refusal_mail if settings.mail.enabled else None,
            settings.languages,
        )

    @classmethod
    def open(
        cls,
        root: Path,
        settings: Settings | None = None,
        *,
        isolated: bool = True,
        mail_every: float = 30.0,
    ) -> App:
        """The shared folder at `root`, laid out (NotASharedFolder if not: nothing is
        created), with no folder it writes into made a link (LinkedFolder), and its
        registry (never one made anew over an archive)."""
        settings = load_settings(root) if settings is None else settings
        folder = SharedFolder.laid_out(root, settings.policy.folders)
        refuse_links(folder)
        registry = open_registry(folder, settings.registry)
        return cls(folder, settings, registry, isolated=isolated, mail_every=mail_every)

    def close(self) -> None:
        if self.reading is not None:
            self.reading.close()
        self.registry.close()

    def __enter__(self) -> App:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def company(self) -> str:
        return self.settings.company_name

    # -- filing -----------------------------------------------------------------------

    @speaking
    def recover(self) -> int:
        """Finish the filings a stopped run left half put in place; how many."""
        self.jammed = []
        return recover(self.folder.root, self.registry, self.jammed)

    @speaking
    def file(self, path: Path, now: datetime) -> FileResult:
        """File, refuse or leave one Inbox entry; a failure leaves it in the Inbox, reported.
        The after-effects are not run here (see `after`)."""
        return self.file_all([path], now)[0]

    @speaking
    def file_all(self, paths: list[Path], now: datetime) -> list[FileResult]:
        """File, refuse or leave several Inbox entries as one batch (archive/journal.py):
        one transaction and a few flushes for all of them, each entry under a savepoint
        of its own. What stops the whole batch (a full disk, the server away, a flush the
        disk refused before the commit) leaves every entry in the Inbox, reported."""
        # A folder made a link while we run: stop (LinkedFolder) rather than write there.
        refuse_links(self.folder)
        results: list[FileResult] = []
        done: Batch | None = None
        try:
            if self.registry.pending():  # a plan a failed move left: finish it first
                self.recover()
            with batch(self.registry, self.folder.root, now) as done:
                results = [self._file_one(path, now) for path in paths]
            for path, result in zip(paths, results, strict=True):
                if result.outcome is Outcome.FILED and os.path.lexists(path):
                    # Filed all the same; the copy left behind is recognised next time.
                    result.reason = f"{result.reason or ''}" + _(
                        "; the Inbox copy could not be removed"
                    )
        except (DiskFull, RegistryUnreachable, OSError) as exc:
            if done is not None and done.committed:
                # Filed; their files wait for room (or a permission): the next pass puts
                # them in place, and says so until then.
                self.jammed.append(str(exc))
                return results
            # Not the files' fault, nor a broken registry: wait for room, or the server.
            said = str(inbox_waits(exc) if isinstance(exc, RegistryUnreachable) else exc)
            return [
                FileResult(shown(p.name), Outcome.IGNORED, reason=said, retry=True) for p in paths
            ]
        return results

    def _file_one(self, path: Path, now: datetime) -> FileResult:
        """One entry of a batch; what stops the batch is raised."""
        try:
            return take(self.desk, path, now)
        except (DiskFull, RegistryUnreachable, JournalError):
            # The batch's transaction is lost with them (SQLite rolls back by itself on a
            # full disk), or a plan in the registry leads outside the folder (edited by
            # hand): nothing more of the batch is filed.
            raise
        except Exception as exc:  # one file must not stop the others; it stays put
            if registry_failure(exc) is not None:
                raise  # the registry itself failed: no file can be filed, the run stops
            return FileResult(
                shown(path.name),
                Outcome.IGNORED,
                reason=_(
                    "closedloop failed on this file ({error}); it stays in the Inbox and will be "
                    "tried again"
                ).format(error=f"{type(exc).__name__}: {exc}"),
                retry=True,
            )

    @speaking
    def jammed_results(self) -> list[FileResult]:
        """Filings committed whose files could not all be put in place yet (a full disk,
        a permission): said, and tried again at the next pass."""
        return [
            FileResult(
                ".closedloop/staging",
                Outcome.IGNORED,
                reason=_(
                    "a filing's files could not be put in place ({why}); they are tried again at "
                    "the next pass (`closedloop doctor` shows it)"
                ).format(why=why),
            )
            for why in self.jammed
        ]

    def _queue_mail(self, item: IssuedForm, copy: str, now: datetime) -> None:
        """An issued form's e-mail, queued inside its filing's transaction."""
        s = self.settings
        queue_issued(self.registry, s.mail, s.policy, self.calendar, item, copy, now)

    def _queue_refusal_mail(self, item: Quarantined, fix: str) -> None:
        """A refusal's e-mail, queued inside the refusal's transaction."""
        s = self.settings
        queue_refusal(self.registry, s.mail, item, fix, item.refused_at, s.policy.folders)

    # -- after-effects ----------------------------------------------------------------

    @speaking
    def after(self, trigger: Trigger, jobs: list[AnyJob] | None = None) -> list[FileResult]:
        """Run the jobs (all of them, or `jobs`) on `trigger`, in line and in order. What a
        job says about the filing that caused it is added to that filing's reason; the
        rest comes back as results."""
        # Pages, To do lists and reports are written at each look too, while no file is
        # filed: a folder made a link meanwhile stops the run here as it would a filing.
        refuse_links(self.folder)
        out: list[FileResult] = []
        cases = list(trigger.cases)
        for job in self.jobs if jobs is None else jobs:
            for work in job.todo(self, dataclasses.replace(trigger, cases=tuple(cases))):
                try:
                    made = job.do(self, work, trigger.now)
                except Exception as exc:
                    if registry_failure(exc) is not None:
                        raise
                    made = exc
                done = job.done(self, work, made, trigger.now)
                cases += [c for c in done.changed if c not in cases]
                if done.note is not None and trigger.filed is not None:
                    filed = trigger.filed
                    filed.reason = f"{filed.reason}; {done.note}" if filed.reason else done.note
                    out += done.results
                else:
                    out += done.alone()
        return out

    @speaking
    def ingest(self, now: datetime) -> list[FileResult]:
        """One pass over the Inbox, every after-effect in line; refused (AlreadyWatched)
        while a `watch` runs on the folder."""
        with InstanceLock(self.folder.state, "closedloop ingest"):
            self.recover()
            results = self.after(Trigger(When.START, now))
            entries = inbox_files(self.folder)
            while chunk := list(itertools.islice(entries, BATCH)):
                for result in self.file_all(chunk, now):
                    results.append(result)
                    if result.outcome is Outcome.FILED and result.cases:
                        results += self.after(Trigger(When.FILED, now, result, result.cases))
            results += self.jammed_results()
            results += self.after(Trigger(When.LOOK, now))
            return results


def ingest(root: Path, settings: Settings | None, now: datetime) -> list[FileResult]:
    """Open the shared folder at `root` and make one pass over its Inbox."""
    with App.open(root, settings) as app:
        return app.ingest(now)
