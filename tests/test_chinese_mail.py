"""The mail of a folder made with `closedloop init --language zh-CN`, received by a real SMTP
server on loopback: the issued form's mail, the daily digest (the whole list and a
department's part) and a refusal's mail arrive with Chinese subjects (encoded on the wire,
decoded intact) and Chinese bodies; the attachment keeps its Chinese name."""

from __future__ import annotations

import re
import sqlite3
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import docx
import pytest
from click.testing import CliRunner

from app.settings import load_settings
from closedloop.cli import cli
from filing.folders import FolderNames
from forms.definition import all_forms, get_form
from language import use
from mail.compose import PURPOSES, purpose, why_words
from tests.smtp import Mailbox

LOGISTICS = "logistics@example.com"
WINDOW = "window@example.com"
MANAGER = "quality.manager@example.com"
CUSTOMER = "华东门窗有限公司"
CAPA = get_form("capa").title_in("zh-CN")
# A registration as a Chinese clerk fills it in: Chinese dates, choices and yes/no.
REGISTRATION = {
    "complaint_date": "2026年11月20日",
    "customer": CUSTOMER,
    "product": "W-200 断桥铝窗",
    "goods_received_date": "2026年11月2日",
    "category": "运输损坏",
    "description": "10樘中有3樘玻璃破裂",
    "customer_requirement": "解释说明",
    "registered_by": "李梅",
    "established": "是",
}


class ChineseFolder:
    def __init__(self, root: Path, port: int) -> None:
        self.root = root
        self.run("init", str(root), "--language", "zh-CN")
        self.set("closure_packets = true", "closure_packets = false")
        self.set("weekly = true", "weekly = false")
        self.set('host = ""', 'host = "127.0.0.1"')
        self.set("port = 25", f"port = {port}")
        self.set(
            "[mail.departments]\n",
            f'[mail.departments]\nstorage_transportation = "{LOGISTICS}"\n'
            f'customer_window = "{WINDOW}"\n',
        )
        self.folders: FolderNames = load_settings(root).policy.folders

    def set(self, old: str, new: str) -> None:
        path = self.root / "closedloop.toml"
        text = path.read_text(encoding="utf-8")
        assert old in text, old
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    def run(self, *args: str) -> str:
        result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.stdout

    def ingest(self, now: str) -> list[str]:
        result = CliRunner().invoke(cli, ["ingest", str(self.root), "--now", now])
        assert result.exit_code in (0, 1), result.output
        return result.stdout.splitlines()

    def save(self, values: dict[str, str], name: str) -> None:
        """A blank registration filled by its fields (whatever language its labels are in)
        and saved into the Inbox, as the settings name it."""
        blank = self.root / ".." / f"blank-{name}"
        self.run("forms", "blank", "registration", "--format", "docx", "-o", str(blank))
        fill_by_field(blank, values)
        blank.rename(self.root / self.folders.inbox / name)


def fill_by_field(path: Path, values: dict[str, str]) -> None:
    """Type each value into the cell right of its field's label (found by the label cell's
    bookmark `cl_<field id>`, so the labels' language does not matter)."""
    d = docx.Document(str(path))
    todo = dict(values)
    for table in d.tables:
        for row in table.rows:
            cells = row.cells
            for i, cell in enumerate(cells[:-1]):
                for name in cell._tc.xpath(".//w:bookmarkStart/@w:name"):
                    field = str(name).removeprefix("cl_")
                    if field in todo:
                        cells[i + 1].text = todo.pop(field)
    assert not todo, f"fields not found: {sorted(todo)}"
    d.save(str(path))


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def raw_subject(mailbox: Mailbox, i: int) -> str:
    """The Subject header as it went over the wire (folded lines joined)."""
    raw = (mailbox.envelopes[i].original_content or b"").decode("ascii")
    head = raw.split("\r\n\r\n", 1)[0].replace("\r\n ", " ")
    [subject] = re.findall(r"^Subject: (.*)$", head, re.M)
    return subject


