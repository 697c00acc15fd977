"""Forms written in Chinese, and in Chinese with English beside it (issue #14): everything
printed is Chinese; a Chinese clerk fills them by their Chinese labels with Chinese words;
LibreOffice saves them again; they read back as what was put in, on any site, whatever
language the reader speaks."""

from __future__ import annotations

import html
import io
import itertools
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import docx
import openpyxl
import pytest
from click.testing import CliRunner

from closedloop.cli import cli
from forms.definition import FORM_IDS, Field, FormDefinition, get_form
from forms.docx_fill import fill_docx
from forms.docx_writer import write_docx
from forms.errors import FieldValueError
from forms.hints import Wording
from forms.identity import Identity
from forms.layout import text_em, word_columns
from forms.reader import read_form
from forms.values import coerce
from forms.writer import FORMATS, render_form, write_form
from language import use
from tests.office import LibreOffice
from tests.scenario import Folder

ZH, ZH_EN = Wording("zh-CN"), Wording("zh-CN", "en")
WORDINGS = {"zh": ZH, "zh+en": ZH_EN}
COMPANY = "苏州多贝儒门窗有限公司"
CASE = "CC-2026-0042"
_CJK = re.compile(r"[\u4e00-\u9fff]")


def typed(f: Field, i: int) -> tuple[Any, Any]:
    """What a Chinese clerk types into field (or column) f, the i-th, and what
    `read --json` gives for it: Chinese dates, numbers with separators, Chinese words."""
    zh = f.label_in("zh-CN")
    day = i % 27 + 1
    if f.type == "date":
        return f"2026年11月{day}日", f"2026-11-{day:02d}"
    if f.type == "datetime":
        return f"2026年11月{day}日 14:30", f"2026-11-{day:02d}T14:30:00"
    if f.type == "integer":
        return f"1,2{i % 10}0", int(f"12{i % 10}0")
    if f.type == "decimal":
        return f"¥1,234.5{i % 10}", f"1234.5{i % 10}".rstrip("0").rstrip(".")
    if f.type == "yesno":
        return ("是", True) if i % 2 else ("否", False)
    if f.type == "choice":
        c = f.choices[i % len(f.choices)]
        return c.label_in("zh-CN"), c.id
    if f.type == "multichoice":
        picked = [f.choices[i % len(f.choices)], f.choices[(i + 1) % len(f.choices)]]
        return "、".join(c.label_in("zh-CN") for c in picked), [c.id for c in picked]
    if f.type == "multiline":
        return f"{zh}第一行\n第二行：苏州{i}号", f"{zh}第一行\n第二行：苏州{i}号"
    return f"{zh}：苏州{i}号", f"{zh}：苏州{i}号"


Table = tuple[list[str], list[list[Any]]]


def answers(
    form: FormDefinition, words: Wording
) -> tuple[dict[str, Any], list[Table], dict[str, Any]]:
    """Every field of form typed by its printed label, every table by its printed column
    heads (two rows), and the JSON `read` must give back."""
    labels: dict[str, Any] = {}
    tables: list[Table] = []
    expected: dict[str, Any] = {}
    count = itertools.count()
    for f in form.fields:
        if f.type == "table":
            rows = [[typed(c, next(count)) for c in f.columns] for _ in range(2)]
            tables.append(([words.label(c) for c in f.columns], [[t for t, _ in r] for r in rows]))
            expected[f.id] = [
                {c.id: v for c, (_, v) in zip(f.columns, r, strict=True)} for r in rows
            ]
        else:
            text, expected[f.id] = typed(f, next(count))
            labels[words.label(f)] = text
    return labels, tables, expected


