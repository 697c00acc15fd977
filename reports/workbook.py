"""A report as an Excel workbook: the headline and the charts on the first sheet, and a
sheet for each list the charts are drawn from (people sort and filter them)."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from forms.xlsx_writer import set_text
from reports.charts import CHARTS, Sheets
from reports.contents import Report, breakdown_rows, headline
from reports.figures import DEADLINE_STATES, Count, Figures

CHART_TOP = 8  # the row the first chart is anchored at, below the headline
CHART_ROWS = 18  # rows a chart takes, with a gap
BOLD = Font(bold=True)
HEAD_FILL = PatternFill("solid", fgColor="DDE4EE")


def workbook_bytes(report: Report) -> bytes:
    wb = Workbook()
    charts: Worksheet = wb.worksheets[0]
    charts.title = "Charts"
    _headline(charts, report)
    sheets = _data_sheets(wb, report)
    anchors = [f"{col}{CHART_TOP + CHART_ROWS * (i // 2)}" for i, col in enumerate(["A", "G"] * 3)]
    made = [make(sheets) for make in CHARTS]
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


def _data_sheets(wb: Workbook, report: Report) -> Sheets:
    trend = report.trend
    sheets = Sheets(
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
