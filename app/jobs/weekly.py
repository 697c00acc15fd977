"""Once a week is over, its report is written (once) into Reports/ (when `[reports] weekly`
is on). Once: a report already there under its name in another language (the folder's
language changed since) is that week's report."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from app.jobs.base import Done, Job, Trigger, When
from app.results import FileResult, Outcome
from language import _
from reports.figures import Span
from reports.names import report_found
from reports.report import weekly_name, weekly_report, write_report

if TYPE_CHECKING:
    from app.application import App


class WeeklyReportJob(Job[Span, list[Path]]):
    def todo(self, app: App, trigger: Trigger) -> Sequence[Span]:
        if trigger.when is not When.LOOK:
            return []
        week = Span.week_of(trigger.now.date() - timedelta(days=7))
        if report_found(app.folder.reports, "weekly", week.label) is not None:
            return []
        first = app.registry.first_opened()
        if first is None or first >= week.end:
            return []  # nothing had happened yet: a new folder gets no empty report
        return [week]

    def do(self, app: App, work: Span, now: datetime) -> list[Path]:
        s = app.settings
        report = weekly_report(app.registry, s.policy, work, now, s.company_name, s.currency)
        return write_report(app.folder.reports, report)

    def done(self, app: App, work: Span, made: list[Path] | Exception, now: datetime) -> Done:
        if isinstance(made, OSError):  # a report is not worth stopping the filing for
            reports = app.folder.reports.relative_to(app.folder.root)
            result = FileResult(
                (reports / f"{weekly_name(work)}.xlsx").as_posix(),
                Outcome.IGNORED,
                reason=_(
                    "the weekly report could not be written ({why}); it is tried again at the "
                    "next pass"
                ).format(why=made),
            )
        elif isinstance(made, Exception):
            raise made
        else:
            result = FileResult(
                str(made[0].relative_to(app.folder.root)),
                Outcome.REPORTED,
                reason=_("{week} is over: its report is written").format(week=work.label),
            )
        return Done(results=[result])