def fill_docx_by_label(path: Path, labels: dict[str, Any], tables: list[Table]) -> None:
    """Type into the cell right of each label, and into the rows under each table's
    column heads (the n-th table of the same heads gets the n-th rows), as a person does."""
    d = docx.Document(str(path))
    todo, pending = dict(labels), list(tables)
    for table in d.tables:
        heads = [c.text.strip() for c in table.rows[0].cells]
        match = next((t for t in pending if t[0] == heads), None)
        if match is not None:
            pending.remove(match)
            for tr, values in zip(table.rows[1:], match[1], strict=False):
                for cell, value in zip(tr.cells, values, strict=True):
                    cell.text = str(value)
            continue
        for row in table.rows:
            cells = row.cells
            label = cells[0].text.strip()
            if label in todo:
                cells[1].text = str(todo.pop(label))
    assert not todo and not pending, (sorted(todo), pending)
    d.save(str(path))


def fill_xlsx_by_label(path: Path, labels: dict[str, Any], tables: list[Table]) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    todo, pending = dict(labels), list(tables)
    for row in ws.iter_rows():
        heads = [c.value for c in row[: len(pending[0][0])]] if pending else []
        match = next((t for t in pending if t[0] == heads), None)
        if match is not None:
            pending.remove(match)
            for offset, values in enumerate(match[1], start=1):
                for col, value in enumerate(values, start=1):
                    ws.cell(row[0].row, col).offset(offset, 0).value = value
            continue
        label = row[0].value
        if isinstance(label, str) and label.strip() in todo:
            ws.cell(row[0].row, 2).value = todo.pop(label.strip())
    assert not todo and not pending, (sorted(todo), pending)
    wb.save(path)


def filled(form_id: str, fmt: str, key: str, folder: Path) -> tuple[Path, dict[str, Any]]:
    """A blank of form in WORDINGS[key], written and filled by its Chinese labels."""
    form, words = get_form(form_id), WORDINGS[key]
    name = f"{form_id}-{key.replace('+', '-')}.{fmt}"
    path = write_form(
        form,
        fmt,  # type: ignore[arg-type]
        folder / name,
        case_id=CASE,
        company=COMPANY,
        language=words.language,
        second_language=words.second,
    )
    labels, tables, expected = answers(form, words)
    (fill_docx_by_label if fmt == "docx" else fill_xlsx_by_label)(path, labels, tables)
    return path, expected


def assert_reads_back(path: Path, form_id: str, expected: dict[str, Any]) -> None:
    result = read_form(path)
    assert (result.form.id, result.case_id) == (form_id, CASE), path.name
    got = result.to_json()["fields"]
    diff = {k: (v, got[k]) for k, v in expected.items() if got[k] != v}
    assert diff == {}, f"{path.name}: {diff}"
    assert result.problems == [], f"{path.name}: {[p.message for p in result.problems]}"


CASES = list(itertools.product(FORM_IDS, FORMATS, WORDINGS))


@pytest.mark.parametrize(("form_id", "fmt", "key"), CASES)
def test_filled_by_chinese_labels_reads_back_equal(
    form_id: str, fmt: str, key: str, tmp_path: Path
) -> None:
    path, expected = filled(form_id, fmt, key, tmp_path)
    assert_reads_back(path, form_id, expected)


@pytest.mark.libreoffice
@pytest.mark.heavy  # 24 forms through LibreOffice: two starts, about 20 s
def test_filled_by_chinese_labels_and_resaved_by_libreoffice_reads_back_equal(
    libreoffice: LibreOffice, tmp_path: Path
) -> None:
    made = [(form_id, *filled(form_id, fmt, key, tmp_path / "in")) for form_id, fmt, key in CASES]
    resaved = libreoffice.resave([path for _, path, _ in made], tmp_path / "out")
    for (form_id, original, expected), path in zip(made, resaved, strict=True):
        assert path.read_bytes() != original.read_bytes()
        assert_reads_back(path, form_id, expected)


def test_the_reader_speaks_no_language_of_its_own(tmp_path: Path) -> None:
    """A form filled in Chinese reads the same to an English reader and a Chinese one."""
    path, expected = filled("capa", "docx", "zh+en", tmp_path)
    with use("en"):
        english = read_form(path).to_json()
    with use("zh-CN"):
        chinese = read_form(path).to_json()
    assert english == chinese
    assert english["fields"]["responsibility_type"] == expected["responsibility_type"]


