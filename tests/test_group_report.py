"""A report on a registry several sites share (#15) is the group's: every site's cases
counted, a table by site, each case's site in the lists, and links only to the cases
whose pages are in this folder's Archive. A registry of its own reports as before."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from typing import Any

from lxml import html as lxml_html
from openpyxl import load_workbook

from filing.policy import Policy
from filing.records import Case, Filing
from filing.registry import Registry
from language import use
from reports.figures import SiteCount, Span
from reports.report import Report, html_bytes, quarterly_report, weekly_report, workbook_bytes

NOW = datetime(2026, 11, 27, 12, 0)  # Friday of 2026-W48
WEEK = Span.week("2026-W48")


def new_case(
    reg: Registry,
    opened: datetime,
    product: str,
    customer: str = "ACME",
    closed: datetime | None = None,
) -> Case:
    with reg.transaction():
        case = Case(
            reg.next_case_id(2026),
            "closed" if closed else "awaiting_triage",
            opened,
            opened,
            customer=customer,
            product=product,
            category="Transport damage",
            closed_at=closed,
            site=reg.site,
        )
        case.repeats = reg.similar_cases(opened - timedelta(days=90), customer, product, None)
        reg.save_case(case)
    return case


def capa(reg: Registry, case: Case, filed: datetime, deduction: str, hours: str) -> None:
    fields = {"deduction_amount": deduction, "working_hours": hours, "responsible_person": "Li"}
    with reg.transaction():
        reg.add_filing(
            Filing(
                case.case_id,
                "capa",
                1,
                filed,
                "03 Corrective and Preventive Action Report v1.docx",
                hashlib.sha256(case.case_id.encode()).hexdigest(),
                "Li",
                fields,
            )
        )


def group(url: str, tmp_path: Path) -> dict[str, Case]:
    """Two sites' cases on one registry: SZ's first, so WX's later one repeats it."""
    with (
        Registry(tmp_path / "unused", url=url, site="SZ") as sz,
        Registry(tmp_path / "unused", url=url, site="WX") as wx,
    ):
        cases = {
            "sz_week": new_case(sz, datetime(2026, 11, 24, 9), "W-200"),
            "sz_closed": new_case(
                sz, datetime(2026, 10, 5, 9), "D-100", "Other", closed=datetime(2026, 11, 25, 15)
            ),
            "wx_repeat": new_case(wx, datetime(2026, 11, 26, 9), "W-200"),
            "wx_earlier": new_case(wx, datetime(2026, 11, 10, 9), "G-10", "Gamma"),
        }
        capa(sz, cases["sz_week"], datetime(2026, 11, 25, 10), "100.50", "3")
        capa(wx, cases["wx_repeat"], datetime(2026, 11, 26, 16), "200", "2")
    return cases


def page(report: Report) -> Any:
    return lxml_html.fromstring(html_bytes(report))


def linked(tree: Any) -> list[str]:
    return sorted(tree.xpath("//table[@id='open-cases']//td[1]/a/text()"))


def test_the_weekly_report_counts_the_group_by_site(postgres_url: str, tmp_path: Path) -> None:
    cases = group(postgres_url, tmp_path)
    with Registry(tmp_path / "unused", url=postgres_url, site="SZ") as sz:
        report = weekly_report(sz, Policy(), WEEK, NOW, "Group Co.")
    main, trend = report.main, report.trend
    assert report.site == "SZ" and report.sites == ["SZ", "WX"]
    assert (main.opened, main.closed, main.open_at_end, main.repeats_opened) == (2, 1, 3, 1)
    assert trend.opened == 4 and trend.deductions == Decimal("300.50")
    assert [
        (s.site, s.opened, s.closed, s.open_at_end, s.repeats_opened) for s in main.by_site
    ] == [
        ("SZ", 1, 1, 1, 0),
        ("WX", 1, 0, 2, 1),
    ]
    assert sum(s.overdue_at_end for s in main.by_site) == main.overdue_at_end
    assert [(s.site, s.deductions, s.working_hours) for s in trend.by_site] == [
        ("SZ", Decimal("100.50"), Decimal(3)),
        ("WX", Decimal(200), Decimal(2)),
    ]
    assert {c.case_id: c.site for c in main.open_cases} == {
        cases["sz_week"].case_id: "SZ",
        cases["wx_repeat"].case_id: "WX",
        cases["wx_earlier"].case_id: "WX",
    }
    assert [(r.case_id, r.site) for r in trend.repeats] == [(cases["wx_repeat"].case_id, "WX")]

    tree = page(report)
    by_site = tree.xpath("//table[@id='by-site']//tr")
    heads = [th.text_content() for th in by_site[0].xpath("th")]
    assert heads[:3] == ["Site", "Opened this week", "Closed this week"]
    assert heads[-2:] == ["Deductions (CNY), 13 weeks", "Working hours, 13 weeks"]
    rows = [[td.text_content() for td in tr.xpath("td")] for tr in by_site[1:]]
    assert [[*r[:4], r[5]] for r in rows] == [
        ["SZ", "1", "1", "1", "0"],
        ["WX", "1", "0", "2", "1"],
    ]
    assert rows[0][6].endswith("100.50") and rows[1][7] == "2"
    # Only this site's case has its page in this folder's Archive; the others are named.
    assert linked(tree) == [cases["sz_week"].case_id]
    ids = tree.xpath("//table[@id='open-cases']//td[1]//text()")
    assert sorted(ids) == sorted(c.case_id for k, c in cases.items() if k != "sz_closed")
    sites = tree.xpath("//table[@id='open-cases']//tr/td[2]/text()")
    assert sorted(sites) == ["SZ", "WX", "WX"]
    assert tree.xpath("//table[@id='repeats']//tr/td[2]/text()") == ["WX"]
    assert sorted(tree.xpath("//table[@id='costs']//tr/td[2]/text()")) == ["SZ", "WX"]
    assert "All sites: SZ, WX; this folder is SZ." in tree.xpath("string(//p[@id='sites'])")

    wb = load_workbook(BytesIO(workbook_bytes(report)))
    assert wb.sheetnames[:2] == ["Charts", "By site"]
    values = [list(r) for r in wb["By site"].iter_rows(values_only=True)]
    assert values[0][:2] == ["Site", "Opened this week"]
    assert [r[:4] for r in values[1:]] == [["SZ", 1, 1, 1], ["WX", 1, 0, 2]]
    assert values[1][6] == 100.5 and values[2][7] == 2
    assert wb["By site"]["G2"].number_format == '"CNY "#,##0.00'
    open_cases = [list(r) for r in wb["Open cases"].iter_rows(values_only=True)]
    assert open_cases[0][:3] == ["Case", "Site", "Customer"]
    assert sorted(r[1] for r in open_cases[1:]) == ["SZ", "WX", "WX"]
    costs = wb["Costs"]
    assert [c.value for c in costs[1]][:2] == ["Case", "Site"]
    assert costs["E2"].number_format == '"CNY "#,##0.00'
    assert wb["Charts"]["A3"].value == "All sites: SZ, WX; this folder is SZ."


