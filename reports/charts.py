"""The workbook's native Excel charts, each drawn from a sheet of the workbook (so a person
who sorts or filters the sheet sees what the chart counts)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.worksheet.worksheet import Worksheet

from language import _
from reports.contents import STATE_COLOURS, state_label
from reports.figures import DEADLINE_STATES

TOP = 10  # customers and products charted (the sheets list all)


@dataclass
class Sheets:
    """The sheets the charts are drawn from."""

    by_category: tuple[Worksheet, int]  # (sheet, rows of data)
    by_customer: tuple[Worksheet, int]
    by_product: tuple[Worksheet, int]
    weeks: tuple[Worksheet, int]
    deadlines: tuple[Worksheet, int]
    costs: tuple[Worksheet, int] | None = None


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


def _pareto(s: Sheets) -> BarChart | None:
    bars = _bars(s.by_category, _("Complaints by category (Pareto)"), range(2, 3))
    if bars is None:
        return None
    ws, n = s.by_category
    bars.y_axis.title = _("Complaints")
    line = LineChart()
    line.add_data(Reference(ws, min_col=3, min_row=1, max_row=n + 1), titles_from_data=True)
    line.y_axis.axId = 200  # a second axis, on the right: the cumulative share
    line.y_axis.title = _("Cumulative share")
    line.y_axis.number_format = "0%"
    line.y_axis.scaling.min = 0
    line.y_axis.scaling.max = 1
    line.y_axis.crosses = "max"
    line.y_axis.delete = False
    bars += line
    return bars


def _customers(s: Sheets) -> BarChart | None:
    title = _("Complaints by customer (top {count})").format(count=TOP)
    return _bars(s.by_customer, title, range(2, 3), across=True, rows=TOP, legend=False)


def _products(s: Sheets) -> BarChart | None:
    title = _("Complaints by product (top {count})").format(count=TOP)
    return _bars(s.by_product, title, range(2, 3), across=True, rows=TOP, legend=False)


def _hours(s: Sheets) -> BarChart | None:
    assert s.costs is not None
    title = _("Working hours transferred, by department")
    return _bars(s.costs, title, range(3, 4), across=True, legend=False, counts=False)


def _weeks_chart(s: Sheets) -> BarChart | None:
    return _bars(s.weeks, _("Opened and closed per week"), range(2, 4))


def _deadlines_chart(s: Sheets) -> BarChart | None:
    states = _(", ").join(state_label(state).lower() for state in DEADLINE_STATES)
    title = _("Deadlines falling due: {states}").format(states=states)
    chart = _bars(s.deadlines, title, range(2, 2 + len(DEADLINE_STATES)), across=True, stacked=True)
    if chart is not None:
        for series, colour in zip(chart.series, STATE_COLOURS.values(), strict=True):
            series.graphicalProperties = GraphicalProperties(solidFill=colour)
    return chart


# The charts of the first sheet, in the order they are laid out: two to a row.
CHARTS: tuple[Callable[[Sheets], BarChart | None], ...] = (
    _pareto,
    _weeks_chart,
    _customers,
    _deadlines_chart,
    _products,
    _hours,
)
