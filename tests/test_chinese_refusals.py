"""A refusal a clerk reads is in the folder's language (issue #14): the reasons and fixes
that reading a file gives (a value that is not a date, a choice that is not one, a file
that is encrypted, old, full of macros or broken) and those the filing rules give (no case
number, a closed case, a date that has not happened), with fields named by their Chinese
labels; the same words whether the file is read inline or in the reading process; and a
Chinese shared folder's quarantine notes say them."""

from __future__ import annotations

import json
import re
import shutil
import tomllib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from app.settings import read_settings, settings_template
from closedloop.cli import cli
from filing.engine import Engine, FilingRefused
from filing.policy import Policy
from filing.registry import Registry
from forms.definition import get_form
from forms.errors import RefusedFile
from forms.isolated import IsolatedReader
from forms.isolated_child import speaking
from forms.reader import FormRead, read_form
from forms.writer import write_form
from language import use
from tests.conftest import corpus_root
from tests.office import fill_docx, fill_docx_table, fill_xlsx
from tests.zips import replace_in, rewrite

ZH = "zh-CN"
# A folder laid out in Chinese names its folders in Chinese (templates/closedloop.zh-CN.toml).
ZH_FOLDERS = read_settings(Path("closedloop.toml"), settings_template(ZH)).policy.folders


def chinese() -> AbstractContextManager[str]:
    """Speak as a folder laid out in Chinese does: its language, its folders' names."""
    return use(ZH, ZH_FOLDERS.top())


NOW = datetime(2026, 11, 20, 10, 0)
_CJK = re.compile(r"[\u4e00-\u9fff]")

# The fixes that name the Blank Forms folder, as a Chinese folder names it (空白表单).
FRESH = "或从“空白表单”文件夹取一份新表单填写。"
FIXES = {
    "encrypted": "请取消密码（文件 > 信息 > 保护文档 > 用密码进行加密：清空密码）后重新保存。",
    "legacy_format": "请打开文件，另存为 Word 文档（.docx）或 Excel 工作簿（.xlsx），" + FRESH,
    "macro_enabled": "不接受启用宏的文件。请另存为 .docx 或 .xlsx（不含宏），" + FRESH,
    "corrupt": "文件已损坏或未完整保存。请打开检查后重新保存；如无法打开，请从“空白表单”文件夹"
    "取一份新表单填写。",
    "not_a_form": "只有“空白表单”文件夹中的表单（或 closedloop 发给您的表单）才能归档。"
    "请将填写内容复制到其中一份表单并保存。",
}
CORPUS = {
    "encrypted/protected_agile.docx": ("encrypted", "文件设有密码保护。"),
    "encrypted/password.xls": ("encrypted", "文件设有密码保护。"),
    "legacy/Word95.doc": ("legacy_format", "这是旧版 Word 6/95 文档（.doc）。"),
    "legacy/SampleSS.ods": ("legacy_format", "这是 OpenDocument 电子表格（.ods）。"),
    "macro/SimpleMacro.docm": ("macro_enabled", "文件含有宏（.docm 或 .xlsm 文件）。"),
    "macro/SimpleMacro.xls": ("macro_enabled", "这是含有宏的 Excel 工作簿。"),
    "broken/truncated62886.docx": (
        "corrupt",
        "文件不完整（File is not a zip file）；是否没有保存完或复制完？",
    ),
    "forms_xlsx/默认-8D报告.xlsx": ("not_a_form", "这是 Excel 工作簿，但不是 closedloop 表单。"),
}

# A survey as a Chinese clerk fills it: by its Chinese labels, with a choice that is none of
# its choices, a date that is no date, and the one required answer left out.
BAD_SURVEY = {"客户名称": "华东门窗", "调查日期": "2026-13-45", "响应速度": "xyz"}
BAD_SURVEY_PROBLEMS = [
    "调查日期：“2026-13-45”不是日期；请按 2026-11-30 的格式填写",
    "响应速度：“xyz”不是可选项之一；请填写以下之一：非常满意、满意、一般、不满意、非常不满意",
    "客户是否认可处理结果：此栏为必填项，请填写",
]
BAD_SURVEY_ENGLISH = [
    "Survey date: '2026-13-45' is not a date; write it like 2026-11-30",
    "Speed of response: 'xyz' is not one of the choices; write one of: Very satisfied, "
    "Satisfied, Neutral, Dissatisfied, Very dissatisfied",
    "Customer accepts the result: this is required; fill it in",
]