def test_an_english_folder_files_a_form_written_and_filled_in_chinese(tmp_path: Path) -> None:
    folder = Folder(tmp_path / "share")  # language = "en"
    blank = write_form(
        get_form("registration"),
        "docx",
        tmp_path / "登记.docx",
        language="zh-CN",
        second_language="en",
    )
    label = ZH_EN.label
    reg = get_form("registration")
    folder.save(
        blank,
        {
            label(reg.field("complaint_date")): "2026年11月20日",
            label(reg.field("customer")): "苏州门窗有限公司",
            label(reg.field("product")): "W-200 断桥铝窗",
            label(reg.field("goods_received_date")): "2026-11-02",
            label(reg.field("category")): "运输损坏",
            label(reg.field("description")): "10件中3件玻璃破裂",
            label(reg.field("customer_requirement")): "退货、换货",
            label(reg.field("established")): "是",
        },
    )
    [result] = folder.ingest("2026-11-20T10:00")
    assert result["outcome"] == "filed", result
    [case_json] = (folder.root / folder.names.archive).glob(f"{result['case_id']} */case.json")
    fields = json.loads(case_json.read_text(encoding="utf-8"))["filings"][0]["fields"]
    assert fields["customer"] == "苏州门窗有限公司"
    assert fields["category"] == "transport_damage"
    assert fields["customer_requirement"] == ["return", "exchange"]
    assert fields["established"] is True


def _docx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        parts = [n for n in z.namelist() if re.match(r"word/(document|header\d|footer\d)\.xml", n)]
        xml = "".join(z.read(n).decode("utf-8") for n in parts)
    return re.sub(r"<w:br/>", "\n", re.sub(r"<w:(tab|p)\b[^>]*/?>", "\n", xml))


def _words(text: str) -> str:
    return re.sub(r"<[^>]+>", "", text)


def test_a_chinese_form_prints_chinese_only(tmp_path: Path) -> None:
    data = render_form(get_form("registration"), "docx", None, CASE, COMPANY, language="zh-CN")
    text = _words(_docx_text(data))
    for words in (
        "客户投诉登记表",  # title
        "投诉受理",  # section
        "投诉日期",  # label
        "必填。日期，如 2026-11-30",  # hint
        "单选：电话 · 邮件 · 来访",  # choices in a hint
        "自收货之日起30天内受理投诉。",  # help_zh
        "填“是”或“否”",
        "签核",
        "编制",
        "姓名及签字",
        "投诉编号 CC-2026-0042",
        "请在白色格内填写",
        "表单 registration · 版本 1 · 投诉编号 CC-2026-0042",
        "第 ",
        " 页，共 ",
    ):
        assert words in text, words
    for english in ("Required", "One of", "Complaint date", "Sign-off", "Page ", "Fill the"):
        assert english not in text, english


def test_a_bilingual_form_prints_both_languages(tmp_path: Path) -> None:
    form = get_form("capa")
    path = write_form(form, "docx", tmp_path / "capa.docx", language="zh-CN", second_language="en")
    d = docx.Document(str(path))
    labels = {row.cells[0].text for t in d.tables for row in t.rows}
    assert "根本原因\nRoot cause" in labels and "措施内容\nAction" in labels
    body = "\n".join(p.text for p in d.paragraphs)
    assert "纠正与预防措施报告（8D报告） Corrective and Preventive Action Report" in body
    assert "根本原因与责任判定 Root cause and responsibility" in body
    assert "请在白色格内填写" in body and "Fill the white boxes" in body
    hints = {row.cells[2].text for t in d.tables for row in t.rows if len(row.cells) == 3}
    assert any(
        "单选：可控责任 Own controllable fault · 不可控因素 Uncontrollable" in h for h in hints
    )
    # The second label is set off from the first: the same row, not bold.
    [cell] = [
        row.cells[0]
        for t in d.tables
        for row in t.rows
        if row.cells[0].text.startswith("根本原因\n")
    ]
    runs = cell.paragraphs[0].runs
    assert runs[0].text == "根本原因" and runs[-1].font.bold is False


