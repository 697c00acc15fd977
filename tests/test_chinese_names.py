"""What closedloop calls the files it writes for people, and the words around them, in a
folder laid out with `closedloop init --language zh-CN`: the weekly report `2026-W47 周报`,
the quarter's `2026Q4 季报` and `2026Q4 结案汇总`, verify's findings by their kind in words,
the auditor index's full stop, `closedloop mail` when mail is not set up. A folder whose
language changes keeps its reports: the weekly job does not write last week's report again,
the index lists both, and writing one again leaves it there once."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from urllib.parse import unquote

import pytest
from click.testing import CliRunner
from lxml import html as lxml_html

from app.settings import load_settings
from closedloop.cli import cli
from filing.folders import FolderNames
from forms.definition import get_form
from forms.writer import write_form
from tests.scenario import Folder
from tests.test_chinese_reports import speak
from tests.test_quarter import NOT_ESTABLISHED
from tests.test_scenarios import register

CUSTOMERS = ["杭州华联建材", "苏州金刚门窗"]
QUARTER_ZH = "2026Q4 客户投诉闭环"
AFTER_Q4 = "2027-01-05T09:00"


def run(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.stdout


def listed(reports: Path) -> list[tuple[str, str]]:
    """The reports `index.html` lists: each page's name and the file its link opens."""
    index = lxml_html.fromstring((reports / "index.html").read_bytes())
    links = index.xpath("//ul[@id='reports']/li/a[1]")
    return [(a.text_content(), unquote(a.get("href"))) for a in links]


@pytest.fixture
def chinese(tmp_path: Path) -> tuple[Path, FolderNames]:
    """A folder laid out in Chinese, two complaints found not established (closed) in W47,
    and the Monday after, when W47's report is due."""
    root = tmp_path / "投诉"
    run("init", str(root), "--language", "zh-CN")
    names = load_settings(root).policy.folders
    for i, customer in enumerate(CUSTOMERS):
        values = {
            "complaint_date": date(2026, 11, 20),
            "customer": customer,
            "product": "断桥铝窗 W-200",
            "goods_received_date": date(2026, 11, 2),
            "category": "quality",
            "description": "型材表面划伤",
            "customer_requirement": ["repair"],
            "established": False,
            "established_reason": "叉车造成的损坏",
        }
        inbox = root / names.inbox / f"登记 {i}.docx"
        write_form(get_form("registration"), "docx", inbox, values, language="zh-CN")
    run("ingest", str(root), "--now", "2026-11-20T10:00")
    return root, names


def test_the_weekly_report_is_named_in_chinese(chinese: tuple[Path, FolderNames]) -> None:
    root, names = chinese
    out = run("ingest", str(root), "--json", "--now", "2026-11-23T08:00")
    [result] = [json.loads(line) for line in out.splitlines()]
    assert (result["outcome"], result["file"]) == ("reported", "报告/2026-W47 周报.xlsx")
    reports = root / names.reports
    assert sorted(p.name for p in reports.iterdir()) == [
        "2026-W47 周报.html",
        "2026-W47 周报.xlsx",
        "index.html",
    ]
    assert listed(reports) == [("2026-W47 周报", "2026-W47 周报.html")]
    page = lxml_html.fromstring((reports / "2026-W47 周报.html").read_bytes())
    assert page.xpath("//a[contains(@href, '.xlsx')]/text()") == ["2026-W47 周报.xlsx"]


def test_the_quarter_is_sealed_with_a_chinese_summary_and_report_and_verifies(
    chinese: tuple[Path, FolderNames],
) -> None:
    root, names = chinese
    out = run("close-quarter", str(root), "2026Q4", "--now", AFTER_Q4)
    assert "附 2026Q4 结案汇总.xlsx、2026Q4 季报.xlsx 和 manifest.sha256" in out
    assert "Summary" not in out and "Quarterly Report" not in out
    sealed = root / names.archive / QUARTER_ZH
    files = sorted(p.name for p in sealed.iterdir() if p.is_file())
    assert files == ["2026Q4 季报.xlsx", "2026Q4 结案汇总.xlsx", "manifest.sha256"]
    manifest = (sealed / "manifest.sha256").read_text(encoding="utf-8")
    assert "2026Q4 季报.xlsx" in manifest and "2026Q4 结案汇总.xlsx" in manifest
    reports = root / names.reports
    assert ("2026Q4 季报", "2026Q4 季报.html") in listed(reports)
    # verify checks the sealed quarter by its manifest, whatever its files are called
    out = run("verify", str(root))
    assert "无缺失、无改动、无多余文件" in out
    # the auditor's index links the reports in a sentence that ends as Chinese ends one
    index = (root / names.archive / "index.html").read_text(encoding="utf-8")
    assert ">周报与季报</a>。</p>" in index


