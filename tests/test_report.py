"""Weekly and quarterly reports: a scripted set of cases played through the folder, and every
number in the workbook and the page checked against the registry and each case's status."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from lxml import etree
from lxml import html as lxml_html
from openpyxl import load_workbook
from pypdf import PdfReader

from archive.packet import Renderer
from tests.scenario import CAPA_DONE, Folder
from tests.test_scenarios import ACTIONS, register

NOW = "2026-11-27T12:00"  # Friday of 2026-W48
WEEK = "2026-W48"
C = {"c": "http://schemas.openxmlformats.org/drawingml/2006/chart"}
CATEGORY_LABELS = {
    "transport_damage": "Transport damage",
    "quality": "Quality",
    "quantity": "Quantity",
}


def capa(folder: Folder, case_id: str, department: str, now: str, **extra: str) -> None:
    # A form records what has happened: done and approved on the day it is filed.
    day = now[:10]
    header, [[action, owner, due, _]] = ACTIONS
    folder.save(
        folder.outbox(department, case_id, "capa"),
        {**CAPA_DONE, "Plan approved on": day, **extra},
        (header, [[action, owner, due, day]]),
    )
    [result] = folder.ingest(now)
    assert result["outcome"] == "filed", result


def scripted(folder: Folder) -> dict[str, str]:
    """Six cases from October to the report's week: closed, open, overdue, repeats, costs."""
    c1 = register(
        folder,
        "2026-10-05T09:00",
        **{
            "Complaint date": "2026-10-05",
            "Goods received date": "2026-09-28",
            "Complaint established": "No",
            "Reason for the decision": "Forklift damage at the customer",
            "Confirmed to customer at": "2026-10-05 11:00",
        },
    )
    c4 = register(
        folder,
        "2026-11-09T09:00",
        **{
            "Complaint date": "2026-11-09",
            "Customer": "Gamma Doors",
            "Product / model": "D-5",
            "Category": "Quality",
            "Complaint established": "yes",
            "Confirmed to customer at": "2026-11-09 12:00",
        },
    )
    capa(
        folder,
        c4,
        "Quality Management",
        "2026-11-12T09:00",
        **{
            "Responsible person": "Li",
            "Working hours transferred": "3.5",
            "Working hours transferred to": "Quality Management",
        },
    )
    c2 = register(
        folder,
        "2026-11-16T09:00",
        **{
            "Complaint date": "2026-11-16",
            "Complaint established": "yes",
            "Confirmed to customer at": "2026-11-16 10:00",
        },
    )
    capa(
        folder,
        c2,
        "Storage & Transportation",
        "2026-11-18T10:00",
        **{
            "Responsible department": "Storage & Transportation",
            "Responsible person": "Wang",
            "Deductions / liquidated damages": "1,200.50",
            "Working hours transferred": "6",
            "Working hours transferred to": "Production",
        },
    )
    folder.save(
        folder.outbox("Customer Window", c2, "satisfaction_survey"),
        {"Customer accepts the result": "yes"},
    )
    assert folder.ingest("2026-11-19T10:00")[0]["outcome"] == "filed"
    c3 = register(
        folder,
        "2026-11-17T09:00",
        **{
            "Complaint date": "2026-11-17",
            "Customer": "Beta Glass",
            "Product / model": "G-10",
            "Category": "Quality",
            "Complaint established": "yes",
        },
    )
    c5 = register(
        folder,
        "2026-11-24T09:00",
        **{
            "Complaint date": "2026-11-24",
            "Customer": "Delta Glazing",
            "Category": "Quantity",
            "Complaint established": "yes",
            "Confirmed to customer at": "2026-11-24 10:00",
        },
    )
    c6 = register(
        folder,
        "2026-11-25T09:00",
        **{
            "Complaint date": "2026-11-25",
            "Customer": "Beta Glass",
            "Product / model": "G-10",
            "Category": "Quality",
            "Complaint established": "yes",
            "Confirmed to customer at": "2026-11-25 10:00",
        },
    )
    return {"c1": c1, "c2": c2, "c3": c3, "c4": c4, "c5": c5, "c6": c6}


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> tuple[Folder, dict[str, str]]:
    folder = Folder(tmp_path_factory.mktemp("report") / "share")
    cases = scripted(folder)
    out = folder.run("report", "weekly", "--week", WEEK, str(folder.root), "--now", NOW)
    assert "Reports/2026-W48 Weekly Report.xlsx" in out
    return folder, cases


# -- what the registry and the statuses say, worked out here without the report code ---------


