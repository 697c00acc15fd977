"""A shared folder whose language is Chinese: what the application and the command say to
people is in Chinese (the quarantine note, the outboxes' To do pages, `status`, `ingest`,
`cases`, `doctor`, errors, the service's log), while `--json` keeps the same keys and ids
as an English folder's, and an English folder says what it always said."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from app.results import FileResult
from app.settings import load_settings
from closedloop.cli import cli
from tests.office import fill_docx
from tests.scenario import REGISTRATION
from watcher.service import Watcher

REGISTERED_AT = "2026-11-20T10:00"
LATE = "2026-11-25T10:00"  # past the registration's deadline to confirm to the customer
GAP = {"Customer": "ACME Windows"}  # a registration missing its required fields


def run(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def laid_out(root: Path, language: str) -> Path:
    """`closedloop init`, then the folder's language set in its settings (its folders keep
    their English names), with the Word blank of the registration kept aside as it was."""
    run("init", str(root))
    settings = root / "closedloop.toml"
    text = settings.read_text(encoding="utf-8")
    for old, new in (
        ('language = "en"', f'language = "{language}"'),
        ("closure_packets = true", "closure_packets = false"),
        ("weekly = true", "weekly = false"),
    ):
        assert old in text, old
        text = text.replace(old, new)
    settings.write_text(text, encoding="utf-8")
    blank = root.parent / f"{root.name} registration.docx"
    shutil.copyfile(root / "Blank Forms" / "Complaint Registration Form.docx", blank)
    return blank


def save(root: Path, blank: Path, name: str, labels: dict[str, Any]) -> None:
    target = root / "Inbox" / name
    shutil.copyfile(blank, target)
    fill_docx(target, labels)


@pytest.fixture
def chinese(tmp_path: Path) -> Path:
    """A Chinese folder with one registration filed and one refused, and a file that is
    not a form refused."""
    root = tmp_path / "share"
    blank = laid_out(root, "zh-CN")
    save(root, blank, "ACME call.docx", REGISTRATION)
    save(root, blank, "gap.docx", GAP)
    (root / "Inbox" / "junk.docx").write_bytes(b"not a Word file")
    said = run("ingest", str(root), "--now", REGISTERED_AT, code=1)
    assert "已归档" in said and "已拒收" in said and "filed" not in said
    return root


def note_of(root: Path, name: str) -> str:
    return (root / "Quarantine" / f"{name} - what to fix.txt").read_text(encoding="utf-8")


def test_the_quarantine_note_is_in_chinese_with_the_time_as_chinese_write_it(
    chinese: Path,
) -> None:
    note = note_of(chinese, "gap.docx")
    assert note.startswith("closedloop 无法归档此文件。\n\n文件：gap.docx\n")
    assert "\n移入时间：2026年11月20日 10:00\n" in note
    assert "\n问题：\n  - " in note and "\n处理方法：\n  " in note
    assert "请更正本说明旁边的文件（其中保留了已填写的内容），保存后重新放入“Inbox”文件夹。" in note
    assert note.endswith(
        "更正后的文件归档后，本说明及旁边的文件会自动移至\nQuarantine/Settled/。\n"
    )
    for english in ("could not file", "What is wrong", "What to do", "Moved here", "2026-11-20"):
        assert english not in note
    # A file that is not a form: the reader's reason inside the same Chinese frame.
    junk = note_of(chinese, "junk.docx")
    assert junk.startswith("closedloop 无法归档此文件。") and "处理方法：" in junk


def test_a_folder_laid_out_in_chinese_names_its_own_folders_in_the_note(tmp_path: Path) -> None:
    root = tmp_path / "投诉"
    run("init", str(root), "--language", "zh-CN")
    names = load_settings(root).policy.folders
    blank = root / names.blank_forms / "客户投诉登记表.docx"
    shutil.copyfile(blank, root / names.inbox / "空表.docx")  # nothing filled in: refused
    said = run("ingest", str(root), "--now", REGISTERED_AT, code=1)
    assert said.startswith("已拒收   空表.docx：")
    note = (root / names.quarantine / "空表.docx - what to fix.txt").read_text(encoding="utf-8")
    assert "保存后重新放入“收件箱”文件夹。" in note
    assert note.endswith("会自动移至\n隔离/已处理/。\n")
    assert run("ingest", str(root), "--now", REGISTERED_AT) == "“收件箱”文件夹是空的。\n"


def test_the_to_do_page_is_chinese_with_chinese_heads_and_dates(chinese: Path) -> None:
    page = (chinese / "Outbox" / "Customer Window" / "To do.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page
    assert "<title>待办：Customer Window</title>" in page
    heads = re.findall(r"<th>([^<]*)</th>", page)
    assert heads == ["期限", "投诉编号", "客户名称", "产品", "类别", "表单", "发出时间"]
    assert "待填写表单 1 份。" in page
    assert "2026年11月20日 10:00" in page  # issued
    assert "客户投诉登记表" in page and "运输损坏" in page
    assert '"Noto Sans CJK SC"' in page
    for english in ("To do:", "Due", "Customer<", "forms to fill", "2026-11-20"):
        assert english not in page
    run("ingest", str(chinese), "--now", LATE)  # a look: the page is written anew
    page = (chinese / "Outbox" / "Customer Window" / "To do.html").read_text(encoding="utf-8")
    assert '待填写表单 1 份，<span class="late">逾期 1 份</span>。' in page
    assert '<span class="late">逾期</span>' in page


def test_status_cases_and_doctor_speak_chinese(chinese: Path) -> None:
    status = run("status", str(chinese), "CC-2026-0001", "--now", REGISTERED_AT)
    lines = status.splitlines()
    assert lines[0] == "CC-2026-0001  待判定"
    assert lines[1].startswith("  ACME Windows · W-200 · 运输损坏 · 未分派")
    assert lines[2] == "  等待：客户投诉登记表"
    assert re.search(r"^  向客户确认 +期限 2026年11月\d+日 \d\d:\d\d  未到期$", status, re.M)
    assert "  归档  2026年11月20日 10:00  客户投诉登记表，第 1 版：Archive/" in status
    assert "  发出  客户投诉登记表 至 Customer Window：Outbox/Customer Window/" in status
    for english in ("Awaiting", "waiting for", " due ", "filed", "issued", "version"):
        assert english not in status
    cases = run("cases", str(chinese), "--now", LATE)
    assert cases.startswith("CC-2026-0001  待判定") and cases.rstrip().endswith("逾期")
    doctor = run("doctor", str(chinese))
    assert "正常  文件夹：Inbox、各部门的Outbox、Archive、Quarantine、Blank Forms" in doctor
    assert "正常  登记库：" in doctor and "ok" not in doctor
    missing = run("status", str(chinese), "CC-2026-0009", code=2)
    assert missing.startswith("错误：不存在投诉 CC-2026-0009；")


def test_ingest_prints_its_results_in_chinese(chinese: Path) -> None:
    blank = chinese.parent / "share registration.docx"
    save(chinese, blank, "again.docx", GAP)
    said = run("ingest", str(chinese), "--now", REGISTERED_AT, code=1)
    assert said.startswith("已拒收   again.docx：")
    assert "客户名称" not in said.split("：", 1)[0]
    assert run("ingest", str(chinese), "--now", REGISTERED_AT) == "“Inbox”文件夹是空的。\n"


def _shape(data: Any) -> Any:
    """The keys of `data` all the way down, and its ids: what must not depend on the
    language (reasons and file names are words people read)."""
    ids = {"case_id", "form", "outcome", "state", "resolution", "name", "status", "department"}
    if isinstance(data, dict):
        return {k: (_shape(v) if k not in ids else v) for k, v in data.items()}
    if isinstance(data, list):
        return [_shape(v) for v in data]
    return type(data).__name__


def _jsons(root: Path) -> list[Any]:
    """Every --json answer of a folder where the same things were done."""
    ingest = [
        json.loads(line)
        for line in run("ingest", str(root), "--json", "--now", LATE, code=1).splitlines()
    ]
    status = json.loads(run("status", str(root), "CC-2026-0001", "--json", "--now", LATE))
    cases = [
        json.loads(line)
        for line in run("cases", str(root), "--json", "--now", LATE).split("\n")
        if line
    ]
    doctor = json.loads(run("doctor", str(root), "--json"))
    missing = json.loads(run("status", str(root), "CC-2026-0009", "--json", code=2))
    return [ingest, status, cases, doctor, missing]


def test_json_answers_keep_their_keys_and_ids_in_any_language(tmp_path: Path) -> None:
    answers = {}
    for language in ("en", "zh-CN"):
        root = tmp_path / language
        blank = laid_out(root, language)
        save(root, blank, "ACME call.docx", REGISTRATION)
        save(root, blank, "gap.docx", GAP)
        answers[language] = _jsons(root)
    english, chinese = answers["en"], answers["zh-CN"]
    assert [_shape(a) for a in english] == [_shape(a) for a in chinese]
    status = chinese[1]
    assert status["state"] == "awaiting_triage"
    assert [d["name"] for d in status["deadlines"]] == ["confirm", "close"]
    assert status["filed"][0]["filed_at"] == "2026-11-25T10:00:00"  # ISO, not 2026年
    # The words people read in them are in the folder's language.
    assert english[4]["error"]["message"].startswith("there is no case CC-2026-0009")
    assert chinese[4]["error"]["message"].startswith("不存在投诉 CC-2026-0009")


def test_an_english_folder_says_what_it_always_said(tmp_path: Path) -> None:
    root = tmp_path / "share"
    blank = laid_out(root, "en")
    save(root, blank, "ACME call.docx", REGISTRATION)
    save(root, blank, "gap.docx", GAP)
    said = run("ingest", str(root), "--now", REGISTERED_AT, code=1)
    assert re.search(r"^filed    ACME call\.docx CC-2026-0001: ", said, re.M)
    assert re.search(r"^refused  gap\.docx: ", said, re.M)
    note = note_of(root, "gap.docx")
    assert note.startswith("closedloop could not file this document.\n\nFile: gap.docx\n")
    assert "Moved here from the Inbox: 2026-11-20 10:00\n" in note
    assert "save it, and put it into the Inbox again." in note
    assert note.endswith("move to\nQuarantine/Settled/ by themselves.\n")
    page = (root / "Outbox" / "Customer Window" / "To do.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in page and "<th>Due</th>" in page and "1 form to fill." in page
    status = run("status", str(root), "CC-2026-0001", "--now", REGISTERED_AT)
    assert status.startswith("CC-2026-0001  Awaiting triage\n")
    assert "  filed  2026-11-20 10:00  Complaint Registration Form, version 1: " in status


def until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def test_the_service_logs_in_the_folders_language(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = tmp_path / "share"
    laid_out(root, "zh-CN")
    (root / "Inbox" / "junk.docx").write_bytes(b"not a Word file")
    settings = load_settings(root)
    settings = dataclasses.replace(settings, watch=dataclasses.replace(settings.watch, window=0.1))
    results: list[FileResult] = []
    caplog.set_level("INFO", logger="closedloop")
    watcher = Watcher(root, settings, on_result=results.append)
    watcher.start()
    try:
        until(lambda: any(r.file == "junk.docx" for r in results))
    finally:
        watcher.stop()
    assert "正在监视 " in caplog.text and "稳定等待 0.1 秒" in caplog.text
    assert "已拒收 junk.docx：" in caplog.text  # said by the worker's own thread
    assert "已停止" in caplog.text
    assert "watching" not in caplog.text and "refused" not in caplog.text
