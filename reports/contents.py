"""What a weekly or quarterly report says, the same in its workbook and on its page: the
figures it counts over, its headline, and its breakdowns with cumulative shares.

A weekly report counts its headline over the week and its charts over the 13 weeks that
end with it (a single week is too few complaints for a Pareto); a quarterly report counts
both over the quarter.

On a registry several sites share, a report is the group's, with a table by site.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple, TypeVar

from filing.policy import Policy
from filing.registry import Registry
from language import N_, _
from reports.figures import (
    CaseCost,
    Count,
    Figures,
    OpenCase,
    Repeat,
    SiteCount,
    Span,
    figures,
    trend_span,
)
from reports.names import report_name

# A deadline's state and its colour, in the order the workbook's chart and the page stack them.
STATE_COLOURS = {
    "met": "2E7D32",
    "late": "F9A825",
    "missed": "6D4C41",
    "overdue": "C62828",
    "open": "9E9E9E",
}

# What each state is called in a column head and a legend (English: the ids, capitalised).
STATE_LABELS = {
    "met": N_("Met"),
    "late": N_("Late"),
    "missed": N_("Missed"),
    "overdue": N_("Overdue"),
    "open": N_("Open"),
}

# A deadline in a chart's or a sheet's row, and in the mail: English has always shown the
# short names `status --json` gives, so a list can be checked against the statuses; another
# language shows the words the case pages use.
DEADLINE_LABELS = {
    "confirm": N_("confirm"),
    "containment": N_("containment"),
    "actions": N_("actions"),
    "close": N_("close"),
}


def state_label(state: str) -> str:
    """A deadline's state as a column head: `Met`, `按期完成`."""
    return _(STATE_LABELS[state]) if state in STATE_LABELS else state


def deadline_label(name: str) -> str:
    """A deadline in the language in use: `confirm`, `向客户确认`."""
    return _(DEADLINE_LABELS[name]) if name in DEADLINE_LABELS else name


def deadline_list(names: list[str]) -> str:
    """Deadlines one after another: `confirm, actions`, `向客户确认、改善措施完成`."""
    return _(", ").join(deadline_label(n) for n in names)


@dataclass(frozen=True)
class Report:
    kind: str  # weekly | quarterly
    name: str  # the file name without extension: "2026-W47 Weekly Report", "2026-W47 周报"
    title: str
    company: str
    main: Figures  # the week or the quarter: the headline
    trend: Figures  # what the charts and lists count over
    written: datetime
    refused: int = 0  # refused files waiting in Quarantine at the end of the span
    currency: str = "CNY"  # of the deductions: the site's ([company] currency)
    archive: str = "Archive"  # the Archive folder's name ([folders] archive): the page links it
    # This folder's site on a registry several share ("" on its own): only its cases have
    # pages in this folder's Archive, so only they are linked.
    site: str = ""
    rows: int = 50  # the rows of each list ([reports] listed: Policy.report_rows)

    @property
    def shared(self) -> bool:
        """Whether the report is a group's, counted over every site's cases."""
        return bool(self.main.by_site)

    @property
    def sites(self) -> list[str]:
        return [s.site for s in self.main.by_site]

    def open_listed(self) -> tuple[list[OpenCase], int]:
        """The open cases the report lists, the most urgent (most deadlines passed, then
        the nearest due) kept in their order, and how many more there are."""
        return _most(self.main.open_cases, self.rows, _urgency)

    def repeats_listed(self) -> tuple[list[Repeat], int]:
        return _most(self.trend.repeats, self.rows, lambda r: -r.opened.timestamp())

    def costs_listed(self) -> tuple[list[CaseCost], int]:
        return _most(self.trend.costs, self.rows, lambda c: -(c.deduction + c.working_hours))

    @property
    def weekly(self) -> bool:
        return self.kind == "weekly"

    @property
    def main_label(self) -> str:
        return _("this week") if self.weekly else self.main.span.label

    @property
    def trend_label(self) -> str:
        if not self.weekly:
            return self.trend.span.label
        return _("{count} weeks").format(count=len(self.trend.weeks))


def weekly_name(week: Span) -> str:
    """The weekly report's name in the language in use (reports.names finds it in any)."""
    return report_name("weekly", week.label)