def statuses(folder: Folder) -> list[dict[str, Any]]:
    db = sqlite3.connect(folder.root / ".closedloop" / "registry.sqlite")
    ids = [r[0] for r in db.execute("SELECT case_id FROM cases ORDER BY case_id")]
    db.close()
    return [folder.status(case_id, NOW) for case_id in ids]


def in_week(moment: str | None, monday: date, days: int = 7) -> bool:
    if not moment:
        return False
    d = datetime.fromisoformat(moment).date()
    return 0 <= (d - monday).days < days


def latest_capas(folder: Folder) -> dict[str, dict[str, Any]]:
    db = sqlite3.connect(folder.root / ".closedloop" / "registry.sqlite")
    rows = db.execute(
        "SELECT case_id, fields, filed_at FROM filings f WHERE form = 'capa' AND version = "
        "(SELECT MAX(version) FROM filings g WHERE g.case_id = f.case_id AND g.form = 'capa')"
    ).fetchall()
    db.close()
    return {case_id: {**json.loads(fields), "_filed": filed} for case_id, fields, filed in rows}


def headline(folder: Folder, name: str) -> dict[str, Any]:
    ws = load_workbook(folder.root / "Reports" / name)["Charts"]
    return {
        ws.cell(row=4, column=col).value: ws.cell(row=5, column=col).value
        for col in range(1, ws.max_column + 1)
        if ws.cell(row=4, column=col).value
    }


def sheet(folder: Folder, name: str, title: str) -> list[list[Any]]:
    ws = load_workbook(folder.root / "Reports" / name)[title]
    return [list(r) for r in ws.iter_rows(min_row=2, values_only=True)]


# -- the tests ----------------------------------------------------------------------------------


def test_the_headline_matches_the_registry(played: tuple[Folder, dict[str, str]]) -> None:
    folder, _ = played
    monday, first = date(2026, 11, 23), date(2026, 8, 31)  # W48, and 13 weeks back: W36
    every = statuses(folder)
    still_open = [s for s in every if s["state"] != "closed"]
    expected = {
        "Opened this week": sum(in_week(s["opened"], monday) for s in every),
        "Closed this week": sum(in_week(s["closed"], monday) for s in every),
        "Open at the end": len(still_open),
        "Overdue at the end": sum(
            any(d["status"] == "overdue" for d in s["deadlines"]) for s in still_open
        ),
        "Repeats this week": sum(
            bool(s["links"]["repeats"]) for s in every if in_week(s["opened"], monday)
        ),
        "Opened, 13 weeks": sum(in_week(s["opened"], first, 91) for s in every),
        "Closed, 13 weeks": sum(in_week(s["closed"], first, 91) for s in every),
    }
    got = headline(folder, "2026-W48 Weekly Report.xlsx")
    assert {k: got[k] for k in expected} == expected
    # and the script's own facts, so that a registry read wrongly cannot agree with itself
    assert expected == {
        "Opened this week": 2,
        "Closed this week": 0,
        "Open at the end": 4,
        "Overdue at the end": expected["Overdue at the end"],
        "Repeats this week": 1,
        "Opened, 13 weeks": 6,
        "Closed, 13 weeks": 2,
    }
    assert expected["Overdue at the end"] >= 1  # Beta Glass was never confirmed
    assert Decimal(str(got["Deductions (CNY), 13 weeks"])) == Decimal("1200.50")
    assert Decimal(str(got["Working hours, 13 weeks"])) == Decimal("9.5")


def test_breakdowns_are_paretos_of_the_registry(played: tuple[Folder, dict[str, str]]) -> None:
    folder, _ = played
    every = statuses(folder)
    monday = date(2026, 11, 23)
    name = "2026-W48 Weekly Report.xlsx"
    for title, key, label in (
        ("By category", "category", lambda v: CATEGORY_LABELS[v]),
        ("By customer", "customer", str),
        ("By product", "product", str),
    ):
        counted = Counter(label(s[key]) for s in every)
        week = Counter(label(s[key]) for s in every if in_week(s["opened"], monday))
        rows = sheet(folder, name, title)
        assert {r[0]: r[1] for r in rows} == dict(counted), title
        assert {r[0]: r[3] for r in rows if r[3]} == dict(week), title
        assert [r[1] for r in rows] == sorted(counted.values(), reverse=True)  # Pareto order
        assert rows[-1][2] == pytest.approx(1.0)
        shares = [r[2] for r in rows]
        assert shares == sorted(shares)
    assert {r[0]: r[1] for r in sheet(folder, name, "By category")} == {
        "Quality": 3,
        "Transport damage": 2,
        "Quantity": 1,
    }


