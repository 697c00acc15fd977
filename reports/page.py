"""A report as an HTML page: the headline, bars drawn in CSS and the lists, readable in
any browser with nothing to install (templates/report.html)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from markupsafe import Markup

from filing import words
from language import _, current
from reports.contents import (
    STATE_COLOURS,
    Report,
    breakdown_rows,
    deadline_label,
    deadline_list,
    headline,
    more_words,
    site_table,
    state_label,
)
from reports.figures import DEADLINE_STATES, Count, Figures
from templates import render


def html_bytes(report: Report) -> bytes:
    def bars(counts: Callable[[Figures], list[Count]]) -> list[dict[str, Any]]:
        rows = breakdown_rows(report, counts)
        top = max((r[1] for r in rows), default=0) or 1
        return [
            {
                "label": r[0],
                "count": r[1],
                "share": f"{r[2]:.0%}",
                "week": r[3] if report.weekly else None,
                "width": round(100 * r[1] / top, 1),
            }
            for r in rows
        ]

    trend = report.trend
    open_cases, open_more = report.open_listed()
    repeats, repeats_more = report.repeats_listed()
    costs, costs_more = report.costs_listed()

    def more(count: int) -> str:
        return more_words(count, report.rows) if count else ""

    top_week = max((max(w.opened, w.closed) for w in trend.weeks), default=0) or 1
    deadlines = []
    for d in trend.deadlines:
        total = sum(getattr(d, state) for state in DEADLINE_STATES)
        deadlines.append(
            {
                "name": deadline_label(d.name),
                "total": total,
                "parts": [
                    {
                        "state": state,
                        "n": getattr(d, state),
                        "width": round(100 * getattr(d, state) / total, 1) if total else 0,
                        "colour": colour,
                    }
                    for state, colour in STATE_COLOURS.items()
                ],
            }
        )
    site_head, site_rows = site_table(report)
    text = render(
        "report.html",
        report=report,
        shared=report.shared,
        sites=_(", ").join(report.sites),
        site_head=site_head,
        site_rows=site_rows,
        headline=[
            (
                f.label,
                words.money(Decimal(f.value), report.currency) if f.money else _number(f.value),
            )
            for f in headline(report)
        ],
        categories=bars(lambda f: f.by_category),
        customers=bars(lambda f: f.by_customer),
        products=bars(lambda f: f.by_product),
        weeks=[
            {
                "week": w.week,
                "opened": w.opened,
                "closed": w.closed,
                "opened_h": round(100 * w.opened / top_week, 1),
                "closed_h": round(100 * w.closed / top_week, 1),
            }
            for w in trend.weeks
        ],
        deadlines=deadlines,
        states=[
            {"label": state_label(state), "colour": colour}
            for state, colour in STATE_COLOURS.items()
        ],
        language=current(),
        archive=quote(report.archive),
        open_cases=open_cases,
        open_total=len(report.main.open_cases),
        repeats_total=len(trend.repeats),
        open_more=more(open_more),
        repeats=repeats,
        repeats_more=more(repeats_more),
        costs=costs,
        costs_more=more(costs_more),
        costs_by_department=trend.costs_by_department,
        number=_number,
        currency=report.currency,
        when=words.minute,
        and_more=words.and_more,
        deadlines_in_words=deadline_list,
        # The link is put into a sentence a translator words: made here, escaped here.
        workbook_link=Markup('<a href="{0}.xlsx">{0}.xlsx</a>').format(report.name),
    )
    return text.encode("utf-8")


def _number(value: int | Decimal) -> str:
    if isinstance(value, Decimal):
        return f"{value:,.2f}".rstrip("0").rstrip(".") if value % 1 else f"{value:,.0f}"
    return f"{value:,}"