Read = Callable[[Path], FormRead]


@pytest.fixture(scope="module")
def isolated() -> Iterator[IsolatedReader]:
    with IsolatedReader() as reader:
        yield reader


@pytest.fixture(params=["inline", "isolated"])
def read(request: pytest.FixtureRequest, isolated: IsolatedReader) -> Read:
    """Reading as `closedloop read` does it inline, or as the service does in its process."""
    if request.param == "inline":
        return read_form
    return lambda path: isolated.read(path, path.read_bytes())


def chinese_form(tmp_path: Path, form_id: str, fmt: str, answers: dict[str, str]) -> Path:
    path = write_form(get_form(form_id), fmt, tmp_path / f"{form_id}.{fmt}", language=ZH)  # type: ignore[arg-type]
    (fill_docx if fmt == "docx" else fill_xlsx)(path, answers)
    return path


def refusal(read: Read, path: Path) -> RefusedFile:
    with pytest.raises(RefusedFile) as caught:
        read(path)
    return caught.value


# --- reading ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
def test_a_bad_choice_a_bad_date_and_a_missing_answer_are_said_in_chinese(
    tmp_path: Path, fmt: str, read: Read
) -> None:
    path = chinese_form(tmp_path, "satisfaction_survey", fmt, BAD_SURVEY)
    with chinese():
        problems = read(path).problems
    assert [p.message for p in problems] == BAD_SURVEY_PROBLEMS
    assert [p.field for p in problems] == ["survey_date", "rating_speed", "customer_accepts"]


def test_the_same_reader_speaks_english_again_for_the_next_english_read(
    tmp_path: Path, isolated: IsolatedReader
) -> None:
    """The language goes with each request: the reading process keeps none of its own."""
    path = chinese_form(tmp_path, "satisfaction_survey", "docx", BAD_SURVEY)
    with chinese():
        first = isolated.read(path, path.read_bytes())
    second = isolated.read(path, path.read_bytes())
    assert [p.message for p in first.problems] == BAD_SURVEY_PROBLEMS
    assert [p.message for p in second.problems] == BAD_SURVEY_ENGLISH


def test_a_table_row_is_named_by_the_chinese_table_row_and_column(
    tmp_path: Path, read: Read
) -> None:
    path = chinese_form(tmp_path, "capa", "docx", {"客户名称": "华东门窗"})
    header = ["措施内容", "负责人", "计划完成日期", "实际完成日期"]
    fill_docx_table(path, header, [["加厚缓冲泡棉", "", "2026-11-27", "明天"]])
    with chinese():
        messages = [p.message for p in read(path).problems if p.field == "actions"]
    assert messages == [
        "纠正措施第 1 行，负责人：为空；请填写，或清空整行",
        "纠正措施第 1 行，实际完成日期：“明天”不是日期；请按 2026-11-30 的格式填写",
    ]


def test_a_form_of_another_template_version_is_refused_in_chinese(
    tmp_path: Path, read: Read
) -> None:
    source = write_form(get_form("satisfaction_survey"), "docx", tmp_path / "v1.docx")
    newer = rewrite(
        source,
        tmp_path / "调查表 v999.docx",
        replace_in("docProps/custom.xml", b">1</vt:lpwstr>", b">999</vt:lpwstr>", 1),
    )
    with chinese():
        refused = refusal(read, newer)
    assert refused.kind == "not_a_form"
    assert (
        refused.reason
        == "该文件按客户满意度调查表第 999 版模板制作；本 closedloop 使用的是第 1 版。"
    )
    assert refused.fix == FIXES["not_a_form"]
    assert refused.message == f"调查表 v999.docx：{refused.reason}{refused.fix}"


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_encrypted_old_macro_and_broken_files_are_refused_in_chinese(
    corpus: Path, name: str, read: Read
) -> None:
    kind, reason = CORPUS[name]
    with chinese():
        refused = refusal(read, corpus / name)
    assert (refused.kind, refused.reason, refused.fix) == (kind, reason, FIXES[kind])


def test_every_corpus_refusal_is_said_in_chinese(corpus: Path) -> None:
    """No English reason or fix is left for any foreign file a Chinese folder may get."""
    english = []
    for path in sorted(p for p in corpus.glob("*/*") if p.is_file()):
        with chinese():
            try:
                read_form(path)
            except RefusedFile as exc:
                if not (_CJK.search(exc.reason) and _CJK.search(exc.fix)):
                    english.append(f"{path.name}: {exc.reason} {exc.fix}")
    assert english == []


