"""A report as an Excel workbook: the headline and the charts on the first sheet, and a
sheet for each list the charts are drawn from (people sort and filter them)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from unicodedata import east_asian_width

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from filing.words import and_more
from forms.xlsx_writer import set_text
from language import _, formats
from reports.charts import CHARTS, Sheets
from reports.contents import (
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

CHART_TOP = 8  # the row the first chart is anchored at, below the headline
CHART_ROWS = 18  # rows a chart takes, with a gap
BOLD = Font(bold=True)
HEAD_FILL = PatternFill("solid", fgColor="DDE4EE")
# Excel refuses a sheet name longer than 31 characters or holding any of these.
NOT_IN_SHEET_NAMES = re.compile(r"[\[\]:*?/\\]")
SHEET_NAME_CHARS = 31
# The amount in a text formats.money wrote ("CNY 1.00", "¥1.00", "1,00 €").
_AMOUNT = re.compile(r"1[.,]00")


def sheet_name(text: str) -> str:
    """`text` as Excel takes a sheet's name, whatever a translator wrote."""
    return NOT_IN_SHEET_NAMES.sub(" ", text).strip("' ")[:SHEET_NAME_CHARS] or "-"


def money_format(currency: str) -> str:
    """Excel's number format of an amount as formats.money writes it in the language in
    use, two decimals: `"CNY "#,##0.00`, `"¥"#,##0.00`. The cell keeps the number."""
    shown = formats.money(Decimal("1.00"), currency)
    found = _AMOUNT.search(shown)
    before, after = (shown[: found.start()], shown[found.end() :]) if found else (currency, "")

    def quoted(text: str) -> str:
        text = text.replace('"', "")
        return f'"{text}"' if text else ""

    return f"{quoted(before)}#,##0.00{quoted(after)}"


def workbook_bytes(report: Report) -> bytes:
    wb = Workbook()
    charts: Worksheet = wb.worksheets[0]
    charts.title = sheet_name(_("Charts"))
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
    ws["A2"] = _("As of {as_of}; charts count {span}. Written {written}.").format(
        as_of=formats.minute(report.main.as_of),
        span=report.trend.span.label,
        written=formats.minute(report.written),
    )
    if report.shared:
        ws["A3"] = _("All sites: {sites}; this folder is {site}.").format(
            sites=_(", ").join(report.sites), site=report.site
        )
    for col, figure in enumerate(headline(report), start=1):
        head = ws.cell(row=4, column=col, value=figure.label)
        head.font = BOLD
        head.fill = HEAD_FILL
        head.alignment = Alignment(wrap_text=True, vertical="top")
        cell = ws.cell(row=5, column=col, value=figure.value)
        cell.font = Font(bold=True, size=13)
        ws.column_dimensions[get_column_letter(col)].width = 13
        if figure.money:
            cell.number_format = money_format(report.currency)
            # A bold 13 pt amount is wider than the 11 pt text the widths are counted in.
            shown = formats.money(figure.value, report.currency)
            ws.column_dimensions[get_column_letter(col)].width = max(13, 1.3 * _width(shown))
    ws.row_dimensions[4].height = 46


def list_sheet(
    wb: Workbook, title: str, head: Sequence[str], rows: Sequence[Sequence[Any]], widths: list[int]
) -> tuple[Worksheet, int]:
    """A sheet of `rows` under a bold heading: widths, frozen heading, filter buttons,
    times as dates, and text that stays text. Returns it with its number of rows."""
    ws = wb.create_sheet(sheet_name(title))
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
    # A time as the language writes it: Excel's number format, not the cell's value.
    when = _("yyyy-mm-dd hh:mm")
    for row_cells in ws.iter_rows(min_row=2):
        for cell in row_cells:
            if isinstance(cell.value, datetime):
                cell.number_format = when
                _widen(ws, cell.column, formats.minute(cell.value))
            elif isinstance(cell.value, str):
                set_text(cell, cell.value)  # a customer named "=HYPERLINK(..." stays a name
    return ws, len(rows)


def _width(shown: str) -> int:
    """The width `shown` takes in a column (a Chinese character takes two)."""
    return sum(2 if east_asian_width(c) in "WF" else 1 for c in shown)


def _widen(ws: Worksheet, column: int, shown: str) -> None:
    """Make a column wide enough for `shown`."""
    letter = get_column_letter(column)
    needed = 1 + _width(shown)
    if (ws.column_dimensions[letter].width or 0) < needed:
        ws.column_dimensions[letter].width = needed


def _as_money(ws: Worksheet, column: int, currency: str) -> None:
    """The amounts in `column` (below its head) with the currency, as the page shows them."""
    shape = money_format(currency)
    for (cell,) in ws.iter_rows(min_row=2, min_col=column, max_col=column):
        if isinstance(cell.value, (int, float, Decimal)):
            cell.number_format = shape
            _widen(ws, column, formats.money(cell.value, currency))


