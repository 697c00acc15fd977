"""A whole case in a Chinese shared folder, as its people meet it: a clerk fills the
blank 客户投诉登记表 by its Chinese labels with Chinese choice words, a bad form is refused
with a note in Chinese, 储运部 gets its 8D report (and an e-mail) in Chinese, the customer
window files the survey, the case closes; the note, the mail, the packet cover, the auditor's
page, the weekly report and `status` all speak Chinese. And an English folder files a form
filled in Chinese."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from openpyxl import load_workbook
from pypdf import PdfReader

from closedloop.cli import cli
from tests.office import LibreOffice
from tests.scenario import Folder
from tests.smtp import Mailbox, free_port

pytestmark = pytest.mark.libreoffice

# Filled by a clerk by the form's Chinese labels, with Chinese choice words.
REGISTRATION = {
    "投诉日期": "2026-11-20",
    "客户名称": "浙江精工门窗",
    "产品名称/规格型号": "断桥铝平开窗 W-200",
    "收货日期": "2026-11-02",
    "类别": "运输损坏",
    "不良现象": "10樘中有3樘玻璃破裂",
    "客户要求": "解释说明",
    "登记人": "王梅",
    "投诉是否成立": "是",
}
CAPA = {
    "根本原因": "缓冲泡棉太薄，经不起4小时振动",
    "效果验证": "4小时振动加3次跌落后破损率由15%降为0",
    "方案批准": "赵总",
    "方案批准日期": "2026-11-20",
}
ACTIONS = (
    ["措施内容", "负责人", "计划完成日期", "实际完成日期"],
    [["加厚泡棉", "李工", "2026-11-27", "2026-11-20"]],
)


def with_mail(folder: Folder, port: int) -> Folder:
    folder.setting('host = ""', 'host = "127.0.0.1"')
    folder.setting("port = 25", f"port = {port}")
    folder.setting("digest_departments = true", "digest_departments = false")
    folder.setting(
        '# "储运部" = ["logistics@example.com", "warehouse@example.com"]',
        '"储运部" = "logistics@example.com"\ncustomer_window = "window@example.com"',
    )
    folder.setting("weekly = false", "weekly = true")
    return folder


def text_of(message: Any) -> str:
    return str(message.get_body(preferencelist=("plain",)).get_content())


@pytest.fixture(scope="module")
def played(
    tmp_path_factory: pytest.TempPathFactory, libreoffice: LibreOffice
) -> tuple[Folder, Mailbox, str]:
    port = free_port()
    box = Mailbox()
    server = Controller(box, hostname="127.0.0.1", port=port)
    server.start()
    try:
        folder = with_mail(
            Folder(tmp_path_factory.mktemp("zh") / "投诉共享", packets=True, language="zh-CN"),
            port,
        )
        # A form with a date that is no date: refused, with a note in Chinese.
        folder.save(folder.blank("registration"), {**REGISTRATION, "投诉日期": "上周二"})
        results = folder.ingest("2026-11-20T09:00")
        refused = [r["file"] for r in results if r["outcome"] == "refused"]
        # (the file's number counts across the tests of a run)
        assert len(refused) == 1 and refused[0].endswith(" 客户投诉登记表.docx"), refused
        folder.save(folder.blank("registration"), REGISTRATION)
        results = folder.ingest("2026-11-20T10:00")
        case_id = next(r["case_id"] for r in results if r["outcome"] == "filed")
        folder.save(folder.outbox("储运部", case_id, "capa"), CAPA, ACTIONS)
        folder.ingest("2026-11-26T09:00")
        folder.save(
            folder.outbox("客服窗口", case_id, "satisfaction_survey"),
            {"客户是否认可处理结果": "是", "处理结果满意度": "满意"},
        )
        folder.ingest("2026-11-26T10:00")
        folder.ingest("2026-12-01T08:30")  # last week's report, and the digest
    finally:
        server.stop()
    return folder, box, case_id


def test_the_case_closes_filed_by_chinese_labels(played: tuple[Folder, Mailbox, str]) -> None:
    folder, _, case_id = played
    status = json.loads(folder.run("status", str(folder.root), case_id, "--json"))
    # JSON stays language-neutral: ids, not words.
    assert (status["state"], status["resolution"]) == ("closed", "accepted")
    filed = {f["form"] for f in status["filed"]}
    assert filed == {"registration", "capa", "satisfaction_survey"}
    words = CliRunner().invoke(cli, ["status", str(folder.root), case_id]).output
    assert "已结案" in words and "客户认可处理结果" in words


def test_the_refusal_note_is_in_chinese(played: tuple[Folder, Mailbox, str]) -> None:
    folder, _, _ = played
    notes = list((folder.root / "隔离").rglob("*.txt"))
    assert notes, "no note in 隔离"
    note = notes[0].read_text(encoding="utf-8")
    assert "投诉日期" in note and "上周二" in note
    assert "2026年11月20日" in note


def test_the_mail_is_in_chinese(played: tuple[Folder, Mailbox, str]) -> None:
    _, box, case_id = played
    issued = [m for m in box.messages if case_id in str(m["Subject"]) and "8D" in str(m["Subject"])]
    assert issued, [str(m["Subject"]) for m in box.messages]
    body = text_of(issued[0])
    assert "纠正与预防措施报告" in body and "浙江精工门窗" in body


def test_the_packet_cover_is_in_chinese(played: tuple[Folder, Mailbox, str]) -> None:
    folder, _, case_id = played
    [packet] = (folder.root / "档案").glob(f"{case_id} */*.pdf")
    cover = PdfReader(io.BytesIO(packet.read_bytes())).pages[0].extract_text()
    assert "已结案" in cover and "浙江精工门窗" in cover and "储运部" in cover


def test_the_auditor_pages_are_in_chinese(played: tuple[Folder, Mailbox, str]) -> None:
    folder, _, case_id = played
    index = (folder.root / "档案" / "index.html").read_text(encoding="utf-8")
    assert 'lang="zh-CN"' in index
    assert all(words in index for words in ("客户投诉档案", "投诉编号", "客户名称", "结案时间"))
    [page] = (folder.root / "档案").glob(f"*/{case_id}.html")
    text = page.read_text(encoding="utf-8")
    assert 'lang="zh-CN"' in text and "已结案" in text and "运输损坏" in text


def test_the_weekly_report_is_in_chinese(played: tuple[Folder, Mailbox, str]) -> None:
    folder, _, _ = played
    workbooks = sorted((folder.root / "报告").glob("*.xlsx"))
    assert workbooks
    for workbook in workbooks:
        sheets = " ".join(load_workbook(workbook).sheetnames)
        assert any("\u4e00" <= c <= "\u9fff" for c in sheets), sheets
    pages = sorted((folder.root / "报告").glob("*.html"))
    assert pages and all('lang="zh-CN"' in p.read_text(encoding="utf-8") for p in pages)


def test_an_english_folder_files_a_form_filled_in_chinese(tmp_path: Path) -> None:
    chinese = Folder(tmp_path / "zh", language="zh-CN")
    english = Folder(tmp_path / "en")
    filled = chinese.save(chinese.blank("registration"), REGISTRATION)
    target = english.root / "Inbox" / filled.name
    target.write_bytes(filled.read_bytes())
    filled.unlink()
    [result] = english.ingest("2026-11-20T10:00")
    assert result["outcome"] == "filed", result
    status = english.status(result["case_id"], "2026-11-20T10:00")
    assert status["category"] == "transport_damage"
    assert status["customer"] == "浙江精工门窗"
