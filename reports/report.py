"""The weekly meeting's report and the quarter's, as a workbook with native Excel charts and
as an HTML page, written into `Reports/` (the quarter's also into its sealed folder).

The numbers come from `reports.figures`; this module only lays them out. A weekly report
counts its headline over the week and its charts over the 13 weeks that end with it (a
single week is too few complaints for a Pareto); a quarterly report counts both over the
quarter.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from filing.policy import Policy
from filing.registry import Registry
from forms.atomicfile import atomic_write_bytes
from forms.xlsx_writer import set_text
from reports.figures import DEADLINE_STATES, Count, Figures, Span, figures, trend_span
from templates import render

REPORTS_INDEX = "index.html"
CHART_TOP = 8  # the row the first chart is anchored at, below the headline
CHART_ROWS = 18  # rows a chart takes, with a gap
TOP = 10  # customers and products charted (the sheets list all)
STATE_COLOURS = {
    "met": "2E7D32",
    "late": "F9A825",
    "missed": "6D4C41",
    "overdue": "C62828",
    "open": "9E9E9E",
}
BOLD = Font(bold=True)
HEAD_FILL = PatternFill("solid", fgColor="DDE4EE")


@dataclass(frozen=True)
class Report:
    kind: str  # weekly | quarterly
    name: str  # the file name without extension: "2026-W47 Weekly Report"
    title: str
    company: str
    main: Figures  # the week or the quarter: the headline
    trend: Figures  # what the charts and lists count over
    written: datetime

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
    registry: Registry, policy: Policy, week: Span, now: datetime, company: str
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
    )


def quarterly_report(
    registry: Registry, policy: Policy, year: int, q: int, now: datetime, company: str
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
    )


def write_report(reports: Path, report: Report) -> list[Path]:
    """Write the workbook and the page, and list them in `Reports/index.html`."""
    reports.mkdir(parents=True, exist_ok=True)
    xlsx = reports / f"{report.name}.xlsx"
    html = reports / f"{report.name}.html"
    atomic_write_bytes(xlsx, workbook_bytes(report))
    atomic_write_bytes(html, html_bytes(report))
    write_reports_index(reports, report.written)
    return [xlsx, html]


def write_reports_index(reports: Path, now: datetime) -> None:
    pages = sorted((p for p in reports.glob("* Report.html")), key=lambda p: p.name, reverse=True)
    listed = [
        {
            "name": p.stem,
            "href": quote(p.name),
            "xlsx": quote(p.with_suffix(".xlsx").name) if p.with_suffix(".xlsx").exists() else "",
        }
        for p in pages
    ]
    text = render(
        "report_index.html", reports=listed, written=now.isoformat(sep=" ", timespec="minutes")
    )
    atomic_write_bytes(reports / REPORTS_INDEX, text.encode("utf-8"))


# -- the workbook ---------------------------------------------------------------------------


def workbook_bytes(report: Report) -> bytes:
    wb = Workbook()
    charts: Worksheet = wb.worksheets[0]
    charts.title = "Charts"
    _headline(charts, report)
    sheets = _data_sheets(wb, report)
    anchors = [f"{col}{CHART_TOP + CHART_ROWS * (i // 2)}" for i, col in enumerate(["A", "G"] * 3)]
    made = [
        make(sheets)
        for make in (_pareto, _weeks_chart, _customers, _deadlines_chart, _products, _hours)
    ]
    for chart, anchor in zip((c for c in made if c is not None), anchors, strict=False):
        charts.add_chart(chart, anchor)
    # Charts are not cells: without a print area a printout stops at the last filled column.
    charts.print_area = f"A1:N{CHART_TOP + CHART_ROWS * 3}"
    charts.page_setup.orientation = "landscape"
    charts.page_setup.fitToWidth = 1
    charts.page_setup.fitToHeight = 1
    charts.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    # The workbook is "created" at the moment it describes, not at the time of writing.
    wb.properties.created = report.main.as_of
    wb.properties.creator = "closedloop"
    wb.properties.title = report.title
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _headline(ws: Worksheet, report: Report) -> None:
    set_text(ws["A1"], f"{report.company} · {report.title}" if report.company else report.title)
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = (
        f"As of {report.main.as_of:%Y-%m-%d %H:%M}; charts count "
        f"{report.trend.span.label}. Written {report.written:%Y-%m-%d %H:%M}."
    )
    for col, (label, value) in enumerate(headline(report), start=1):
        head = ws.cell(row=4, column=col, value=label)
        head.font = BOLD
        head.fill = HEAD_FILL
        head.alignment = Alignment(wrap_text=True, vertical="top")
        ws.cell(row=5, column=col, value=value).font = Font(bold=True, size=13)
        ws.column_dimensions[get_column_letter(col)].width = 13
    ws.row_dimensions[4].height = 46


def headline(report: Report) -> list[tuple[str, int | Decimal]]:
    """The numbers at the top of both the workbook and the page."""
    main, trend = report.main, report.trend
    rows: list[tuple[str, int | Decimal]] = [
        (f"Opened {report.main_label}", main.opened),
        (f"Closed {report.main_label}", main.closed),
        ("Open at the end", main.open_at_end),
        ("Overdue at the end", main.overdue_at_end),
        (f"Repeats {report.main_label}", main.repeats_opened),
    ]
    if report.weekly:
        rows += [
            (f"Opened, {report.trend_label}", trend.opened),
            (f"Closed, {report.trend_label}", trend.closed),
        ]
    rows += [
        (f"Deductions, {report.trend_label}", trend.deductions),
        (f"Working hours, {report.trend_label}", trend.working_hours),
    ]
    return rows


@dataclass
class _Sheets:
    by_category: tuple[Worksheet, int]  # (sheet, rows of data)
    by_customer: tuple[Worksheet, int]
    by_product: tuple[Worksheet, int]
    weeks: tuple[Worksheet, int]
    deadlines: tuple[Worksheet, int]
    costs: tuple[Worksheet, int] | None = None


def list_sheet(
    wb: Workbook, title: str, head: Sequence[str], rows: Sequence[Sequence[Any]], widths: list[int]
) -> tuple[Worksheet, int]:
    """A sheet of `rows` under a bold heading: widths, frozen heading, filter buttons,
    times as dates, and text that stays text. Returns it with its number of rows."""
    ws = wb.create_sheet(title)
    ws.append(list(head))
    for cell in ws[1]:
        cell.font = BOLD
        cell.fill = HEAD_FILL
    for row in rows:
        ws.append(list(row))
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    if rows:  # filter buttons on the heading, as a list people sort and filter
        ws.auto_filter.ref = ws.dimensions
    for row_cells in ws.iter_rows(min_row=2):
        for cell in row_cells:
            if isinstance(cell.value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(cell.value, str):
                set_text(cell, cell.value)  # a customer named "=HYPERLINK(..." stays a name
    return ws, len(rows)


def breakdown_rows(report: Report, counts: Callable[[Figures], list[Count]]) -> list[list[Any]]:
    """Label, count over the trend, cumulative share, and (weekly) the week's count."""
    week = {c.label: c.count for c in counts(report.main)}
    return [
        [c.label, c.count, c.cumulative_share] + ([week.get(c.label, 0)] if report.weekly else [])
        for c in counts(report.trend)
    ]


