"""What a weekly or quarterly report says, the same in its workbook and on its page: the
figures it counts over, its headline, and its breakdowns with cumulative shares.

A weekly report counts its headline over the week and its charts over the 13 weeks that
end with it (a single week is too few complaints for a Pareto); a quarterly report counts
both over the quarter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from filing.policy import Policy
from filing.registry import Registry
from reports.figures import Count, Figures, Span, figures, trend_span

# A deadline's state and its colour, in the order the workbook's chart and the page stack them.
STATE_COLOURS = {
    "met": "2E7D32",
    "late": "F9A825",
    "missed": "6D4C41",
    "overdue": "C62828",
    "open": "9E9E9E",
}


@dataclass(frozen=True)
class Report:
    kind: str  # weekly | quarterly
    name: str  # the file name without extension: "2026-W47 Weekly Report"
    title: str
    company: str
    main: Figures  # the week or the quarter: the headline
    trend: Figures  # what the charts and lists count over
    written: datetime
    refused: int = 0  # refused files waiting in Quarantine at the end of the span
    currency: str = "CNY"  # of the deductions: the site's ([company] currency)

    @property
    def weekly(self) -> bool:
        return self.kind == "weekly"

    @property
    def main_label(self) -> str:
        return "this week" if self.weekly else self.main.span.label

    @property
    def trend_label(self) -> str:
        return f"{len(self.trend.weeks)} weeks" if self.weekly else self.trend.span.label


def weekly_name(week: Span) -> str:
    return f"{week.label} Weekly Report"


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
        f"Customer complaints, week {week.label}",
        company,
        main,
        trend,
        now,
        registry.quarantined_waiting_at(min(week.end, now)),
        currency,
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
        f"{quarter.label} Quarterly Report",
        f"Customer complaints, quarter {quarter.label}",
        company,
        main,
        main,
        now,
        registry.quarantined_waiting_at(min(quarter.end, now)),
        currency,
    )


def headline(report: Report) -> list[tuple[str, int | Decimal]]:
    """The numbers at the top of both the workbook and the page."""
    main, trend = report.main, report.trend
    rows: list[tuple[str, int | Decimal]] = [
        (f"Opened {report.main_label}", main.opened),
        (f"Closed {report.main_label}", main.closed),
        ("Open at the end", main.open_at_end),
        ("Overdue at the end", main.overdue_at_end),
        ("Refused, waiting at the end", report.refused),
        (f"Repeats {report.main_label}", main.repeats_opened),
    ]
    if report.weekly:
        rows += [
            (f"Opened, {report.trend_label}", trend.opened),
            (f"Closed, {report.trend_label}", trend.closed),
        ]
    rows += [
        (f"Deductions ({report.currency}), {report.trend_label}", trend.deductions),
        (f"Working hours, {report.trend_label}", trend.working_hours),
    ]
    return rows


def breakdown_rows(report: Report, counts: Callable[[Figures], list[Count]]) -> list[list[Any]]:
    """Label, count over the trend, cumulative share, and (weekly) the week's count."""
    week = {c.label: c.count for c in counts(report.main)}
    return [
        [c.label, c.count, c.cumulative_share] + ([week.get(c.label, 0)] if report.weekly else [])
        for c in counts(report.trend)
    ]