@pytest.fixture
def folder(tmp_path: Path, port: int) -> ChineseFolder:
    return ChineseFolder(tmp_path / "share", port)


def test_an_issued_form_is_mailed_in_chinese_with_its_chinese_name(
    folder: ChineseFolder, mailbox: Mailbox
) -> None:
    folder.save(REGISTRATION, "投诉 001.docx")
    folder.ingest("2026-11-20T10:00")
    [message] = mailbox.messages
    assert mailbox.envelopes[0].rcpt_tos == [LOGISTICS]
    assert message["Subject"] == f"CC-2026-0001 {CAPA}：{CUSTOMER}"
    # on the wire the subject is ASCII: RFC 2047 encoded words of UTF-8
    wire = raw_subject(mailbox, 0)
    assert wire.isascii() and "=?utf-8?" in wire.lower()
    text = text_of(message)
    department = load_settings(folder.root).policy.outboxes["storage_transportation"]
    for line in (
        f"发给{department}的{CAPA}，投诉编号 CC-2026-0001",
        "投诉编号： CC-2026-0001",
        f"客户名称： {CUSTOMER}",
        "产品名称： W-200 断桥铝窗",
        "类别：     运输损坏",
        "填写内容：根本原因、责任判定、纠正措施与预防措施",
        "发出原因：投诉成立",
        "到期时间：2026年11月27日 23:59（期限：改善措施完成）",
        "表单已预填并作为附件发送",
        f"放入“{folder.folders.inbox}”文件夹",
    ):
        assert line in text, line
    assert "What is asked" not in text and "Due:" not in text
    [attachment] = list(message.iter_attachments())
    issued = list((folder.root / folder.folders.outbox / department).glob("CC-2026-0001 *"))
    assert [attachment.get_filename()] == [p.name for p in issued]
    assert attachment.get_content() == issued[0].read_bytes()


def test_the_digest_is_chinese_for_the_manager_and_for_a_department(
    folder: ChineseFolder, mailbox: Mailbox
) -> None:
    folder.set("digest_to = []", f'digest_to = ["{MANAGER}"]')
    folder.save(REGISTRATION, "投诉 001.docx")  # never confirmed: confirm due 23 Nov
    folder.ingest("2026-11-20T10:00")
    mailbox.messages.clear()
    mailbox.envelopes.clear()
    folder.ingest("2026-11-25T08:00")
    whole, part = mailbox.messages
    department = load_settings(folder.root).policy.outboxes["storage_transportation"]
    assert whole["Subject"] == "投诉日报 2026年11月25日：逾期 1 项，即将到期 0 项"
    assert (
        str(part["Subject"]).strip()
        == f"{department}：投诉日报 2026年11月25日：逾期 1 项，即将到期 0 项"
    )
    assert raw_subject(mailbox, 0).isascii()
    text = text_of(whole)
    overdue, soon = re.split(r"\n即将到期\r?\n", text)
    assert text.startswith("2026年11月25日客户投诉汇总：逾期 1 项，2 天内到期 0 项。")
    assert overdue.splitlines()[2] == "逾期"
    assert "CC-2026-0001  向客户确认 已于 2026年11月23日 23:59 到期" in overdue
    assert f"{CUSTOMER} · W-200 断桥铝窗 · {department} · 待提交：{CAPA}" in overdue
    assert "未来 2 天内无到期事项。" in soon
    assert "档案链" in soon and "事件 " in soon
    assert f"客户投诉汇总（{department}）：逾期 1 项" in text_of(part)
    assert "档案链" not in text_of(part)
    for english in ("OVERDUE", "DUE SOON", "was due", "Nothing", "ARCHIVE CHAIN"):
        assert english not in text, english