def _breakdown(
    wb: Workbook, report: Report, title: str, what: str, counts: Callable[[Figures], list[Count]]
) -> tuple[Worksheet, int]:
    head = [what, f"Complaints, {report.trend_label}", "Cumulative share"]
    if report.weekly:
        head.append("This week")
    ws, n = list_sheet(wb, title, head, breakdown_rows(report, counts), [34, 18, 16, 12])
    for row in ws.iter_rows(min_row=2, min_col=3, max_col=3):
        row[0].number_format = "0%"
    return ws, n


def _data_sheets(wb: Workbook, report: Report) -> _Sheets:
    trend = report.trend
    sheets = _Sheets(
        _breakdown(wb, report, "By category", "Category", lambda f: f.by_category),
        _breakdown(wb, report, "By customer", "Customer", lambda f: f.by_customer),
        _breakdown(wb, report, "By product", "Product / model", lambda f: f.by_product),
        list_sheet(
            wb,
            "By week",
            ["Week", "Opened", "Closed"],
            [[w.week, w.opened, w.closed] for w in trend.weeks],
            [12, 10, 10],
        ),
        list_sheet(
            wb,
            "Deadlines",
            ["Deadline", *(state.capitalize() for state in DEADLINE_STATES)],
            [[d.name, *(getattr(d, state) for state in DEADLINE_STATES)] for d in trend.deadlines],
            [14, 8, 8, 8, 10, 8],
        ),
    )
    list_sheet(
        wb,
        "Open cases",
        [
            "Case",
            "Customer",
            "Product",
            "Category",
            "Department",
            "Owner",
            "Opened",
            "Days open",
            "Overdue",
            "Next due",
        ],
        [
            [
                c.case_id,
                c.customer,
                c.product,
                c.category,
                c.department,
                c.owner,
                c.opened,
                c.days_open,
                ", ".join(c.overdue),
                c.next_due,
            ]
            for c in report.main.open_cases
        ],
        [15, 24, 14, 22, 22, 18, 17, 10, 20, 17],
    )
    list_sheet(
        wb,
        "Repeats",
        ["Case", "Customer", "Product", "Category", "Opened", "Repeats"],
        [
            [r.case_id, r.customer, r.product, r.category, r.opened, ", ".join(r.repeats)]
            for r in trend.repeats
        ],
        [15, 24, 14, 22, 17, 40],
    )
    list_sheet(
        wb,
        "Costs",
        [
            "Case",
            "Customer",
            "Responsible department",
            "Deductions",
            "Working hours",
            "Hours to",
            "CAPA filed",
        ],
        [
            [
                c.case_id,
                c.customer,
                c.responsible_department,
                c.deduction,
                c.working_hours,
                c.hours_to,
                c.filed,
            ]
            for c in trend.costs
        ],
        [15, 24, 24, 12, 14, 24, 17],
    )
    sheets.costs = list_sheet(
        wb,
        "Costs by department",
        ["Department", "Deductions charged", "Working hours transferred", "Cases"],
        [[d.department, d.deductions, d.working_hours, d.cases] for d in trend.costs_by_department],
        [26, 18, 24, 8],
    )
    return sheets


