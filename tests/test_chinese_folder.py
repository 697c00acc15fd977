"""A shared folder laid out in Chinese: `init --language zh-CN` names its folders and
departments in Chinese through the settings ([folders], [departments]), every command
finds them there, quarters are sealed as "2026Q4 客户投诉闭环", and a folder laid out in
English keeps its folders when its language changes later."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document

from app.application import App
from app.settings import SettingsError, load_settings
from archive.casefolder import quarter_of_folder
from archive.layout import is_quarter_folder
from archive.quarter import Quarter
from closedloop.cli import cli
from filing.folders import FolderNames
from forms.reader import read_form
from tests.office import fill_xlsx

CHINESE = ["收件箱", "发件箱", "档案", "隔离", "空白表单", "报告"]
DEPARTMENTS = ["质量管理部", "储运部", "售后服务部", "生产部", "研发部", "销售部", "财务部"]


def run(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == code, result.output
    return result.output


def test_init_in_chinese_names_the_folders_and_departments_in_chinese(tmp_path: Path) -> None:
    root = tmp_path / "投诉"
    run("init", str(root), "--language", "zh-CN")
    assert {p.name for p in root.iterdir()} == {*CHINESE, ".closedloop", "closedloop.toml"}
    assert set(DEPARTMENTS) <= {p.name for p in (root / "发件箱").iterdir()}
    settings = load_settings(root)
    assert settings.language == "zh-CN"
    assert settings.policy.folders.inbox == "收件箱"
    assert settings.policy.outboxes["quality_management"] == "质量管理部"
    text = (root / "closedloop.toml").read_text(encoding="utf-8")
    assert 'language = "zh-CN"' in text and "# 共享文件夹中各文件夹的名称" in text
    with App.open(root) as app:  # every folder found by the names the settings give
        assert app.folder.inbox == root / "收件箱"
        assert app.folder.archive == root / "档案"
    run("doctor", str(root))  # no folder reported missing
    # Run again: nothing created, and a language other than the settings' is refused.
    assert "已建立" in run("init", str(root))  # already laid out
    said = run("init", str(root), "--language", "en", code=2)
    assert f'{root / "closedloop.toml"} 中写的是 language = "zh-CN"，不是 en；' in said


@pytest.mark.parametrize("spelling", ["zh_CN", "zh-cn", "zh-Hans", "zh"])
def test_init_takes_the_usual_spellings_of_chinese(tmp_path: Path, spelling: str) -> None:
    run("init", str(tmp_path / "f"), "--language", spelling)
    assert load_settings(tmp_path / "f").language == "zh-CN"


def test_init_refuses_a_language_it_is_not_written_in(tmp_path: Path) -> None:
    said = run("init", str(tmp_path / "f"), "--language", "fr", code=2)
    assert "'fr' is not a language closedloop is written in; use one of: en, zh-CN" in said
    assert not (tmp_path / "f").exists()


def test_english_folder_keeps_its_folders_when_its_language_changes(tmp_path: Path) -> None:
    """[folders] names what is on disk; the language says what people read. A folder laid
    out in English and switched to Chinese still finds its Inbox."""
    root = tmp_path / "share"
    run("init", str(root))
    path = root / "closedloop.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace('language = "en"', 'language = "zh-CN"'),
        encoding="utf-8",
    )
    settings = load_settings(root)
    assert settings.language == "zh-CN"
    assert settings.policy.folders == FolderNames()
    run("ingest", str(root))


@pytest.mark.parametrize(
    ("key", "value", "said"),
    [
        ("inbox", "In/box", "[folders] inbox is 'In/box', not a name a folder can have"),
        (
            "inbox",
            "../outside",
            "inbox is '../outside', not a name a folder can have: it holds '/'",
        ),
        ("archive", " ", "[folders] archive is ' ', not a name a folder can have: it is empty"),
        ("quarantine", "CON", "quarantine is 'CON', not a name a folder can have: Windows keeps"),
        ("quarantine", "nul.txt", "is 'nul.txt', not a name a folder can have: Windows keeps"),
        ("quarantine", "a\tb", "is 'a\\tb', not a name a folder can have: it holds '\\t'"),
        ("reports", "Reports ", "is 'Reports ', not a name a folder can have: it has spaces at"),
        ("reports", "inbox", "[folders] reports is 'inbox', the name of another folder (inbox)"),
        (
            "outbox",
            ".closedloop",
            "outbox is '.closedloop', the name of another folder (closedloop's",
        ),
    ],
)
def test_folder_names_are_checked(tmp_path: Path, key: str, value: str, said: str) -> None:
    root = tmp_path / "share"
    run("init", str(root))
    path = root / "closedloop.toml"
    text = path.read_text(encoding="utf-8")
    default = FolderNames().names()[key]
    path.write_text(text.replace(f'{key} = "{default}"', f'{key} = "{value}"'), encoding="utf-8")
    with pytest.raises(SettingsError, match=r"\[folders\]") as caught:
        load_settings(root)
    assert said in str(caught.value)
    assert str(path) in str(caught.value)


def test_a_quarter_is_sealed_in_the_words_of_the_settings_and_found_in_any(tmp_path: Path) -> None:
    archive = tmp_path / "档案"
    archive.mkdir()
    chinese = FolderNames(quarter="客户投诉闭环")
    target = Quarter(2026, 4).folder(archive, chinese)
    assert target.name == "2026Q4 客户投诉闭环"
    assert quarter_of_folder(target.name) == "2026Q4"
    # A quarter sealed in English before the language changed is the quarter's folder still.
    (archive / "2026Q3 Customer Complaint Closed-Loop").mkdir()
    found = Quarter(2026, 3).folder(archive, chinese)
    assert found.name == "2026Q3 Customer Complaint Closed-Loop"
    assert is_quarter_folder(found)
    # A case folder never reads as a quarter, whatever its customer's name.
    assert quarter_of_folder("CC-2026-0001 2026Q4 客户投诉闭环") is None


def test_blank_forms_follow_the_language(tmp_path: Path) -> None:
    """A Chinese folder's blanks are named and printed in Chinese; when a folder's language
    changes, the next run writes the blanks in the new one and removes ours in the old
    one, but not one someone filled in."""
    root = tmp_path / "share"
    run("init", str(root))
    blanks = root / "Blank Forms"
    assert (blanks / "Complaint Registration Form.docx").is_file()
    filled = blanks / "Return Form.xlsx"
    fill_xlsx(filled, {"Customer": "ACME Windows"})
    path = root / "closedloop.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace(
            'language = "en"\nsecond_language = ""', 'language = "zh-CN"\nsecond_language = "en"'
        ),
        encoding="utf-8",
    )
    CliRunner().invoke(cli, ["ingest", str(root)])
    names = {p.name for p in blanks.iterdir()}
    assert {"客户投诉登记表.docx", "客户投诉登记表.xlsx", "退货单.docx"} <= names
    assert "Complaint Registration Form.docx" not in names
    assert "Return Form.xlsx" in names  # filled in: kept
    read = read_form(blanks / "客户投诉登记表.docx")
    assert read.form.id == "registration"
    document = Document(str(blanks / "客户投诉登记表.docx"))
    words = "\n".join(
        p.text for t in document.tables for r in t.rows for p in r.cells[0].paragraphs
    )
    assert "客户名称" in words and "Customer" in words  # the second language beside the first


def test_a_note_names_the_folders_as_the_settings_do(tmp_path: Path) -> None:
    """A folder laid out in English and switched to Chinese keeps its English folders: the
    fix in its Chinese note sends the clerk to “Blank Forms”, the folder she sees."""
    root = tmp_path / "share"
    run("init", str(root))
    path = root / "closedloop.toml"
    text = path.read_text(encoding="utf-8").replace('language = "en"', 'language = "zh-CN"')
    path.write_text(text.replace('inbox = "Inbox"', 'inbox = "投诉收件"'), encoding="utf-8")
    (root / "Inbox").rename(root / "投诉收件")
    (root / "投诉收件" / "list.txt").write_text("not a form", encoding="utf-8")
    run("ingest", str(root), code=1)
    [note] = (root / "Quarantine").glob("list.txt*.txt")
    said = note.read_text(encoding="utf-8")
    assert "请使用“Blank Forms”文件夹中的表单" in said


def test_a_renamed_archive_stops_the_folder_and_is_named(tmp_path: Path) -> None:
    """The Archive renamed on disk but not in the settings: nothing is made in its place
    (the cases would be split between two folders); the command says which folder, the
    key that names it and what to do."""
    root = tmp_path / "share"
    run("init", str(root), "--language", "zh-CN")
    (root / "档案").rename(root / "归档")
    said = run("ingest", str(root), code=2)
    assert "文件夹“档案”（closedloop.toml 中 [folders] archive）不存在" in said
    assert not (root / "档案").exists()


def test_doctor_does_not_look_for_default_folders_when_the_settings_cannot_be_read(
    tmp_path: Path,
) -> None:
    root = tmp_path / "share"
    run("init", str(root), "--language", "zh-CN")
    with (root / "closedloop.toml").open("a", encoding="utf-8") as settings:
        settings.write("broken = [\n")
    said = run("doctor", str(root), code=1)
    # Told in the folder's language, though the file cannot be read: its line named.
    lines = (root / "closedloop.toml").read_text(encoding="utf-8").count("\n")
    assert f"closedloop.toml：第 {lines} 行不是有效的 TOML（Invalid value）：broken = [；" in said
    assert "Inbox" not in said and "收件箱" not in said
    assert "未检查：文件夹名称写在设置中，而设置无法读取" in said


def test_doctor_looks_for_the_folders_by_their_names_when_another_setting_is_wrong(
    tmp_path: Path,
) -> None:
    root = tmp_path / "share"
    run("init", str(root), "--language", "zh-CN")
    path = root / "closedloop.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('quality = "quality_management"', 'quality = "nowhere"'), "utf-8")
    said = run("doctor", str(root), code=1)
    assert "[routing] quality" in said
    assert "missing" not in said  # 收件箱, 档案, 发件箱/质量管理部 … are all there


def _blank_texts(root: Path) -> dict[str, str]:
    """Every text of each blank form in 空白表单, by file name."""
    import openpyxl

    out = {}
    for path in (root / "空白表单").iterdir():
        if path.suffix == ".docx":
            document = Document(str(path))
            cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
            out[path.name] = "\n".join([p.text for p in document.paragraphs] + cells)
        elif path.suffix == ".xlsx":
            book = openpyxl.load_workbook(path)
            values = [str(c.value) for s in book for r in s.iter_rows() for c in r if c.value]
            out[path.name] = "\n".join(values)
    return out


def test_the_blank_forms_name_the_inbox_as_the_folder_does(tmp_path: Path) -> None:
    root = tmp_path / "投诉"
    run("init", str(root), "--language", "zh-CN")
    texts = _blank_texts(root)
    assert len(texts) == 12
    for name, text in texts.items():
        assert "“收件箱”" in text and "Inbox" not in text, name
    # The Inbox renamed (in the settings, and on disk): the blanks say so at the next run.
    settings = root / "closedloop.toml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text.replace('inbox = "收件箱"', 'inbox = "投诉收件箱"'), "utf-8")
    (root / "收件箱").rename(root / "投诉收件箱")
    run("ingest", str(root))
    for name, text in _blank_texts(root).items():
        assert "“投诉收件箱”" in text, name