def test_a_refusal_is_mailed_in_chinese(folder: ChineseFolder, mailbox: Mailbox) -> None:
    # No customer, no category: the customer window that registers it is told
    broken = {k: v for k, v in REGISTRATION.items() if k not in ("customer", "category")}
    folder.save(broken, "投诉 002.docx")
    folder.ingest("2026-11-20T10:00")
    # the refusal, then the window's part of the digest (past 08:00), which counts it
    message, digest = mailbox.messages
    assert [e.rcpt_tos for e in mailbox.envelopes] == [[WINDOW], [WINDOW]]
    assert message["Subject"] == "被拒收：投诉 002.docx"
    assert raw_subject(mailbox, 0).isascii()
    names = folder.folders
    text = text_of(message)
    for words in (
        f"保存到“{names.inbox}”的文件被拒收：投诉 002.docx",
        "问题：",
        "处理方法：",
        f"该文件在共享文件夹的“{names.quarantine}”中，旁边附有内容相同的说明：",
        f"{names.quarantine}/投诉 002.docx",
        f"请将改正后的文件重新保存到“{names.inbox}”文件夹",
        # where a settled refusal goes, as the folder names it: 隔离/已处理/
        f"{names.quarantine}/{names.settled}/。",
    ):
        assert words in text, words
    assert (names.quarantine, names.settled) == ("隔离", "已处理")
    assert "Inbox" not in text and "Quarantine" not in text and "Settled" not in text
    window = load_settings(folder.root).policy.outboxes["customer_window"]
    assert digest["Subject"] == (
        f"{window}：投诉日报 2026年11月20日：逾期 0 项，即将到期 0 项，被拒收文件 1 个"
    )
    assert f"被拒收文件（在“{names.quarantine}”中等待处理）" in text_of(digest)
    assert "投诉 002.docx，2026年11月20日 10:00 被拒收" in text_of(digest)


def test_mail_queued_in_chinese_keeps_ids_where_machines_read(
    folder: ChineseFolder, mailbox: Mailbox
) -> None:
    """The queue's key and kind stay ids; only what a person reads is Chinese."""
    folder.save(REGISTRATION, "投诉 001.docx")
    folder.ingest("2026-11-20T10:00")
    db = sqlite3.connect(folder.root / ".closedloop" / "registry.sqlite")
    rows: list[Any] = db.execute("SELECT kind, key, subject FROM mail ORDER BY id").fetchall()
    db.close()
    (kind, key, subject), *_ = rows
    assert (kind, key.split(":")[:2]) == ("issued", ["issued", "CC-2026-0001"])
    assert CUSTOMER in subject and CAPA in subject
    # each department's part of the digest is keyed by its id, whatever its name
    assert sorted(key for _k, key, _s in rows[1:]) == [
        "digest:2026-11-20:customer_window",
        "digest:2026-11-20:storage_transportation",
    ]


def test_every_form_says_what_it_asks_in_chinese() -> None:
    """The mail's catalog holds each definition's purpose: a purpose reworded in a
    definition fails here until the catalog has it (the mail would fall back to English)."""
    for form in all_forms().values():
        assert PURPOSES[form.id] == form.purpose, form.id
        with use("zh-CN"):
            said = purpose(form)
        assert said != form.purpose and re.search(r"[\u4e00-\u9fff]", said), form.id


@pytest.mark.parametrize(
    ("why", "said"),
    [
        ("registered; triage it", "已登记，请判定投诉是否成立"),
        ("customer asks for exchange, return", "客户要求换货、退货"),
        ("re-registers CC-2026-0007", "重新登记 CC-2026-0007"),
        ("3 hosts, 1 accessories received", "已收到主机 3 件、配件 1 件"),
        ("a reason an older closedloop wrote", "a reason an older closedloop wrote"),
    ],
)
def test_why_a_form_is_issued_is_said_in_chinese(why: str, said: str) -> None:
    with use("zh-CN"):
        assert why_words(why) == said
    assert why_words(why) == why  # English: as the filing rules write it