def test_weeks_and_deadlines_match_each_case(played: tuple[Folder, dict[str, str]]) -> None:
    folder, _ = played
    every = statuses(folder)
    name = "2026-W48 Weekly Report.xlsx"
    weeks = sheet(folder, name, "By week")
    assert len(weeks) == 13 and weeks[0][0] == "2026-W36" and weeks[-1][0] == "2026-W48"
    for label, opened, closed in weeks:
        monday = date.fromisocalendar(2026, int(label[-2:]), 1)
        assert opened == sum(in_week(s["opened"], monday) for s in every), label
        assert closed == sum(in_week(s["closed"], monday) for s in every), label
    counted: dict[str, Counter[str]] = {}
    for s in every:
        for d in s["deadlines"]:
            if in_week(d["due"], date(2026, 8, 31), 91):
                # what a closed case did not meet, it missed (as its packet says)
                state = "missed" if d["status"] == "overdue" and s["closed"] else d["status"]
                counted.setdefault(d["name"], Counter())[state] += 1
    states = ["met", "late", "missed", "overdue", "open"]
    rows = {r[0]: dict(zip(states, r[1:], strict=True)) for r in sheet(folder, name, "Deadlines")}
    for deadline, states in rows.items():
        assert states == {k: counted.get(deadline, Counter())[k] for k in states}, deadline
    assert rows["confirm"]["overdue"] >= 1


def test_open_cases_have_owners_and_overdue_deadlines(
    played: tuple[Folder, dict[str, str]],
) -> None:
    folder, cases = played
    rows = {r[0]: r for r in sheet(folder, "2026-W48 Weekly Report.xlsx", "Open cases")}
    every = {s["case_id"]: s for s in statuses(folder)}
    assert set(rows) == {k for k, s in every.items() if s["state"] != "closed"}
    for case_id, row in rows.items():
        overdue = [d["name"] for d in every[case_id]["deadlines"] if d["status"] == "overdue"]
        assert (row[8] or "") == ", ".join(overdue), case_id
    assert rows[cases["c4"]][5] == "Li"  # the CAPA's responsible person
    assert rows[cases["c4"]][4] == "Quality Management"
    assert "confirm" in rows[cases["c3"]][8]


def test_repeats_and_costs(played: tuple[Folder, dict[str, str]]) -> None:
    folder, cases = played
    name = "2026-W48 Weekly Report.xlsx"
    repeats = {r[0]: r[5] for r in sheet(folder, name, "Repeats")}
    every = statuses(folder)
    assert repeats == {
        s["case_id"]: ", ".join(s["links"]["repeats"]) for s in every if s["links"]["repeats"]
    }
    assert repeats == {cases["c2"]: cases["c1"], cases["c6"]: cases["c3"]}
    capas = latest_capas(folder)
    costs = {
        r[0]: (Decimal(str(r[3])), Decimal(str(r[4])), r[5]) for r in sheet(folder, name, "Costs")
    }
    assert costs == {
        case_id: (
            Decimal(f.get("deduction_amount") or 0),
            Decimal(f.get("working_hours") or 0),
            {"production": "Production", "quality_management": "Quality Management"}[
                f["working_hours_department"]
            ],
        )
        for case_id, f in capas.items()
        if f.get("deduction_amount") or f.get("working_hours")
    }
    by_department = {
        r[0]: (Decimal(str(r[1])), Decimal(str(r[2])), r[3])
        for r in sheet(folder, name, "Costs by department")
    }
    assert by_department == {
        "Storage & Transportation": (Decimal("1200.5"), Decimal(0), 1),
        "Production": (Decimal(0), Decimal(6), 1),
        "Quality Management": (Decimal(0), Decimal("3.5"), 1),
    }


def test_the_workbook_holds_native_charts(played: tuple[Folder, dict[str, str]]) -> None:
    folder, _ = played
    with zipfile.ZipFile(folder.root / "Reports" / "2026-W48 Weekly Report.xlsx") as z:
        charts = sorted(n for n in z.namelist() if n.startswith("xl/charts/chart"))
        xml = [etree.fromstring(z.read(n)) for n in charts]
    assert len(charts) == 6

    def chart(title: str) -> Any:
        return next(x for x in xml if title in "".join(x.itertext()))

    def refs(x: Any) -> list[str]:
        return [str(f) for f in x.xpath("//c:f/text()", namespaces=C)]

    pareto = chart("Pareto")
    assert pareto.xpath("//c:barChart", namespaces=C) and pareto.xpath(
        "//c:lineChart", namespaces=C
    )
    assert "'By category'!$C$2:$C$4" in refs(pareto)  # the cumulative line
    stacked = chart("Deadlines").xpath("//c:grouping/@val", namespaces=C)
    assert stacked == ["stacked"]
    assert "'By week'!$B$2:$B$14" in refs(chart("per week"))
    assert "'Costs by department'!$C$2:$C$4" in refs(chart("Working hours"))