def test_excel_lists_and_prefilled_values_are_in_the_form_language(tmp_path: Path) -> None:
    form = get_form("registration")
    values = {
        "category": "transport_damage",
        "customer_requirement": ["return", "exchange"],
        "established": True,
    }
    path = tmp_path / "reg.xlsx"
    path.write_bytes(
        render_form(form, "xlsx", values, CASE, COMPANY, language="zh-CN", second_language="en")
    )
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    assert ws.title == "客户投诉登记表"
    shown = {ws.cell(c.row, 1).value: ws.cell(c.row, 2).value for c in ws["A"] if c.value}
    assert shown["类别\nCategory"] == "运输损坏"
    assert shown["客户要求\nCustomer asks for"] == "退货、换货"
    assert shown["投诉是否成立\nComplaint established"] == "是"
    lists = {tuple(c.value for c in col if c.value) for col in wb["Lists"].iter_cols()}
    assert ("是", "否") in lists and ("电话", "邮件", "来访", "正式函件", "其他") in lists
    assert ws.oddFooter.right.text == "第 &P 页，共 &N 页"
    assert read_form(path).to_json()["fields"]["customer_requirement"] == ["return", "exchange"]


@pytest.mark.parametrize("key", WORDINGS)
@pytest.mark.parametrize("form_id", FORM_IDS)
def test_a_prefilled_chinese_word_form_is_the_written_one(form_id: str, key: str) -> None:
    """The kept blank filled (the service's way) equals the form written whole."""
    form, words = get_form(form_id), WORDINGS[key]
    _, _, expected = answers(form, words)
    values = {f.id: coerce(f, expected[f.id]) for f in form.fields}
    identity = Identity(form.id, form.version, CASE)
    slow = io.BytesIO()
    write_docx(form, values, identity, COMPANY, slow, words)
    fast = fill_docx(form, values, identity, COMPANY, words)
    with zipfile.ZipFile(slow) as a, zipfile.ZipFile(io.BytesIO(fast)) as b:
        assert a.read("word/document.xml") == b.read("word/document.xml")