def _breakdown(
    wb: Workbook, report: Report, title: str, what: str, counts: Callable[[Figures], list[Count]]
) -> tuple[Worksheet, int]:
    head = [what, _("Complaints, {span}").format(span=report.trend_label), _("Cumulative share")]
    if report.weekly:
        head.append(_("This week"))
    ws, n = list_sheet(wb, title, head, breakdown_rows(report, counts), [34, 18, 16, 12])
    for row in ws.iter_rows(min_row=2, min_col=3, max_col=3):
        row[0].number_format = "0%"
    return ws, n


def _data_sheets(wb: Workbook, report: Report) -> Sheets:
    trend = report.trend
    if report.shared:  # next to the charts: the group's meeting reads it first
        head, rows = site_table(report)
        widths = [max(8, 2 + _width(h)) for h in head]
        by_site, _rows = list_sheet(wb, _("By site"), head, rows, widths)
        _as_money(by_site, 7, report.currency)
    sheets = Sheets(
        _breakdown(wb, report, _("By category"), _("Category"), lambda f: f.by_category),
        _breakdown(wb, report, _("By customer"), _("Customer"), lambda f: f.by_customer),
        _breakdown(wb, report, _("By product"), _("Product / model"), lambda f: f.by_product),
        list_sheet(
            wb,
            _("By week"),
            [_("Week"), _("Opened"), _("Closed")],
            [[w.week, w.opened, w.closed] for w in trend.weeks],
            [12, 10, 10],
        ),
        list_sheet(
            wb,
            _("Deadlines"),
            [_("Deadline"), *(state_label(state) for state in DEADLINE_STATES)],
            [
                [deadline_label(d.name), *(getattr(d, state) for state in DEADLINE_STATES)]
                for d in trend.deadlines
            ],
            [14, 8, 8, 8, 10, 8],
        ),
    )
    _cases_sheets(wb, report)
    costs = list_sheet(
        wb,
        _("Costs by department"),
        [_("Department"), _("Deductions charged"), _("Working hours transferred"), _("Cases")],
        [[d.department, d.deductions, d.working_hours, d.cases] for d in trend.costs_by_department],
        [26, 18, 24, 8],
    )
    _as_money(costs[0], 2, report.currency)
    sheets.costs = costs
    return sheets


def _cases_sheets(wb: Workbook, report: Report) -> None:
    """The lists of cases: open ones, repeats, and what each cost; a group's say each
    case's site, next to its number."""
    open_cases, open_more = report.open_listed()
    repeats, repeats_more = report.repeats_listed()
    costs_listed, costs_more = report.costs_listed()

    def cases(
        title: str,
        head: list[str],
        rows: list[list[Any]],
        sites: list[str],
        widths: list[int],
        more: int = 0,
    ) -> Worksheet:
        if report.shared:
            head = [head[0], _("Site"), *head[1:]]
            rows = [[row[0], site, *row[1:]] for row, site in zip(rows, sites, strict=True)]
            widths = [widths[0], 8, *widths[1:]]
        if more:  # the list is bounded: the last row says how many are left out
            rows = [*rows, [more_words(more, report.rows)] + [None] * (len(head) - 1)]
        return list_sheet(wb, title, head, rows, widths)[0]

    cases(
        _("Open cases"),
        [
            _("Case"),
            _("Customer"),
            _("Product"),
            _("Category"),
            _("Department"),
            _("Owner"),
            _("Opened"),
            _("Days open"),
            _("Overdue"),
            _("Next due"),
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
                deadline_list(c.overdue),
                c.next_due,
            ]
            for c in open_cases
        ],
        [c.site for c in open_cases],
        [15, 24, 14, 22, 22, 18, 17, 10, 20, 17],
        open_more,
    )
    cases(
        _("Repeats"),
        [_("Case"), _("Customer"), _("Product"), _("Category"), _("Opened"), _("Repeats")],
        [
            [
                r.case_id,
                r.customer,
                r.product,
                r.category,
                r.opened,
                ", ".join(r.repeats) + and_more(r.more),
            ]
            for r in repeats
        ],
        [r.site for r in repeats],
        [15, 24, 14, 22, 17, 40],
        repeats_more,
    )
    costs = cases(
        _("Costs"),
        [
            _("Case"),
            _("Customer"),
            _("Responsible department"),
            _("Deductions"),
            _("Working hours"),
            _("Hours to"),
            _("CAPA filed"),
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
            for c in costs_listed
        ],
        [c.site for c in costs_listed],
        [15, 24, 24, 12, 14, 24, 17],
        costs_more,
    )
    _as_money(costs, 5 if report.shared else 4, report.currency)