def test_the_page_says_the_same_and_the_index_links_it(
    played: tuple[Folder, dict[str, str]],
) -> None:
    folder, cases = played
    reports = folder.root / "Reports"
    page = lxml_html.fromstring((reports / "2026-W48 Weekly Report.html").read_bytes())
    xlsx = headline(folder, "2026-W48 Weekly Report.xlsx")
    shown = {d.findtext("span"): d.findtext("b") for d in page.xpath("//div[@id='headline']/div")}
    assert shown == {k: f"{v:,}" if isinstance(v, int) else shown[k] for k, v in xlsx.items()}
    # money as the packet shows it: the currency, two decimals (it said "1,200.5" before)
    assert shown["Deductions (CNY), 13 weeks"] == "CNY 1,200.50"
    deductions = page.xpath("//table[@id='costs-by-department']//tr/td[2]/text()")
    assert sorted(deductions) == ["CNY 0.00", "CNY 0.00", "CNY 1,200.50"]
    assert "CNY 1,200.50" in page.xpath("//table[@id='costs']//tr/td[4]/text()")
    charts = load_workbook(reports / "2026-W48 Weekly Report.xlsx")
    heads = [c.value for c in charts["Charts"][4]]
    money = charts["Charts"].cell(row=5, column=heads.index("Deductions (CNY), 13 weeks") + 1)
    assert money.value == 1200.5 and money.number_format == '"CNY "#,##0.00'
    assert charts["Costs by department"]["B2"].number_format == '"CNY "#,##0.00'
    assert charts["Costs"]["D2"].number_format == '"CNY "#,##0.00'
    cells = page.xpath("//table[@id='by-category']//tr[td]/td[1]/text()")
    assert cells == [r[0] for r in sheet(folder, "2026-W48 Weekly Report.xlsx", "By category")]
    open_ids = page.xpath("//table[@id='open-cases']//tr/td[1]/a/text()")
    assert sorted(open_ids) == sorted([cases["c3"], cases["c4"], cases["c5"], cases["c6"]])
    index = lxml_html.fromstring((reports / "index.html").read_bytes())
    assert index.xpath("//ul[@id='reports']//a/@href")[0] == "2026-W48%20Weekly%20Report.html"
    archive = lxml_html.fromstring((folder.root / "Archive" / "index.html").read_bytes())
    assert archive.xpath("//a[@id='reports']/@href") == ["../Reports/index.html"]


def test_a_past_week_reads_as_it_stood_then(played: tuple[Folder, dict[str, str]]) -> None:
    """Made on 27 November, the report of W46 still shows what was open on 15 November."""
    folder, cases = played
    folder.run("report", "weekly", "--week", "2026-W46", str(folder.root), "--now", NOW)
    got = headline(folder, "2026-W46 Weekly Report.xlsx")
    assert (got["Opened this week"], got["Open at the end"]) == (1, 1)  # Gamma Doors only
    assert got["Working hours, 13 weeks"] == 3.5  # Gamma's CAPA; Wang's came in W47
    rows = sheet(folder, "2026-W46 Weekly Report.xlsx", "Open cases")
    assert [r[0] for r in rows] == [cases["c4"]]


def test_a_misspelt_week_is_refused_with_the_form_to_use(
    played: tuple[Folder, dict[str, str]],
) -> None:
    folder, _ = played
    from click.testing import CliRunner

    from closedloop.cli import cli

    result = CliRunner().invoke(cli, ["report", "weekly", "--week", "47", str(folder.root)])
    assert result.exit_code == 2
    assert "'47' is not an ISO week; write it like 2026-W47" in result.output


def test_a_finished_week_gets_its_report_by_itself_once(tmp_path: Path) -> None:
    folder = Folder(tmp_path / "share")
    folder.setting("weekly = false", "weekly = true")
    assert folder.ingest("2026-11-17T10:00") == []  # a new folder: no empty report of W46
    folder.setting("weekly = true", "weekly = false")
    register(folder, "2026-11-20T10:00")
    folder.setting("weekly = false", "weekly = true")
    results = folder.ingest("2026-11-23T08:00")  # Monday: W47 is over
    assert [(r["outcome"], r["file"]) for r in results] == [
        ("reported", "Reports/2026-W47 Weekly Report.xlsx")
    ]
    assert headline(folder, "2026-W47 Weekly Report.xlsx")["Opened this week"] == 1
    assert folder.ingest("2026-11-24T08:00") == []  # once
    page = lxml_html.fromstring(
        (folder.root / "Reports" / "2026-W47 Weekly Report.html").read_bytes()
    )
    [link] = page.xpath("//table[@id='open-cases']//a/@href")
    assert (folder.root / "Reports" / unquote(link)).resolve().is_file()  # the case's page


