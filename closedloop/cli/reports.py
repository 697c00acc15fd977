"""Weekly and quarterly reports: a workbook with Excel charts and a page, in Reports/."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from app.application import App
from archive.quarter import Quarter
from closedloop.cli.common import errors, now, now_option, opened, root_argument
from closedloop.cli.group import cli
from language import _
from reports.figures import Span
from reports.report import Report, quarterly_report, weekly_report, write_report


@cli.group("report")
def report_group() -> None:
    """Weekly and quarterly reports: a workbook with Excel charts and a page, in Reports/."""


@report_group.command("weekly")
@root_argument
@click.option("--week", metavar="WEEK", help="The ISO week, like 2026-W47 (default: this week).")
@now_option
def report_weekly_cmd(root: Path, week: str | None, clock: str | None) -> None:
    """The weekly meeting's report: the week's numbers, charts over the 13 weeks ending
    with it, open and overdue cases with their owners, repeats and costs."""
    with errors():
        moment = now(clock)
        span = Span.week(week) if week else Span.week_of(moment.date())
        _write_report(
            root,
            lambda app: weekly_report(
                app.registry, app.settings.policy, span, moment, app.company, app.settings.currency
            ),
        )


@report_group.command("quarterly")
@root_argument
@click.option("--quarter", metavar="QUARTER", help="Like 2026Q4 (default: this quarter).")
@now_option
def report_quarterly_cmd(root: Path, quarter: str | None, clock: str | None) -> None:
    """The quarter's report (the quarter close writes it too, into the sealed folder)."""
    with errors():
        moment = now(clock)
        which = Quarter.parse(quarter) if quarter else Quarter.of(moment.date())
        _write_report(
            root,
            lambda app: quarterly_report(
                app.registry,
                app.settings.policy,
                which.year,
                which.q,
                moment,
                app.company,
                app.settings.currency,
            ),
        )


def _write_report(root: Path, make: Callable[[App], Report]) -> None:
    with opened(root) as app:
        report = make(app)
        written = write_report(app.folder.reports, report)
        shown = written[0].relative_to(app.folder.root)
    main = report.main
    click.echo(
        _(
            "Wrote {report} and {page}: {opened} opened, {closed} closed, {open} open "
            "({overdue} overdue) {span}."
        ).format(
            report=shown,
            page=written[1].name,
            opened=main.opened,
            closed=main.closed,
            open=main.open_at_end,
            overdue=main.overdue_at_end,
            span=report.main_label,
        )
    )
