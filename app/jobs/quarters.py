"""At the first look after a quarter ends, its closed cases are sealed into its folder
(when `[archive] close_quarters` is on)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from app.jobs.base import Done, Job, Trigger, When
from app.results import FileResult, Outcome
from archive.errors import ArchiveError
from archive.quarter import Quarter, QuarterClosed, close_quarter, unsealed_quarters
from language import _

if TYPE_CHECKING:
    from app.application import App


class QuarterSealJob(Job[Quarter, QuarterClosed]):
    def __init__(self) -> None:
        self.unsealable: set[Quarter] = set()  # refused this run: said once, tried again next run

    def todo(self, app: App, trigger: Trigger) -> Sequence[Quarter]:
        if trigger.when is not When.LOOK:
            return []
        return unsealed_quarters(app.folder.archive, app.registry, trigger.now)

    def do(self, app: App, work: Quarter, now: datetime) -> QuarterClosed:
        return close_quarter(
            app.folder.archive,
            app.registry,
            work,
            now,
            app.settings.policy,
            app.settings.company_name,
            app.folder.reports,
            app.settings.currency,
        )

    def done(self, app: App, work: Quarter, made: QuarterClosed | Exception, now: datetime) -> Done:
        if isinstance(made, ArchiveError):
            # A quarter that cannot be sealed (a link planted in a case folder) is said
            # once a run; the filing goes on, and the next run tries again.
            if work in self.unsealable:
                return Done()
            self.unsealable.add(work)
            return Done(
                results=[
                    FileResult(
                        work.folder(app.folder.archive, app.settings.policy.folders)
                        .relative_to(app.folder.root)
                        .as_posix(),
                        Outcome.REFUSED,
                        reason=_("{quarter} could not be sealed: {why}").format(
                            quarter=work, why=made
                        ),
                    )
                ]
            )
        if isinstance(made, Exception):
            raise made
        return Done(
            results=[
                FileResult(
                    str(made.folder.relative_to(app.folder.root)),
                    Outcome.SEALED,
                    reason=_("{quarter} is over: {count} closed cases sealed").format(
                        quarter=work, count=len(made.moved)
                    ),
                )
            ],
            changed=tuple(made.moved),  # their documents moved: their pages link anew
        )