@pytest.mark.libreoffice
def test_libreoffice_draws_the_charts(
    played: tuple[Folder, dict[str, str]], libreoffice: object, tmp_path: Path
) -> None:
    """The office client of the meeting opens the workbook and prints its chart sheet on
    one page, every chart there with its labels."""
    folder, _ = played
    xlsx = folder.root / "Reports" / "2026-W48 Weekly Report.xlsx"
    [pdf] = Renderer(tmp_path / "profile").to_pdf([xlsx], tmp_path / "pdf").values()
    assert isinstance(pdf, Path), pdf
    first = PdfReader(pdf).pages[0].extract_text()
    for text in (
        "Complaints by category (Pareto)",
        "Cumulative share",
        "Opened and closed per week",
        "Complaints by customer (top 10)",
        "Deadlines falling due",
        "Complaints by product (top 10)",
        "Working hours transferred",
        "Transport damage",
        "Gamma Doors",
        "2026-W48",
    ):
        assert text in first, text


def test_the_quarterly_report_counts_the_quarter(played: tuple[Folder, dict[str, str]]) -> None:
    folder, _ = played
    out = folder.run("report", "quarterly", "--quarter", "2026Q4", str(folder.root), "--now", NOW)
    assert "Reports/2026Q4 Quarterly Report.xlsx" in out
    got = headline(folder, "2026Q4 Quarterly Report.xlsx")
    every = statuses(folder)
    assert got["Opened 2026Q4"] == sum(s["opened"] >= "2026-10-01" for s in every) == 6
    assert got["Closed 2026Q4"] == sum(bool(s["closed"]) for s in every) == 2
    assert "Opened, 13 weeks" not in got  # a quarter's charts count the quarter itself
    weeks = sheet(folder, "2026Q4 Quarterly Report.xlsx", "By week")
    assert (weeks[0][0], weeks[-1][0]) == ("2026-W40", "2026-W48")  # up to now
    assert sheet(folder, "2026Q4 Quarterly Report.xlsx", "By category")[0][:2] == ["Quality", 3]
    ws = load_workbook(folder.root / "Reports" / "2026Q4 Quarterly Report.xlsx")["Open cases"]
    assert ws.auto_filter.ref == "A1:J5"  # four open cases, filterable


def test_a_name_like_a_formula_stays_text_in_the_workbooks(tmp_path: Path) -> None:
    folder = Folder(tmp_path / "share")
    hostile = '=HYPERLINK("http://evil.example","click")'
    register(
        folder,
        "2026-11-20T10:00",
        **{
            "Customer": hostile,
            "Product / model": "+W-200",
            "Complaint established": "No",
            "Reason for the decision": "Not ours",
        },
    )
    folder.run("report", "weekly", "--week", "2026-W47", str(folder.root), "--now", NOW)
    folder.run("close-quarter", str(folder.root), "2026Q4", "--now", "2027-01-05T09:00")
    sealed = folder.root / "Archive" / "2026Q4 Customer Complaint Closed-Loop"
    for workbook, title in (
        (folder.root / "Reports" / "2026-W47 Weekly Report.xlsx", "By customer"),
        (sealed / "2026Q4 Quarterly Report.xlsx", "By customer"),
        (sealed / "2026Q4 Summary.xlsx", "2026Q4"),
    ):
        ws = load_workbook(workbook)[title]
        cells = [c for row in ws.iter_rows() for c in row if c.value in (hostile, "+W-200")]
        assert cells, workbook.name
        assert all(c.data_type == "s" for c in cells), workbook.name


def test_an_index_from_an_older_closedloop_gets_the_reports_link(tmp_path: Path) -> None:
    folder = Folder(tmp_path / "share")
    register(folder, "2026-11-20T10:00")
    index = folder.root / "Archive" / "index.html"
    index.write_text("<html><body>an older index, without reports</body></html>")
    folder.ingest("2026-11-20T11:00")  # the next start
    page = lxml_html.fromstring(index.read_bytes())
    assert page.xpath("//a[@id='reports']/@href") == ["../Reports/index.html"]
