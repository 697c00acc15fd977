"""The weekly meeting's report and the quarter's, as a workbook with native Excel charts and
as an HTML page, written into `Reports/` (the quarter's also into its sealed folder) and
listed in `Reports/index.html`.

The numbers come from `reports.figures`; what a report says from `reports.contents`; the
workbook from `reports.workbook` (its charts from `reports.charts`) and the page from
`reports.page`. This module writes the files.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from markupsafe import Markup

from forms.atomicfile import atomic_write_bytes
from language import current, formats
from reports.contents import (
    STATE_COLOURS,
    Report,
    breakdown_rows,
    headline,
    quarterly_report,
    weekly_name,
    weekly_report,
)
from reports.names import NAMES, is_report, replace_others
from reports.page import html_bytes
from reports.workbook import list_sheet, workbook_bytes
from templates import render

__all__ = [
    "REPORTS_INDEX",
    "STATE_COLOURS",
    "Report",
    "breakdown_rows",
    "headline",
    "html_bytes",
    "list_sheet",
    "quarterly_report",
    "weekly_name",
    "weekly_report",
    "workbook_bytes",
    "write_report",
    "write_reports_index",
]

REPORTS_INDEX = "index.html"


def write_report(reports: Path, report: Report) -> list[Path]:
    """Write the workbook and the page, and list them in `Reports/index.html`; the same
    report under another language's name is replaced by them."""
    reports.mkdir(parents=True, exist_ok=True)
    xlsx = reports / f"{report.name}.xlsx"
    html = reports / f"{report.name}.html"
    atomic_write_bytes(xlsx, workbook_bytes(report))
    atomic_write_bytes(html, html_bytes(report))
    replace_others(reports, NAMES[report.kind], report.main.span.label, (".xlsx", ".html"))
    write_reports_index(reports, report.written, report.archive)
    return [xlsx, html]


def write_reports_index(reports: Path, now: datetime, archive: str = "Archive") -> None:
    """List every report's page and workbook in `Reports/index.html`; `archive`: the
    Archive folder's name, which the list links to. Reports named in any language are
    listed (a folder whose language changed keeps its old ones)."""
    pages = sorted(
        (p for p in reports.glob("*.html") if is_report(p.stem)), key=lambda p: p.name, reverse=True
    )
    listed = [
        {
            "name": p.stem,
            "href": quote(p.name),
            "xlsx": quote(p.with_suffix(".xlsx").name) if p.with_suffix(".xlsx").exists() else "",
        }
        for p in pages
    ]
    text = render(
        "report_index.html",
        reports=listed,
        written=formats.minute(now),
        language=current(),
        archive=quote(archive),
        command=Markup("<code>closedloop report weekly FOLDER</code>"),
    )
    atomic_write_bytes(reports / REPORTS_INDEX, text.encode("utf-8"))