def test_a_bilingual_label_is_found_when_the_bookmarks_are_gone(tmp_path: Path) -> None:
    path, expected = filled("registration", "docx", "zh+en", tmp_path)
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    doc = parts["word/document.xml"]
    parts["word/document.xml"] = re.sub(rb"<w:bookmark(Start|End)[^>]*/>", b"", doc)
    stripped = tmp_path / "no-bookmarks.docx"
    with zipfile.ZipFile(stripped, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    assert b"cl_customer" not in stripped.read_bytes()
    assert_reads_back(stripped, "registration", expected)


def test_a_bilingual_excel_label_is_found_when_the_names_are_gone(tmp_path: Path) -> None:
    path, expected = filled("capa", "xlsx", "zh+en", tmp_path)
    wb = openpyxl.load_workbook(path)
    for name in [n for n in wb.defined_names if n.startswith("CL_")]:
        del wb.defined_names[name]
    wb.save(path)
    assert_reads_back(path, "capa", expected)


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_chinese_identity_line_is_read_when_the_properties_are_gone(
    tmp_path: Path, fmt: str
) -> None:
    data = render_form(get_form("capa"), fmt, None, CASE, COMPANY, language="zh-CN")  # type: ignore[arg-type]
    out = io.BytesIO()
    printed = ""
    with zipfile.ZipFile(io.BytesIO(data)) as z, zipfile.ZipFile(out, "w") as w:
        for info in z.infolist():
            if info.filename != "docProps/custom.xml":
                part = z.read(info.filename)
                w.writestr(info.filename, part)
                printed += html.unescape(part.decode("utf-8", "replace"))
    path = tmp_path / f"capa.{fmt}"
    path.write_bytes(out.getvalue())
    assert "表单 capa · 版本 1 · 投诉编号 CC-2026-0042" in printed
    assert "closedloop.form" not in printed
    result = read_form(path)
    assert (result.form.id, result.version, result.case_id) == ("capa", "1", CASE)


def test_cjk_is_measured_full_width_and_the_value_column_stays_widest() -> None:
    assert text_em("客户名称") == 4.0
    assert text_em("（PMC）、") == 3.0 + text_em("PMC")
    assert text_em("Customer") < 5
    for form_id in FORM_IDS:
        form = get_form(form_id)
        for words in WORDINGS.values():
            columns = word_columns(form, words)
            assert columns.value > max(columns.label, columns.hint), (form_id, words)
        # Chinese labels are narrower than English ones; the label column never grows.
        assert word_columns(form, ZH).label <= word_columns(form).label


def test_describe_json_in_chinese_keeps_the_ids() -> None:
    result = CliRunner().invoke(
        cli, ["forms", "describe", "registration", "--json", "--language", "zh-CN"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["id"], data["title"]) == ("registration", "客户投诉登记表")
    category = next(f for f in data["fields"] if f["id"] == "category")
    assert category["label"] == "类别"
    assert category["labels"] == {"en": "Category", "zh-CN": "类别"}
    assert category["choices"][3] == "transport_damage"
    assert category["choice_labels"]["transport_damage"] == "运输损坏"
    received = next(f for f in data["fields"] if f["id"] == "received_at")
    assert received["help"].startswith("收到投诉的时间")
    assert data["sections"][0] == {
        "title": "投诉受理",
        "fields": [f.id for f in get_form("registration").sections[0].fields],
    }
    text = CliRunner().invoke(cli, ["forms", "describe", "capa", "--language", "zh"])
    assert "纠正与预防措施报告" in text.stdout and "根本原因" in text.stdout
    bad = CliRunner().invoke(cli, ["forms", "describe", "capa", "--language", "fr"])
    assert bad.exit_code == 2 and "'fr' is not a language closedloop is written in" in bad.output


def test_forms_blank_in_the_language_asked_for_or_the_folders(tmp_path: Path) -> None:
    def blank(*args: str) -> str:
        out = tmp_path / "f.docx"
        result = CliRunner().invoke(
            cli, ["forms", "blank", "registration", "--format", "docx", "-o", str(out), *args]
        )
        assert result.exit_code == 0, result.output
        return "\n".join(p.text for p in docx.Document(str(out)).paragraphs)

    assert "Complaint Registration Form" in blank()
    assert "客户投诉登记表" in blank("--language", "zh-CN")
    both = blank("--language", "zh-CN", "--second-language", "en")
    assert "客户投诉登记表 Complaint Registration Form" in both
    folder = Folder(tmp_path / "share", language="zh-CN")
    settings = folder.root / "closedloop.toml"
    text = settings.read_text(encoding="utf-8")
    assert 'language = "zh-CN"' in text
    assert "客户投诉登记表" in blank("--root", str(folder.root))
    assert "Complaint Registration Form" in blank("--root", str(folder.root), "--language", "en")
    if "second_language" not in text:
        text = text.replace('language = "zh-CN"', 'language = "zh-CN"\nsecond_language = "en"')
    else:
        text = re.sub(r"^second_language = .*$", 'second_language = "en"', text, flags=re.M)
    settings.write_text(text, encoding="utf-8")
    assert "客户投诉登记表 Complaint Registration Form" in blank("--root", str(folder.root))
    assert "Complaint Registration" not in blank(
        "--root", str(folder.root), "--second-language", "none"
    )
    assert all(_CJK.search(get_form(f).title_in("zh-CN")) for f in FORM_IDS)


def test_a_wrong_value_is_said_in_the_language_in_use_not_the_forms() -> None:
    form = get_form("registration")
    with pytest.raises(FieldValueError, match="'42' is not a case number like CC-2026-0001"):
        render_form(form, "docx", None, "42", language="zh-CN")
    with use("zh-CN"), pytest.raises(FieldValueError) as exc:
        render_form(form, "xlsx", {"colour": "红"}, language="en")
    assert "“colour”不是客户投诉登记表的字段" in str(exc.value)
    with use("zh-CN"), pytest.raises(FieldValueError) as exc:
        render_form(form, "docx", {"complaint_date": "下周"})
    assert "投诉日期：“下周”不是日期" in str(exc.value)


def test_read_says_what_it_read_in_the_language_asked_for_or_the_folders(tmp_path: Path) -> None:
    """A Chinese engineer diagnosing a form reads its fields by their Chinese labels and
    its problems in Chinese; --json keeps the ids and says the problems in the language."""
    folder = Folder(tmp_path / "share", language="zh-CN")
    root = str(folder.root)
    path = write_form(
        get_form("capa"),
        "docx",
        tmp_path / "capa.docx",
        {
            "customer": "苏州华锦门窗有限公司",
            "responsible_department": "storage_transportation",
            "actions": [{"action": "加厚缓冲泡棉", "owner": "李梅", "due": "2026-12-01"}],
        },
        CASE,
        language="zh-CN",
    )

    def read(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(cli, ["read", str(path), *args])
        return result.exit_code, result.stdout

    code, text = read("--root", root)
    assert code == 1
    assert text.splitlines()[0] == f"纠正与预防措施报告（8D报告）（capa，版本 1），投诉编号 {CASE}"
    assert "  客户名称：苏州华锦门窗有限公司\n" in text
    assert "  责任部门：储运部\n" in text
    assert (
        "  纠正措施：1 行\n    - 措施内容：加厚缓冲泡棉；负责人：李梅；计划完成日期：2026-12-01\n"
        in text
    )
    assert "问题：\n  - 根本原因：此栏为必填项，请填写\n" in text
    assert read("--language", "zh-CN") == (code, text)
    english = read()
    assert english == read("--root", root, "--language", "en")
    assert english[1].startswith(
        f"Corrective and Preventive Action Report (capa, version 1), case {CASE}"
    )
    assert "  Responsible department: Storage & Transportation\n" in english[1]
    assert "Problems:\n  - Root cause: this is required; fill it in\n" in english[1]
    code, out = read("--root", root, "--json")
    data = json.loads(out)
    assert code == 1 and data["fields"]["responsible_department"] == "storage_transportation"
    assert {"field": "root_cause", "message": "根本原因：此栏为必填项，请填写"} in data["problems"]
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(b"%PDF-1.4\n%%EOF")
    refused = CliRunner().invoke(cli, ["read", str(scan), "--root", root])
    assert refused.exit_code == 2 and refused.stderr.startswith("错误：scan.pdf")


def test_forms_list_and_describe_in_the_language_asked_for_or_the_folders(tmp_path: Path) -> None:
    root = str(Folder(tmp_path / "share", language="zh-CN").root)

    def run(*args: str) -> str:
        result = CliRunner().invoke(cli, ["forms", *args])
        assert result.exit_code == 0, result.output
        return result.stdout

    listed = run("list", "--root", root)
    assert "registration         v1    客户投诉登记表\n" in listed
    assert run("list", "--language", "zh-CN") == listed
    assert "Complaint Registration Form" in run("list", "--root", root, "--language", "en")
    rows = json.loads(run("list", "--root", root, "--json"))
    assert [r["id"] for r in rows] == list(FORM_IDS)
    assert rows[-1] == {"id": "satisfaction_survey", "title": "客户满意度调查表", "version": "1"}
    assert json.loads(run("list", "--json"))[0]["title"] == "Complaint Registration Form"
    described = run("describe", "capa", "--root", root)
    assert described.startswith("纠正与预防措施报告（8D报告）（capa，版本 1）\n根本原因、责任判定")
    assert "  root_cause                   multiline    根本原因（必填）\n" in described
    assert "可选值：quality_management, storage_transportation" in described
    english = run("describe", "capa")
    assert "  root_cause                   multiline    Root cause (required)\n" in english
    assert "choices: quality_management, storage_transportation" in english
    data = json.loads(run("describe", "capa", "--root", root, "--json"))
    assert data["title"] == "纠正与预防措施报告（8D报告）" and data["id"] == "capa"