def test_verify_says_each_finding_by_its_kind_in_chinese(
    chinese: tuple[Path, FolderNames],
) -> None:
    root, names = chinese
    case = next((root / names.archive).glob("CC-2026-0001 *"))
    (case / "case.json").write_bytes((case / "case.json").read_bytes() + b" ")
    (case / "history.jsonl").unlink()
    (case / "多出来的.txt").write_text("?", encoding="utf-8")
    out = run("verify", str(root), code=1)
    found = [line.split()[0] for line in out.splitlines() if line.startswith("  ")]
    assert {"被改动", "缺失", "多余"} <= set(found), out
    for kind in ("altered", "missing", "unexpected", "registry", "chain", "history"):
        assert f"  {kind} " not in out, kind
    assert f"  缺失       {case.name}/history.jsonl：" in out
    # --json keeps the ids a program reads
    kinds = {f["kind"] for f in json.loads(run("verify", str(root), "--json", code=1))["findings"]}
    assert {"altered", "missing", "unexpected"} <= kinds


def test_mail_not_set_up_is_said_so(chinese: tuple[Path, FolderNames], tmp_path: Path) -> None:
    out = run("mail", str(chinese[0]))
    assert out == "未设置邮件（[mail] 的 host 为空）：不发送任何邮件。\n"
    english = tmp_path / "english"
    run("init", str(english))
    assert run("mail", str(english)) == (
        "Mail is not set up ([mail] host is empty): no e-mail is sent.\n"
    )


@pytest.fixture
def changing(tmp_path: Path) -> Folder:
    """An English folder with one complaint closed in W47 and the weekly report on."""
    folder = Folder(tmp_path / "share")
    folder.setting("weekly = false", "weekly = true")
    register(folder, "2026-11-20T10:00", Customer="ACME Windows", **NOT_ESTABLISHED)
    return folder


def outcomes(folder: Folder, now: str) -> list[tuple[str, str]]:
    return [(r["outcome"], r["file"]) for r in folder.ingest(now)]


def test_a_folder_made_chinese_keeps_its_english_reports(changing: Folder) -> None:
    folder = changing
    reports = folder.root / "Reports"
    assert outcomes(folder, "2026-11-23T08:00") == [
        ("reported", "Reports/2026-W47 Weekly Report.xlsx")
    ]
    speak(folder, "zh-CN")
    # W47's report is there, in English: the weekly job does not write it again in Chinese
    assert outcomes(folder, "2026-11-24T08:00") == []
    assert not (reports / "2026-W47 周报.xlsx").exists()
    assert outcomes(folder, "2026-11-30T08:00") == [("reported", "Reports/2026-W48 周报.xlsx")]
    assert listed(reports) == [
        ("2026-W48 周报", "2026-W48 周报.html"),
        ("2026-W47 Weekly Report", "2026-W47 Weekly Report.html"),
    ]
    # written again on purpose: in Chinese now, and there once
    out = folder.run(
        "report", "weekly", str(folder.root), "--week", "2026-W47", "--now", "2026-11-30T09:00"
    )
    assert "Reports/2026-W47 周报.xlsx" in out
    assert sorted(p.name for p in reports.glob("2026-W47*")) == [
        "2026-W47 周报.html",
        "2026-W47 周报.xlsx",
    ]
    assert [name for name, _ in listed(reports)] == ["2026-W48 周报", "2026-W47 周报"]


def test_a_quarter_closed_again_in_another_language_holds_each_file_once(
    changing: Folder,
) -> None:
    folder = changing
    out = folder.run("close-quarter", str(folder.root), "2026Q4", "--now", AFTER_Q4)
    assert "with 2026Q4 Summary.xlsx, 2026Q4 Quarterly Report.xlsx and manifest.sha256" in out
    sealed = folder.root / "Archive" / "2026Q4 Customer Complaint Closed-Loop"
    speak(folder, "zh-CN")
    folder.run("close-quarter", str(folder.root), "2026Q4", "--now", AFTER_Q4)
    files = sorted(p.name for p in sealed.iterdir() if p.is_file())
    assert files == ["2026Q4 季报.xlsx", "2026Q4 结案汇总.xlsx", "manifest.sha256"]
    assert sorted(p.name for p in (folder.root / "Reports").glob("2026Q4*")) == [
        "2026Q4 季报.html",
        "2026Q4 季报.xlsx",
    ]
    verified = json.loads(folder.run("verify", str(folder.root), "--json"))
    assert verified["findings"] == []