def test_english_refusals_are_unchanged(corpus: Path) -> None:
    refused = refusal(read_form, corpus / "encrypted/protected_agile.docx")
    assert refused.message == (
        "protected_agile.docx: it is protected with a password. Remove the password "
        "(File > Info > Protect > Encrypt with password: clear it) and save it again."
    )


def test_a_request_names_only_a_language_closedloop_is_written_in() -> None:
    """The reading process takes the speech frame for what it is worth: a code it does not
    know is read as English, never used to look anything up; folder names that are not
    text are the defaults."""
    said = json.dumps({"language": "zh-CN", "folders": {"blank_forms": "空白表单"}})
    language, folders = speaking(said.encode("ascii"))
    assert (language, folders["blank_forms"], folders["inbox"]) == ("zh-CN", "空白表单", "Inbox")
    for hostile in (b'{"language": "../../etc"}', b"\xff\xfe", b"[1]", b'{"folders": [1]}'):
        language, folders = speaking(hostile)
        assert language == "en" and folders["blank_forms"] == "Blank Forms"
    _, folders = speaking(b'{"folders": {"inbox": 7, "outbox": null}}')
    assert (folders["inbox"], folders["outbox"]) == ("Inbox", "Outbox")


# --- filing -------------------------------------------------------------------------------

REGISTRATION = {
    "complaint_date": "2026-11-20",
    "customer": "华东门窗",
    "product": "W-200 平开窗",
    "goods_received_date": "2026-11-02",
    "category": "transport_damage",
    "description": "10 樘中 3 樘玻璃破裂",
    "customer_requirement": "explanation",
}

CAPA = {
    "root_cause": "泡棉太薄",
    "actions": [{"action": "加厚缓冲泡棉", "owner": "王工", "due": "2026-11-27"}],
}


