"""The weekly and quarterly reports of a folder whose settings say `language = "zh-CN"`:
the workbook's sheets, headings, column heads, chart titles and series, and the page, in
Chinese; the same folder back in English gets the English report it always had."""

from __future__ import annotations

import re
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from click.testing import CliRunner
from lxml import etree
from lxml import html as lxml_html
from openpyxl import load_workbook
from pypdf import PdfReader

from app.application import App
from app.settings import load_settings
from closedloop.cli import cli
from forms.definition import get_form
from forms.writer import write_form
from language import use
from reports.report import quarterly_report, write_report
from reports.workbook import sheet_name
from tests.office import LibreOffice
from tests.scenario import Folder
from tests.test_report import scripted

MONDAY = "2026-11-30T08:00"  # W48 is over: the weekly job writes its report
# W48's report as each language names its files.
NAMES = {"en": "2026-W48 Weekly Report", "zh-CN": "2026-W48 周报"}
NAME = NAMES["zh-CN"]
C = {"c": "http://schemas.openxmlformats.org/drawingml/2006/chart"}
A = {"a": "http://schemas.openxmlformats.org/drawingml/2006/main"}
SHEETS_ZH = [
    "图表",
    "按类别",
    "按客户",
    "按产品",
    "按周",
    "期限",
    "未结案件",
    "重复投诉",
    "费用",
    "部门费用",
]
SHEETS_EN = [
    "Charts",
    "By category",
    "By customer",
    "By product",
    "By week",
    "Deadlines",
    "Open cases",
    "Repeats",
    "Costs",
    "Costs by department",
]


def speak(folder: Folder, language: str) -> None:
    """Set `[company] language` in the folder's settings, as a person edits it."""
    path = folder.root / "closedloop.toml"
    text = path.read_text(encoding="utf-8")
    line = f'language = "{language}"'
    if re.search(r"^language = ", text, re.M):
        text = re.sub(r"^language = .*$", line, text, count=1, flags=re.M)
    else:
        text = text.replace("[company]\n", f"[company]\n{line}\n", 1)
    path.write_text(text, encoding="utf-8")


# The departments as `closedloop init --language zh-CN` names them.
DEPARTMENTS_ZH = {
    "Quality Management": "质量管理部",
    "Storage & Transportation": "储运部",
    "Production": "生产部",
}


def name_departments(folder: Folder, names: dict[str, str]) -> None:
    """Rename departments in the settings ([departments]), as a site does."""
    for old, new in names.items():
        folder.setting(f'= "{old}"\n', f'= "{new}"\n')


def weekly(folder: Folder, language: str) -> dict[str, Any]:
    """The weekly job writes W48's report on Monday, in the folder's language."""
    speak(folder, language)
    reports = folder.root / "Reports"
    for name in NAMES.values():  # the report, in either language, is written again
        for old in reports.glob(f"{name}.*"):
            old.unlink()
    folder.setting("weekly = false", "weekly = true")
    try:
        results = folder.ingest(MONDAY)
    finally:
        folder.setting("weekly = true", "weekly = false")
    assert [r["outcome"] for r in results] == ["reported"], results
    xlsx = reports / f"{NAMES[language]}.xlsx"
    with zipfile.ZipFile(xlsx) as z:
        charts = [
            etree.fromstring(z.read(n)) for n in sorted(z.namelist()) if n.startswith("xl/charts/")
        ]
    return {
        "workbook": load_workbook(xlsx),
        "charts": charts,
        "page": lxml_html.fromstring((reports / f"{NAMES[language]}.html").read_bytes()),
        "index": lxml_html.fromstring((reports / "index.html").read_bytes()),
    }


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> tuple[Folder, dict[str, str]]:
    folder = Folder(tmp_path_factory.mktemp("zh-report") / "share")
    return folder, scripted(folder)


@pytest.fixture(scope="module")
def chinese(played: tuple[Folder, dict[str, str]]) -> dict[str, Any]:
    name_departments(played[0], DEPARTMENTS_ZH)
    try:
        return weekly(played[0], "zh-CN")
    finally:
        name_departments(played[0], {v: k for k, v in DEPARTMENTS_ZH.items()})