def test_the_other_site_links_its_own_cases(postgres_url: str, tmp_path: Path) -> None:
    cases = group(postgres_url, tmp_path)
    with Registry(tmp_path / "unused", url=postgres_url, site="WX") as wx:
        report = weekly_report(wx, Policy(), WEEK, NOW, "Group Co.")
    assert report.main.opened == 2 and report.site == "WX"
    assert linked(page(report)) == sorted((cases["wx_repeat"].case_id, cases["wx_earlier"].case_id))


def test_the_quarterly_report_counts_the_group(postgres_url: str, tmp_path: Path) -> None:
    group(postgres_url, tmp_path)
    with Registry(tmp_path / "unused", url=postgres_url, site="SZ") as sz:
        report = quarterly_report(sz, Policy(), 2026, 4, NOW, "Group Co.")
    assert report.main.opened == 4 and report.main.closed == 1
    assert report.main.by_site == report.trend.by_site
    assert [(s.site, s.opened, s.closed) for s in report.main.by_site] == [
        ("SZ", 2, 1),
        ("WX", 2, 0),
    ]
    assert isinstance(report.main.by_site[0], SiteCount)
    heads = page(report).xpath("//table[@id='by-site']//th/text()")
    assert heads[1:3] == ["Opened 2026Q4", "Closed 2026Q4"]


def test_the_group_report_in_chinese(postgres_url: str, tmp_path: Path) -> None:
    group(postgres_url, tmp_path)
    with (
        Registry(tmp_path / "unused", url=postgres_url, site="SZ") as sz,
        use("zh-CN"),
    ):
        report = weekly_report(sz, Policy(), WEEK, NOW, "Group Co.")
        tree = page(report)
        wb = load_workbook(BytesIO(workbook_bytes(report)))
    assert tree.xpath("//table[@id='by-site']//th/text()")[0] == "站点"
    assert "全部站点：SZ、WX；本文件夹为站点 SZ。" in tree.xpath("string(//p[@id='sites'])")
    assert "按站点" in tree.xpath("//h2/text()")
    assert wb.sheetnames[1] == "按站点"


def test_a_registry_of_its_own_has_no_sites(tmp_path: Path) -> None:
    with Registry(tmp_path / ".closedloop" / "registry.sqlite") as reg:
        new_case(reg, datetime(2026, 11, 24, 9), "W-200")
        report = weekly_report(reg, Policy(), WEEK, NOW, "Solo Co.")
    assert report.site == "" and not report.shared
    assert report.main.by_site == [] and report.trend.by_site == []
    text = html_bytes(report).decode()
    assert "By site" not in text and 'id="sites"' not in text
    assert len(linked(page(report))) == 1  # its own cases are linked, as always
    wb = load_workbook(BytesIO(workbook_bytes(report)))
    assert "By site" not in wb.sheetnames
    assert [c.value for c in wb["Open cases"][1]][:2] == ["Case", "Customer"]


def test_each_list_of_a_report_is_bounded_and_counts_the_rest(tmp_path: Path) -> None:
    """[reports] listed: the most urgent rows, the headline and the heading counting all;
    the page and the workbook say how many more there are."""
    from dataclasses import replace

    with Registry(tmp_path / "registry.sqlite") as reg:
        with reg.transaction():
            for i in range(7):
                opened = datetime(2026, 11, 16, 9, 0) + timedelta(hours=i)
                reg.save_case(Case(reg.next_case_id(2026), "awaiting_triage", opened, opened))
        policy = replace(Policy(), report_rows=3)
        report = weekly_report(
            reg, policy, Span.week("2026-W47"), datetime(2026, 11, 23, 9, 0), "Co."
        )
    assert report.main.open_at_end == 7
    listed, more = report.open_listed()
    assert len(listed) == 3 and more == 4
    page = html_bytes(report).decode("utf-8")
    assert "Open and overdue cases (7)" in page
    assert page.count('<td class="id"><a href=') == 3
    assert "… and 4 more, not listed: each list shows 3 rows" in page
    sheet = load_workbook(BytesIO(workbook_bytes(report)))["Open cases"]
    assert sheet.max_row == 1 + 3 + 1
    assert str(sheet.cell(row=5, column=1).value).startswith("… and 4 more")