def _whole_steps(
    chart: BarChart, ws: Worksheet, cols: range, rows: int, stacked: bool = False
) -> None:
    """Counts are whole numbers: ticks at whole steps, about eight of them at most."""
    tops = [
        sum(values) if stacked else max(values, default=0)
        for values in (
            [v for v in row if isinstance(v, int)]
            for row in ws.iter_rows(
                min_row=2,
                max_row=rows + 1,
                min_col=cols.start,
                max_col=cols.stop - 1,
                values_only=True,
            )
        )
    ]
    chart.y_axis.majorUnit = max(1, math.ceil(max(tops, default=0) / 8))
    chart.y_axis.number_format = "0"


def _bars(
    table: tuple[Worksheet, int],
    title: str,
    columns: range,
    across: bool = False,
    rows: int | None = None,
    stacked: bool = False,
    legend: bool = True,
    counts: bool = True,
) -> BarChart | None:
    """A bar chart of `columns` of a sheet written by `list_sheet`, its first column the
    categories; `across`: horizontal bars, the first row on top. None for an empty sheet."""
    ws, n = table
    if not n:
        return None
    n = min(n, rows or n)
    chart = BarChart()
    chart.width, chart.height = 15, 8.5  # cm
    chart.x_axis.delete = False  # openpyxl 3.1 hides axes unless told
    chart.y_axis.delete = False
    chart.type = "bar" if across else "col"
    chart.title = title
    chart.add_data(
        Reference(ws, min_col=columns.start, max_col=columns.stop - 1, min_row=1, max_row=n + 1),
        titles_from_data=True,
    )
    chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=n + 1))
    if across:
        chart.x_axis.scaling.orientation = "maxMin"  # the first row, the largest, on top
    if stacked:
        chart.grouping = "stacked"
        chart.overlap = 100
    if legend:
        chart.legend.position = "b"
    else:
        chart.legend = None
    if counts:
        _whole_steps(chart, ws, columns, n, stacked)
    return chart