class Loop:
    """The engine over a registry of its own, filing forms written with these values."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.engine = Engine(Registry(tmp / "registry.sqlite"), Policy())
        self.n = 0

    def read(self, form_id: str, values: dict[str, Any], case: str | None = None) -> FormRead:
        self.n += 1
        path = self.tmp / f"{self.n:02d} {form_id}.docx"
        return read_form(write_form(get_form(form_id), "docx", path, values, case))

    def refused(self, form_id: str, values: dict[str, Any], case: str | None = None) -> Any:
        with chinese(), pytest.raises(FilingRefused) as caught:
            self.engine.file(self.read(form_id, values, case), f"{self.n:064d}", NOW)
        return caught.value


def test_filing_refusals_are_said_in_chinese(tmp_path: Path) -> None:
    loop = Loop(tmp_path)
    no_case = loop.refused("satisfaction_survey", {"customer_accepts": True})
    assert no_case.reason == "这份客户满意度调查表没有投诉编号。"
    # The folders as the settings name them (here the defaults: Outbox, Done).
    assert "在“Outbox/<部门>/”或其中的“Done”文件夹里查找" in no_case.fix

    case_id = loop.engine.file(loop.read("registration", REGISTRATION), "1" * 64, NOW).case_id
    gaps = loop.refused("capa", {"root_cause": "泡棉太薄"}, case_id)
    assert gaps.reason == "表单有以下问题：纠正措施：请至少填写一行。"
    assert gaps.fix == "请改正后重新保存，再放回“收件箱”。"
    early = loop.refused("capa", CAPA, case_id)
    assert early.reason == (
        f"投诉 {case_id} 正等待在登记表上作出判定；纠正与预防措施报告（8D报告）只能在投诉成立后归档。"
    )
    assert early.fix == "该投诉正在等待：客户投诉登记表。请先归档这些表单。"

    loop.engine.file(
        loop.read("registration", {**REGISTRATION, "established": False}, case_id), "2" * 64, NOW
    )
    closed = loop.refused("registration", REGISTRATION, case_id)
    assert closed.reason == f"投诉 {case_id} 已结案（无效投诉）。"
    assert closed.fix == "新的投诉须填写新的客户投诉登记表。"
    unknown = loop.refused("capa", CAPA, "CC-2026-0099")
    assert unknown.reason == "不存在投诉 CC-2026-0099。"


def test_dates_that_cannot_have_happened_are_said_in_chinese(tmp_path: Path) -> None:
    loop = Loop(tmp_path)
    read = loop.read(
        "registration",
        {
            **REGISTRATION,
            "delivery_date": "2026-11-05",
            "goods_received_date": "2026-11-01",
            "confirmed_to_customer_at": "2026-12-05 09:00",
        },
    )
    with chinese():
        problems = loop.engine.problems(read, NOW)
    assert problems == [
        "回复客户确认时间：2026年12月5日 09:00 晚于今天（2026年11月20日）；尚未到来的时间不能记录："
        "请填写实际发生的时间，或暂时留空，发生后再填",
        "收货日期：2026年11月1日 早于交货日期（2026年11月5日）；货物不可能在交货之前收到："
        "请改正两个日期中错误的那个",
    ]
    # English as it always was: ISO dates, the English labels.
    assert loop.engine.problems(read, NOW)[1] == (
        "Goods received date: 2026-11-01 is before the delivery date (2026-11-05); goods cannot "
        "be received before they are delivered: correct whichever of the two dates is wrong"
    )


def test_a_late_complaint_names_the_override_field_by_its_chinese_label(tmp_path: Path) -> None:
    loop = Loop(tmp_path)
    late = loop.refused("registration", {**REGISTRATION, "goods_received_date": "2026-09-01"})
    assert late.reason == "投诉在收货（2026年9月1日）后 80 天才提出；投诉须在收货后 30 天内提出。"
    assert (
        late.fix
        == "主管可特批受理：在“主管特批（超期投诉）”栏填写主管姓名和理由，保存后放回“收件箱”。"
    )


# --- a Chinese shared folder ---------------------------------------------------------------


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    return result.stdout


def folder_names(root: Path) -> dict[str, str]:
    settings = tomllib.loads((root / "closedloop.toml").read_text(encoding="utf-8"))
    names = {"inbox": "Inbox", "quarantine": "Quarantine", **settings.get("folders", {})}
    return {key: str(value) for key, value in names.items()}


def note_about(root: Path, name: str) -> str:
    """The quarantine note beside the refused file `name`, whatever the note is called."""
    quarantine = root / folder_names(root)["quarantine"]
    notes = [
        p.read_text(encoding="utf-8")
        for p in quarantine.glob("*.txt")
        if p.name != name and name in p.read_text(encoding="utf-8")
    ]
    assert len(notes) == 1, sorted(p.name for p in quarantine.iterdir())
    return notes[0]


@pytest.mark.parametrize("laid_out", ["in English, then made Chinese", "in Chinese"])
def test_a_chinese_folder_s_quarantine_notes_give_chinese_reasons_and_fixes(
    tmp_path: Path, laid_out: str
) -> None:
    root = tmp_path / "share"
    if laid_out == "in Chinese":
        run("init", str(root), "--language", ZH)
    else:
        run("init", str(root))
        settings = root / "closedloop.toml"
        text = settings.read_text(encoding="utf-8")
        assert 'language = "en"' in text
        settings.write_text(text.replace('language = "en"', f'language = "{ZH}"'), "utf-8")
    inbox = root / folder_names(root)["inbox"]
    survey = chinese_form(tmp_path, "satisfaction_survey", "docx", BAD_SURVEY)
    shutil.copyfile(survey, inbox / "满意度调查.docx")
    shutil.copyfile(corpus_root() / "macro/SimpleMacro.docm", inbox / "带宏.docm")

    results = run("ingest", str(root), "--json", "--now", "2026-11-20T10:00")
    assert results.count('"refused"') == 2

    note = note_about(root, "满意度调查.docx")
    for line in [*BAD_SURVEY_PROBLEMS, "这份客户满意度调查表没有投诉编号。"]:
        assert f"  - {line}\n" in note
    assert "请使用 closedloop 为该投诉发出的表单（表单上带有投诉编号" in note
    macro = note_about(root, "带宏.docm")
    assert "  - 文件含有宏（.docm 或 .xlsm 文件）。\n" in macro
    assert "  不接受启用宏的文件。请另存为 .docx 或 .xlsx（不含宏）" in macro
    if laid_out == "in Chinese":  # the fixes name the folders as a Chinese folder names them
        assert "在“发件箱/<部门>/”" in note
        assert f"  {FIXES['macro_enabled']}\n" in macro
