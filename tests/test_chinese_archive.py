"""The archive speaks the folder's language: a shared folder laid out with `init --language
zh-CN` plays a complaint to closure, and its closure packet's cover and the auditor's
index and case page are in Chinese (lang="zh-CN", Chinese headings, states, deadlines,
dates and money as Chinese writes them, the history's notes in words); the index's search
finds a Chinese customer, and the links into Chinese-named folders resolve from file://."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlparse

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from app.settings import load_settings
from archive.page_words import css_content
from archive.timeline import event_words, note_text
from archive.verify import verify_case
from closedloop.cli import cli
from forms.definition import get_form
from forms.writer import write_form
from language import use
from tests.office import LibreOffice
from tests.test_auditor import chromium, open_page, rows

__all__ = ["chromium"]  # the fixture, used by the tests below

pytestmark = pytest.mark.libreoffice
COMPANY = "苏州精工门窗有限公司"
CUSTOMER = "杭州华联建材"
DAY = date(2026, 11, 20)


def _run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def _file(
    root: Path,
    name: str,
    form_id: str,
    values: dict[str, Any],
    now: str,
    case_id: str | None = None,
) -> dict[str, Any]:
    """A form written in Chinese (as the site's blanks are), filled, put into the Inbox
    and filed by one pass."""
    inbox = root / load_settings(root).policy.folders.inbox
    write_form(get_form(form_id), "docx", inbox / name, values, case_id, COMPANY, language="zh-CN")
    out = _run("ingest", str(root), "--json", "--now", now)
    results = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert results[0]["outcome"] == "filed", results
    return results[0]


@pytest.fixture(scope="module")
def closed(tmp_path_factory: pytest.TempPathFactory, libreoffice: LibreOffice) -> Path:
    """A Chinese folder, one complaint played to closure with its packet built."""
    root = tmp_path_factory.mktemp("zh") / "投诉"
    play_to_closure(root)
    return root


def play_to_closure(root: Path) -> None:
    """A folder laid out in Chinese at `root`; one complaint registered, its CAPA and the
    customer's survey filed: closed, its packet built (docs/packet_picture.py too)."""
    _run("init", str(root), "--language", "zh-CN")
    settings = root / "closedloop.toml"
    text = settings.read_text(encoding="utf-8").replace("贵公司名称", COMPANY)
    settings.write_text(text.replace("weekly = true", "weekly = false"), encoding="utf-8")
    case_id = _file(
        root,
        "投诉登记.docx",
        "registration",
        {
            "complaint_date": DAY,
            "customer": CUSTOMER,
            "product": "断桥铝窗 W-200",
            "goods_received_date": date(2026, 11, 2),
            "category": "transport_damage",
            "description": "10 樘中 3 樘玻璃破裂",
            "customer_requirement": ["explanation"],
            "established": True,
            "registered_by": "王梅",
        },
        "2026-11-20T10:00",
    )["case_id"]
    _file(
        root,
        "纠正预防.docx",
        "capa",
        {
            "root_cause": "缓冲泡沫过薄，经不起 4 小时振动",
            "actions": [
                {"action": "加厚缓冲泡沫", "owner": "李伟", "due": DAY, "done": date(2026, 11, 25)}
            ],
            "verification": "振动 4 小时加跌落 3 次，破损率 15% 降为 0",
            "responsible_person": "李伟",
            "responsibility_type": "own_controllable",
            "handling_plan": "exchange",
            "deduction_amount": 2400,
            "prepared_by": "李伟",
            "prepared_date": date(2026, 11, 26),
            "plan_approved_by": "赵总",
            "plan_approved_date": date(2026, 11, 24),
        },
        "2026-11-26T09:00",
        case_id,
    )
    _file(
        root,
        "满意度.docx",
        "satisfaction_survey",
        {
            "customer_accepts": True,
            "rating_speed": "very_satisfied",
            "rating_solution": "satisfied",
            "rating_communication": "satisfied",
            "customer_comments": "新包装完好，谢谢",
            "surveyed_by": "王梅",
        },
        "2026-11-27T10:30",
        case_id,
    )


def _case_folder(root: Path) -> Path:
    [folder] = (root / "档案").glob("CC-2026-0001 *")
    return folder


def test_the_packet_cover_is_in_chinese(closed: Path) -> None:
    packet = _case_folder(closed) / "CC-2026-0001 Closure Packet.pdf"
    reader = PdfReader(packet)
    cover = "".join(page.extract_text() for page in reader.pages[:2])
    for words in (
        COMPANY,  # the company heads the cover
        "CC-2026-0001 结案资料包",
        "投诉概要",
        "投诉编号",
        "客户名称",
        CUSTOMER,
        "运输损坏",  # the category as the Chinese form names it
        "储运部",  # the responsible department by its Chinese outbox
        "已结案",
        "客户认可处理结果",
        "期限",
        "按期完成",
        "逾期未完成",  # the confirmation to the customer was never recorded
        "责任与费用",
        "¥2,400.00",
        "客户评价",
        "非常满意",
        "签字确认",
        "时间线",
        "投诉成立；转储运部",  # the history's note, in words
        "已归档",
        "2026年11月20日",
        "文件",
        "纠正与预防措施报告",
    ):
        assert words in cover, words
    for english in ("Closure Packet", "Deadlines", "Timeline", "established", "Resolution"):
        assert english not in cover, english
    assert reader.outline[0].title == "投诉概要、期限与时间线"
    assert reader.metadata is not None and reader.metadata.title == "CC-2026-0001 结案资料包"


def test_the_auditor_pages_are_in_chinese(closed: Path, chromium: str) -> None:
    index_path = closed / "档案" / "index.html"
    text = index_path.read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in text and '"Noto Sans CJK SC"' in text
    index_url = index_path.as_uri()
    index = open_page(chromium, index_url + "?now=2026-12-01T00:00")
    assert index.xpath("//h1")[0].text_content() == "客户投诉档案"
    assert [th.text_content() for th in index.xpath("//thead//th")][:3] == [
        "投诉编号",
        "客户名称",
        "产品",
    ]
    assert rows(index) == ["CC-2026-0001"]
    assert index.get_element_by_id("count").text == "1 个案件中 1 个符合条件"
    [row] = index.xpath('//tr[@class="case"]')
    cells = [td.text_content() for td in row.xpath("td")]
    assert cells[1:5] == [CUSTOMER, "断桥铝窗 W-200", "运输损坏", "已结案"]
    assert cells[7] == "2026年11月20日 10:00"
    # Search by the Chinese customer name, whole or in part; a name not there finds none.
    assert rows(open_page(chromium, index_url + "?q=华联建材")) == ["CC-2026-0001"]
    assert rows(open_page(chromium, index_url + "?q=杭州+断桥铝窗")) == ["CC-2026-0001"]
    assert rows(open_page(chromium, index_url + "?q=已结案")) == ["CC-2026-0001"]
    assert rows(open_page(chromium, index_url + "?q=上海")) == []

    [link] = [a.get("href") for a in row.xpath(".//a")]
    page_url = urljoin(index_url, link)
    page = open_page(chromium, page_url + "?now=2026-12-01T00:00")
    assert page.xpath("/html")[0].get("lang") == "zh-CN"
    assert page.xpath("//h1")[0].text_content() == f"CC-2026-0001 {CUSTOMER}"
    headings = [h.text_content() for h in page.xpath("//h2")]
    assert headings == ["期限", "时间线", "文件"]
    assert page.get_element_by_id("state").text == "已结案"
    statuses = [
        td.text for td in page.xpath('//table[@id="deadlines"]//td[contains(@class, "status")]')
    ]
    assert "按期完成" in statuses and "逾期未完成" in statuses
    timeline = page.get_element_by_id("timeline").text_content()
    assert "投诉成立；转储运部" in timeline and "客户认可" in timeline
    documents = page.get_element_by_id("documents").text_content()
    assert "客户投诉登记表（第 1 版）" in documents
    # The links into the Chinese-named folders (档案, the customer's case folder) are
    # percent-encoded and resolve to the files.
    hrefs = [a.get("href") for a in page.xpath('//a[@class="document"]')]
    assert hrefs and all(re.fullmatch(r"[\x21-\x7e]+", h) for h in hrefs), hrefs
    for href in [*hrefs, page.get_element_by_id("packet").get("href")]:
        target = Path(unquote(urlparse(urljoin(page_url, href)).path))
        assert target.is_file(), target
    reports = urljoin(index_url, index.get_element_by_id("reports").get("href"))
    assert Path(unquote(urlparse(reports).path)).parent == closed / "报告"


def test_an_english_folder_changed_to_chinese_writes_its_pages_anew(tmp_path: Path) -> None:
    root = tmp_path / "share"
    _run("init", str(root))
    write_form(
        get_form("registration"),
        "docx",
        root / "Inbox" / "new.docx",
        {
            "complaint_date": DAY,
            "customer": "ACME",
            "product": "W-200",
            "goods_received_date": DAY,
            "category": "quality",
            "description": "Scratched frame",
            "customer_requirement": ["explanation"],
        },
    )
    _run("ingest", str(root), "--now", "2026-11-20T10:00")
    index = root / "Archive" / "index.html"
    assert '<html lang="en">' in index.read_text(encoding="utf-8")
    assert "Awaiting triage" in (
        root / "Archive" / "Auditor pages" / "CC-2026-0001.html"
    ).read_text(encoding="utf-8")
    settings = root / "closedloop.toml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text.replace('language = "en"', 'language = "zh-CN"'), encoding="utf-8")
    _run("ingest", str(root), "--now", "2026-11-20T11:00")
    assert '<html lang="zh-CN">' in index.read_text(encoding="utf-8")
    page = (root / "Archive" / "Auditor pages" / "CC-2026-0001.html").read_text(encoding="utf-8")
    assert "待判定" in page and "时间线" in page


def test_history_notes_in_words() -> None:
    outboxes = {"storage_transportation": "储运部", "after_sales": "售后服务部", "rnd": "研发部"}
    with use("zh-CN"):
        assert note_text("established; to storage_transportation", outboxes) == "投诉成立；转储运部"
        assert (
            note_text("goods received; repair by after_sales", outboxes)
            == "已收到退货；由售后服务部维修"
        )
        assert (
            note_text(
                "actions done, verified, plan approved; every part done, survey to the customer",
                outboxes,
            )
            == "措施已完成，效果已验证，方案已批准；各项工作已完成，发送客户满意度调查"
        )
        assert note_text("customer does not accept; registered again as CC-2026-0007", {}) == (
            "客户不认可；已重新登记为 CC-2026-0007"
        )
        assert note_text("samples by rnd", outboxes) == "样品由研发部负责"
        assert (
            note_text("something an older closedloop wrote", {})
            == "something an older closedloop wrote"
        )
        assert event_words("filed version 2 (supersedes 1)") == "第 2 版已归档（替代第 1 版）"
    # English: the notes as they always were shown.
    assert note_text("established; to storage_transportation", outboxes) == "established; to 储运部"
    assert event_words("filed") == "filed"


def test_words_in_a_css_content_cannot_leave_it() -> None:
    assert str(css_content("Cover, page {page} of {pages}")) == (
        '"Cover, page " counter(page) " of " counter(pages)'
    )
    assert str(css_content('a "quoted" </style> name')) == r'"a \22 quoted\22  \3C /style\3E  name"'


def test_verify_says_what_it_finds_in_chinese(closed: Path, tmp_path: Path) -> None:
    """verify's findings keep their kinds (ids) and say the rest in the language in use."""
    copy = tmp_path / "copy"
    shutil.copytree(_case_folder(closed), copy)
    original = copy / "01 客户投诉登记表 v1.docx"
    original.chmod(0o644)
    original.write_bytes(original.read_bytes() + b"x")
    (copy / "note.txt").write_text("added by hand", encoding="utf-8")
    with use("zh-CN"):
        findings = {f.file: (f.kind, f.detail) for f in verify_case(copy).findings}
    kind, detail = findings["01 客户投诉登记表 v1.docx"]
    assert kind == "altered" and detail.startswith("SHA-256 为 ") and "文件清单中记录为" in detail
    assert findings["note.txt"] == ("unexpected", "案件文件夹中有，文件清单中却没有")
    english = {f.file: f.detail for f in verify_case(copy).findings}
    assert english["note.txt"] == "in the folder, not in the manifest"