def chart_titles(charts: list[Any]) -> list[str]:
    """Each chart's own title (not its axes')."""
    return ["".join(x.xpath("c:chart/c:title//a:t/text()", namespaces={**C, **A})) for x in charts]


def test_the_workbook_names_its_sheets_and_heads_in_chinese(chinese: dict[str, Any]) -> None:
    wb = chinese["workbook"]
    assert wb.sheetnames == SHEETS_ZH
    ws = wb["图表"]
    assert ws["A1"].value == "Your Company Ltd. · 客户投诉周报 2026-W48"
    assert str(ws["A2"].value).startswith(
        "统计截至 2026年11月29日 23:59；图表统计 2026-W36 至 2026-W48"
    )
    heads = [ws.cell(row=4, column=c).value for c in range(1, ws.max_column + 1)]
    assert heads[:6] == [
        "本周立案",
        "本周结案",
        "期末未结案",
        "期末逾期",
        "期末被拒待处理文件",
        "本周重复投诉",
    ]
    assert "近13周立案" in heads and "近13周扣款（CNY）" in heads
    assert [c.value for c in wb["按类别"][1]] == ["类别", "投诉数（近13周）", "累计占比", "本周"]
    # categories as the registration form names them in Chinese: 质量, 运输损坏, 数量
    assert {r[0] for r in wb["按类别"].iter_rows(min_row=2, values_only=True)} == {
        "质量",
        "运输损坏",
        "数量",
    }
    assert [c.value for c in wb["期限"][1]] == [
        "期限",
        "按期完成",
        "延期完成",
        "未达成",
        "逾期",
        "未到期",
    ]
    deadlines = [r[0] for r in wb["期限"].iter_rows(min_row=2, values_only=True)]
    assert deadlines == ["向客户确认", "临时围堵措施", "改善措施完成", "结案"]
    open_cases = wb["未结案件"]
    assert [c.value for c in open_cases[1]][:3] == ["投诉编号", "客户名称", "产品"]
    overdue = [r[8] for r in open_cases.iter_rows(min_row=2, values_only=True) if r[8]]
    assert overdue and all("向客户确认" in o or "改善措施完成" in o for o in overdue)
    assert open_cases["G2"].number_format == 'yyyy"年"m"月"d"日" hh:mm'
    # departments by the names the settings give them
    assert {r[4] for r in open_cases.iter_rows(min_row=2, values_only=True)} == {"质量管理部"}
    assert {r[0] for r in wb["部门费用"].iter_rows(min_row=2, values_only=True)} == {
        "储运部",
        "生产部",
        "质量管理部",
    }


def test_the_charts_are_titled_in_chinese(chinese: dict[str, Any]) -> None:
    titles = chart_titles(chinese["charts"])
    for title in (
        "按类别统计投诉（柏拉图）",
        "每周立案与结案",
        "按客户统计投诉（前10名）",
        "期限达成情况：按期完成、延期完成、未达成、逾期、未到期",
        "按产品统计投诉（前10名）",
        "各部门转嫁工时",
    ):
        assert title in titles, title
    pareto = next(x for x in chinese["charts"] if "柏拉图" in "".join(x.itertext()))
    axes = pareto.xpath("//c:valAx/c:title//a:t/text()", namespaces={**C, **A})
    assert axes == ["投诉数", "累计占比"]
    # the series are named by their sheets' heads, and drawn from the Chinese sheets
    refs = [str(f) for x in chinese["charts"] for f in x.xpath("//c:f/text()", namespaces=C)]
    assert "'按周'!B1" in refs and "'期限'!B1" in refs and "'按类别'!$C$2:$C$4" in refs


@pytest.mark.libreoffice
def test_libreoffice_prints_the_chinese_charts(
    chinese: dict[str, Any], played: tuple[Folder, dict[str, str]], libreoffice: LibreOffice
) -> None:
    """The chart sheet printed by LibreOffice: one page, every chart title and a Chinese
    category and deadline in it as text (not boxes: the PDF carries the characters)."""
    xlsx = played[0].root / "Reports" / f"{NAME}.xlsx"
    [pdf] = libreoffice.to_pdf([xlsx], played[0].root.parent / "pdf")
    # LibreOffice spaces Latin apart from Chinese ("前 10 名"), as Chinese typesetting does
    first = re.sub(r"\s", "", PdfReader(pdf).pages[0].extract_text())
    for text in (
        "客户投诉周报 2026-W48",
        "按类别统计投诉（柏拉图）",
        "每周立案与结案",
        "按客户统计投诉（前10名）",
        "各部门转嫁工时",
        "运输损坏",
        "向客户确认",
        "累计占比",
    ):
        assert re.sub(r"\s", "", text) in first, text