def _pareto(s: _Sheets) -> BarChart | None:
    bars = _bars(s.by_category, "Complaints by category (Pareto)", range(2, 3))
    if bars is None:
        return None
    ws, n = s.by_category
    bars.y_axis.title = "Complaints"
    line = LineChart()
    line.add_data(Reference(ws, min_col=3, min_row=1, max_row=n + 1), titles_from_data=True)
    line.y_axis.axId = 200  # a second axis, on the right: the cumulative share
    line.y_axis.title = "Cumulative share"
    line.y_axis.number_format = "0%"
    line.y_axis.scaling.min = 0
    line.y_axis.scaling.max = 1
    line.y_axis.crosses = "max"
    line.y_axis.delete = False
    bars += line
    return bars


def _customers(s: _Sheets) -> BarChart | None:
    title = f"Complaints by customer (top {TOP})"
    return _bars(s.by_customer, title, range(2, 3), across=True, rows=TOP, legend=False)


def _products(s: _Sheets) -> BarChart | None:
    title = f"Complaints by product (top {TOP})"
    return _bars(s.by_product, title, range(2, 3), across=True, rows=TOP, legend=False)


def _hours(s: _Sheets) -> BarChart | None:
    assert s.costs is not None
    title = "Working hours transferred, by department"
    return _bars(s.costs, title, range(3, 4), across=True, legend=False, counts=False)


def _weeks_chart(s: _Sheets) -> BarChart | None:
    return _bars(s.weeks, "Opened and closed per week", range(2, 4))


def _deadlines_chart(s: _Sheets) -> BarChart | None:
    title = "Deadlines falling due: " + ", ".join(DEADLINE_STATES)
    chart = _bars(s.deadlines, title, range(2, 2 + len(DEADLINE_STATES)), across=True, stacked=True)
    if chart is not None:
        for series, colour in zip(chart.series, STATE_COLOURS.values(), strict=True):
            series.graphicalProperties = GraphicalProperties(solidFill=colour)
    return chart


# -- the page -------------------------------------------------------------------------------


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
    top_week = max((max(w.opened, w.closed) for w in trend.weeks), default=0) or 1
    deadlines = []
    for d in trend.deadlines:
        total = sum(getattr(d, state) for state in DEADLINE_STATES)
        deadlines.append(
            {
                "name": d.name,
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
    text = render(
        "report.html",
        report=report,
        headline=[(label, _number(v)) for label, v in headline(report)],
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
        colours=STATE_COLOURS,
        open_cases=report.main.open_cases,
        repeats=trend.repeats,
        costs=trend.costs,
        costs_by_department=trend.costs_by_department,
        number=_number,
        when=lambda d: d.strftime("%Y-%m-%d %H:%M") if d else "",
    )
    return text.encode("utf-8")


def _number(value: int | Decimal) -> str:
    if isinstance(value, Decimal):
        return f"{value:,.2f}".rstrip("0").rstrip(".") if value % 1 else f"{value:,.0f}"
    return f"{value:,}"