def weekly_report(
    registry: Registry,
    policy: Policy,
    week: Span,
    now: datetime,
    company: str,
    currency: str = "CNY",
) -> Report:
    main = figures(registry, policy, week, now)
    trend = figures(registry, policy, trend_span(week), now)
    return Report(
        "weekly",
        weekly_name(week),
        _("Customer complaints, week {week}").format(week=week.label),
        company,
        main,
        trend,
        now,
        registry.quarantined_waiting_at(min(week.end, now)),
        currency,
        policy.folders.archive,
        _own_site(registry),
        policy.report_rows,
    )


def quarterly_report(
    registry: Registry,
    policy: Policy,
    year: int,
    q: int,
    now: datetime,
    company: str,
    currency: str = "CNY",
) -> Report:
    quarter = Span.quarter(year, q)
    main = figures(registry, policy, quarter, now)
    return Report(
        "quarterly",
        report_name("quarterly", quarter.label),
        _("Customer complaints, quarter {quarter}").format(quarter=quarter.label),
        company,
        main,
        main,
        now,
        registry.quarantined_waiting_at(min(quarter.end, now)),
        currency,
        policy.folders.archive,
        _own_site(registry),
        policy.report_rows,
    )


T = TypeVar("T")


def _most(rows: list[T], limit: int, key: Callable[[T], Any]) -> tuple[list[T], int]:
    """The `limit` first of `rows` by `key`, in their own order, and how many are left."""
    if len(rows) <= limit:
        return rows, 0
    chosen = {id(r) for r in sorted(rows, key=key)[:limit]}
    return [r for r in rows if id(r) in chosen], len(rows) - limit


def _urgency(case: OpenCase) -> tuple[int, float]:
    due = case.next_due.timestamp() if case.next_due is not None else float("inf")
    return (-len(case.overdue), due)


def more_words(more: int, rows: int) -> str:
    """What a bounded list of a report says of the rows it leaves out."""
    return _(
        "… and {count} more, not listed: each list shows {rows} rows ([reports] listed in "
        "the settings)"
    ).format(count=more, rows=rows)


def _own_site(registry: Registry) -> str:
    return registry.site if registry.url else ""


class Figure(NamedTuple):
    """A number at the top of a report: what it counts, and whether it is money (shown with
    the currency, two decimals, as the packet shows an amount)."""

    label: str
    value: int | Decimal
    money: bool = False


def headline(report: Report) -> list[Figure]:
    """The numbers at the top of both the workbook and the page."""
    main, trend = report.main, report.trend
    period, span = report.main_label, report.trend_label
    rows = [
        (_("Opened {period}").format(period=period), main.opened),
        (_("Closed {period}").format(period=period), main.closed),
        (_("Open at the end"), main.open_at_end),
        (_("Overdue at the end"), main.overdue_at_end),
        (_("Refused, waiting at the end"), report.refused),
        (_("Repeats {period}").format(period=period), main.repeats_opened),
    ]
    if report.weekly:
        rows += [
            (_("Opened, {span}").format(span=span), trend.opened),
            (_("Closed, {span}").format(span=span), trend.closed),
        ]
    deductions = _("Deductions ({currency}), {span}").format(currency=report.currency, span=span)
    return [
        *(Figure(label, value) for label, value in rows),
        Figure(deductions, trend.deductions, money=True),
        Figure(_("Working hours, {span}").format(span=span), trend.working_hours),
    ]


def breakdown_rows(report: Report, counts: Callable[[Figures], list[Count]]) -> list[list[Any]]:
    """Label, count over the trend, cumulative share, and (weekly) the week's count."""
    week = {c.label: c.count for c in counts(report.main)}
    return [
        [c.label, c.count, c.cumulative_share] + ([week.get(c.label, 0)] if report.weekly else [])
        for c in counts(report.trend)
    ]


def site_table(report: Report) -> tuple[list[str], list[list[Any]]]:
    """The head and rows of a group's table by site: each site's share of the headline,
    its money counted over the same span as the headline's."""
    period, span = report.main_label, report.trend_label
    head = [
        _("Site"),
        _("Opened {period}").format(period=period),
        _("Closed {period}").format(period=period),
        _("Open at the end"),
        _("Overdue at the end"),
        _("Repeats {period}").format(period=period),
        _("Deductions ({currency}), {span}").format(currency=report.currency, span=span),
        _("Working hours, {span}").format(span=span),
    ]
    money = {s.site: s for s in report.trend.by_site}
    rows = []
    for s in report.main.by_site:
        costs = money.get(s.site, SiteCount(s.site))
        rows.append(
            [
                s.site,
                s.opened,
                s.closed,
                s.open_at_end,
                s.overdue_at_end,
                s.repeats_opened,
                costs.deductions,
                costs.working_hours,
            ]
        )
    return head, rows