def test_the_page_is_chinese(chinese: dict[str, Any]) -> None:
    page = chinese["page"]
    assert page.get("lang") == "zh-CN"
    assert "Noto Sans CJK SC" in "".join(page.xpath("//style/text()"))
    assert page.findtext(".//title") == "客户投诉周报 2026-W48"
    headings = [h.text_content() for h in page.xpath("//h2")]
    assert headings[:4] == [
        "按类别统计投诉（近13周，柏拉图）",
        "每周立案与结案",
        "按客户",
        "按产品",
    ]
    assert "期限达成情况（近13周）" in headings and "费用" in headings
    shown = [d.findtext("span") for d in page.xpath("//div[@id='headline']/div")]
    assert shown[0] == "本周立案"
    heads = page.xpath("//table[@id='open-cases']//th/text()")
    assert heads[:4] == ["投诉编号", "客户名称", "产品", "类别"]
    assert "向客户确认" in "".join(
        page.xpath("//table[@id='open-cases']//td[@class='overdue']/text()")
    )
    assert "统计截至 2026年11月29日 23:59" in page.xpath("string(//p[@class='note'])")
    index = chinese["index"]
    assert index.get("lang") == "zh-CN"
    assert index.findtext(".//h1") == "投诉报告"
    assert index.xpath("//ul[@id='reports']//a/text()")[1] == "工作簿"


def test_money_is_shown_as_chinese_write_it(chinese: dict[str, Any]) -> None:
    """Deductions as the packet shows an amount: ¥ and two decimals, on the page and in the
    workbook's cells (a number, shown by Excel's number format)."""
    page = chinese["page"]
    shown = {d.findtext("span"): d.findtext("b") for d in page.xpath("//div[@id='headline']/div")}
    assert shown["近13周扣款（CNY）"] == "¥1,200.50"
    by_department = page.xpath("//table[@id='costs-by-department']//tr/td[2]/text()")
    assert sorted(by_department) == ["¥0.00", "¥0.00", "¥1,200.50"]
    assert "¥1,200.50" in page.xpath("//table[@id='costs']//tr/td[4]/text()")
    wb = chinese["workbook"]
    heads = [c.value for c in wb["图表"][4]]
    cell = wb["图表"].cell(row=5, column=heads.index("近13周扣款（CNY）") + 1)
    assert cell.value == 1200.5 and cell.number_format == '"¥"#,##0.00'
    amounts = [r[1] for r in wb["部门费用"].iter_rows(min_row=2)]
    assert {c.number_format for c in amounts} == {'"¥"#,##0.00'}
    assert wb["费用"]["D2"].number_format == '"¥"#,##0.00'


def test_the_quarterly_report_is_chinese(played: tuple[Folder, dict[str, str]]) -> None:
    folder, _ = played
    speak(folder, "zh-CN")
    with App.open(folder.root, isolated=False) as app, use(app.settings.language):
        report = quarterly_report(
            app.registry,
            app.settings.policy,
            2026,
            4,
            datetime(2026, 11, 27, 12),
            app.company,
            app.settings.currency,
        )
        xlsx, html = write_report(app.folder.reports, report)
    wb = load_workbook(xlsx)
    assert wb.sheetnames == SHEETS_ZH
    heads = [c.value for c in wb["图表"][4] if c.value]
    assert heads[:2] == ["2026Q4立案", "2026Q4结案"]
    assert [c.value for c in wb["按类别"][1]] == ["类别", "投诉数（2026Q4）", "累计占比"]
    page = lxml_html.fromstring(html.read_bytes())
    assert page.findtext(".//h1").endswith("客户投诉季度报告 2026Q4")


def test_the_same_folder_back_in_english_reports_as_it_always_did(
    played: tuple[Folder, dict[str, str]], chinese: dict[str, Any]
) -> None:
    english = weekly(played[0], "en")
    wb = english["workbook"]
    assert wb.sheetnames == SHEETS_EN
    ws = wb["Charts"]
    assert ws["A1"].value == "Your Company Ltd. · Customer complaints, week 2026-W48"
    assert str(ws["A2"].value).startswith(
        "As of 2026-11-29 23:59; charts count 2026-W36 to 2026-W48. Written 2026-11-30 08:00."
    )
    heads = [ws.cell(row=4, column=c).value for c in range(1, 11)]
    assert heads == [
        "Opened this week",
        "Closed this week",
        "Open at the end",
        "Overdue at the end",
        "Refused, waiting at the end",
        "Repeats this week",
        "Opened, 13 weeks",
        "Closed, 13 weeks",
        "Deductions (CNY), 13 weeks",
        "Working hours, 13 weeks",
    ]
    assert [c.value for c in wb["Deadlines"][1]] == [
        "Deadline",
        "Met",
        "Late",
        "Missed",
        "Overdue",
        "Open",
    ]
    assert [r[0] for r in wb["Deadlines"].iter_rows(min_row=2, values_only=True)] == [
        "confirm",
        "containment",
        "actions",
        "close",
    ]
    assert wb["Open cases"]["G2"].number_format == "yyyy-mm-dd hh:mm"
    assert "Deadlines falling due: met, late, missed, overdue, open" in chart_titles(
        english["charts"]
    )
    page = english["page"]
    assert page.get("lang") == "en"
    assert [h.text_content() for h in page.xpath("//h2")][:2] == [
        "Complaints by category (13 weeks, Pareto)",
        "Opened and closed per week",
    ]
    assert page.xpath("string((//p[@class='key'])[2])") == "metlatemissedoverdueopen"
    assert english["index"].findtext(".//h1") == "Complaint reports"


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("部门费用", "部门费用"),
        ("Costs: by [department]?", "Costs  by  department"),
        ("'a/b\\c*'", "a b c"),
        ("成本" * 20, "成本" * 15 + "成"),
        ("::", "-"),
    ],
)
def test_a_translated_sheet_name_is_one_excel_takes(text: str, name: str) -> None:
    assert sheet_name(text) == name
    assert len(sheet_name(text)) <= 31


def test_a_folder_laid_out_in_chinese_reports_into_its_chinese_folders(tmp_path: Path) -> None:
    """`init --language zh-CN`: the weekly report goes into 报告/, in Chinese, and its links
    reach the Archive (档案/) and a case's page there."""
    root = tmp_path / "投诉"

    def run(*args: str) -> None:
        result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output

    run("init", str(root), "--language", "zh-CN")
    folders = load_settings(root).policy.folders
    values = {
        "complaint_date": date(2026, 11, 20),
        "customer": "杭州华联建材",
        "product": "断桥铝窗 W-200",
        "goods_received_date": date(2026, 11, 2),
        "category": "quality",
        "description": "型材表面划伤",
        "customer_requirement": ["repair"],
    }
    inbox = root / folders.inbox
    write_form(get_form("registration"), "docx", inbox / "登记.docx", values, language="zh-CN")
    run("ingest", str(root), "--now", "2026-11-20T10:00")
    run("ingest", str(root), "--now", "2026-11-23T08:00")  # Monday: W47 is over
    reports = root / folders.reports
    page = lxml_html.fromstring((reports / "2026-W47 周报.html").read_bytes())
    assert page.get("lang") == "zh-CN"
    assert page.findtext(".//h1").endswith("客户投诉周报 2026-W47")
    links = [unquote(href) for href in page.xpath("//a/@href")]
    assert f"../{folders.archive}/index.html" in links  # ../档案/index.html
    [case] = page.xpath("//table[@id='open-cases']//a/@href")
    assert (reports / unquote(case)).resolve().is_file()  # the case's page in 档案/
    index = lxml_html.fromstring((reports / "index.html").read_bytes())
    [archive] = index.xpath("//p/a/@href")
    assert (reports / unquote(archive)).resolve().is_file()
    assert load_workbook(reports / "2026-W47 周报.xlsx").sheetnames[0] == "图表"
