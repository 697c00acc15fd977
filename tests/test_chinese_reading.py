"""Reading never depends on the language: Chinese choice words and Chinese labels are read
as the same ids, on any site; and every shipped text has its Chinese (issue #14, step 1)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import docx
import openpyxl
import pytest

from forms.definition import (
    FORM_IDS,
    LANGUAGES,
    Field,
    FormDefinition,
    all_forms,
    build_definition,
    get_form,
)
from forms.errors import DefinitionError
from forms.reader import read_form
from forms.values import ValueProblem, convert
from forms.writer import write_form
from tests.office import fill_docx, fill_xlsx
from tests.scenario import REGISTRATION, Folder
from tests.zips import rewrite

_CJK = re.compile(r"[\u4e00-\u9fff]")
SURVEY_ANSWERS = {
    "Speed of response": "满意",
    "Solution": "非常满意",
    "Communication": "一般",
    "Customer accepts the result": "是",
}
SURVEY_VALUES = {
    "rating_speed": "satisfied",
    "rating_solution": "very_satisfied",
    "rating_communication": "neutral",
    "customer_accepts": True,
}


def _texts(form: FormDefinition) -> list[tuple[str, str, str]]:
    """(where, English, Chinese) for every title and label of form."""
    out = [(form.id, form.title, form.title_in("zh-CN"))]
    out += [(f"{form.id} section", s.title, s.title_in("zh-CN")) for s in form.sections]

    def field(f: Field, where: str) -> None:
        out.append((where, f.label, f.label_in("zh-CN")))
        out.extend((f"{where} {c.id}", c.label, c.label_in("zh-CN")) for c in f.choices)
        for col in f.columns:
            field(col, f"{where}.{col.id}")

    for f in form.fields:
        field(f, f"{form.id}.{f.id}")
    return out


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_every_title_label_and_choice_has_its_chinese(form_id: str) -> None:
    for where, english, chinese in _texts(get_form(form_id)):
        assert chinese != english and _CJK.search(chinese), f"{where}: {english!r} has no Chinese"


def test_a_definition_without_chinese_fails_to_load_naming_form_and_field() -> None:
    raw: dict[str, Any] = {
        "id": "x",
        "title": "X",
        "title_zh": "某表",
        "version": "1",
        "sections": [
            {
                "title": "S",
                "title_zh": "某节",
                "fields": [
                    {"id": "a", "label": "A", "label_zh": "甲", "type": "text"},
                    {"id": "b", "label": "B", "type": "text"},
                ],
            }
        ],
    }
    with pytest.raises(DefinitionError, match=r"x\.toml field 'b': has no zh-CN text \(label_zh\)"):
        build_definition(raw, {}, "x.toml", LANGUAGES)
    raw["sections"][0]["fields"][1] = {
        "id": "b",
        "label": "B",
        "label_zh": "乙",
        "type": "choice",
        "choices": [{"id": "yes", "label": "Yes", "label_zh": "是"}, {"id": "no", "label": "No"}],
    }
    with pytest.raises(DefinitionError, match=r"x\.toml field 'b' choice 'no': has no zh-CN text"):
        build_definition(raw, {}, "x.toml", LANGUAGES)
    # Without the shipped languages asked for, English alone still loads (a site's own form).
    assert build_definition(raw, {}, "x.toml").field("b").choice_label("no", "zh-CN") == "No"


def test_chinese_labels_name_one_field_and_one_choice() -> None:
    raw = {
        "id": "x",
        "title": "X",
        "version": "1",
        "sections": [
            {
                "title": "S",
                "fields": [
                    {"id": "a", "label": "A", "label_zh": "客户名称", "type": "text"},
                    {"id": "b", "label": "B", "label_zh": "客户名称：", "type": "text"},
                ],
            }
        ],
    }
    with pytest.raises(DefinitionError, match="zh-CN field label '客户名称' appears twice"):
        build_definition(raw, {}, "x.toml")
    choices = [
        {"id": "a", "label": "A", "label_zh": "退货"},
        {"id": "b", "label": "B", "aliases": ["退 货"]},
    ]
    raw["sections"][0]["fields"] = [  # type: ignore[index]
        {"id": "c", "label": "C", "type": "choice", "choices": choices}
    ]
    with pytest.raises(DefinitionError, match="choices 'a' and 'b' are both written '退货'"):
        build_definition(raw, {}, "x.toml")
    choices[1] = {"id": "b", "label": "B", "label_zh": "退货、换货"}
    with pytest.raises(DefinitionError, match="holds a list separator"):
        build_definition(raw, {}, "x.toml")


def test_texts_in_a_language_with_english_as_the_fallback() -> None:
    reg = get_form("registration")
    assert reg.title_in("zh-CN") == "客户投诉登记表" and reg.title_in("fr") == reg.title
    assert reg.field("customer").label_in("zh-CN") == "客户名称"
    assert reg.field("category").choice_label("transport_damage", "zh-CN") == "运输损坏"
    assert reg.field("category").choice_label("transport_damage") == "Transport damage"
    assert reg.sections[0].title_in("zh-CN") == "投诉受理"
    capa = get_form("capa")
    assert capa.field("actions").column("due").label_in("zh-CN") == "计划完成日期"
    assert capa.field("root_cause").label_in("de") == "Root cause"


@pytest.mark.parametrize(
    ("form_id", "field_id", "typed", "expected"),
    [
        ("satisfaction_survey", "rating_speed", "满意", "satisfied"),
        ("satisfaction_survey", "rating_speed", "Satisfied", "satisfied"),
        ("satisfaction_survey", "rating_speed", "satisfied", "satisfied"),
        ("satisfaction_survey", "rating_speed", " 非常 满意。", "very_satisfied"),
        ("satisfaction_survey", "rating_speed", "非常不满意", "very_dissatisfied"),
        ("registration", "category", "运输损坏", "transport_damage"),
        ("registration", "category", "安装/技术问题", "installation_technical"),
        ("registration", "channel", "电话", "phone"),
        ("registration", "responsible_department", "质量管理部", "quality_management"),
        ("registration", "responsible_department", "品质部", "quality_management"),
        ("registration", "responsible_department", "生产计划部(PMC)", "planning"),
        ("capa", "responsibility_type", "客户原因", "customer"),
        ("return_tracking", "deduction_decision", "不扣款", "no_deduction"),
    ],
)
def test_a_choice_is_read_by_id_label_alias_or_chinese(
    form_id: str, field_id: str, typed: str, expected: str
) -> None:
    assert convert(get_form(form_id).field(field_id), typed) == expected


@pytest.mark.parametrize(
    "typed", ["退货、换货", "退货，换货", "退货；换货", "Return, 换货", "return;exchange、退货"]
)
def test_multichoice_with_chinese_words_and_separators(typed: str) -> None:
    field = get_form("registration").field("customer_requirement")
    assert convert(field, typed) == ["return", "exchange"]


def test_an_unknown_word_is_still_refused_in_english() -> None:
    field = get_form("satisfaction_survey").field("rating_speed")
    with pytest.raises(ValueProblem) as exc:
        convert(field, "还行吧")
    assert str(exc.value) == (
        "'还行吧' is not one of the choices; write one of: Very satisfied, Satisfied, "
        "Neutral, Dissatisfied, Very dissatisfied"
    )


@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
def test_a_survey_answered_in_chinese_reads_as_the_ids(tmp_path: Path, fmt: str) -> None:
    path = write_form(
        get_form("satisfaction_survey"),
        fmt,  # type: ignore[arg-type]
        tmp_path / f"survey.{fmt}",
        case_id="CC-2026-0007",
    )
    (fill_docx if fmt == "docx" else fill_xlsx)(path, SURVEY_ANSWERS)
    result = read_form(path)
    assert result.problems == []
    assert {k: result.values[k] for k in SURVEY_VALUES} == SURVEY_VALUES
    assert result.case_id == "CC-2026-0007"


def _in_chinese_docx(src: Path, dst: Path, form: FormDefinition) -> Path:
    """src with its label cells retyped in Chinese and its bookmarks gone, as a site that
    made its own Chinese copy of the form would have it."""
    d = docx.Document(str(src))
    chinese = {f.label: f.label_in("zh-CN") for f in form.fields}
    for table in d.tables:
        for row in table.rows:
            for cell in row.cells:
                if cell.text.strip() in chinese:
                    cell.text = chinese[cell.text.strip()]
    d.save(str(dst))

    def no_bookmarks(name: str, data: bytes) -> tuple[str, bytes]:
        return name, re.sub(rb"<w:bookmark(Start|End)[^>]*/>", b"", data)

    return rewrite(dst, dst.with_name("zh-" + dst.name), no_bookmarks)


def _in_chinese_xlsx(src: Path, dst: Path, form: FormDefinition) -> Path:
    """src with its label cells retyped in Chinese and its defined names gone."""
    wb = openpyxl.load_workbook(src)
    chinese = {f.label: f.label_in("zh-CN") for f in form.fields}
    for row in wb.worksheets[0].iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.strip() in chinese:
                cell.value = chinese[cell.value.strip()]
    for name in [n for n in wb.defined_names if n.startswith("CL_")]:
        del wb.defined_names[name]
    wb.save(dst)
    return dst


@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
def test_a_form_labelled_in_chinese_is_read_by_its_chinese_labels(tmp_path: Path, fmt: str) -> None:
    form = get_form("registration")
    blank = write_form(form, fmt, tmp_path / f"reg.{fmt}", case_id="CC-2026-0042")  # type: ignore[arg-type]
    made = (_in_chinese_docx if fmt == "docx" else _in_chinese_xlsx)(
        blank, tmp_path / f"reg-zh.{fmt}", form
    )
    (fill_docx if fmt == "docx" else fill_xlsx)(
        made,
        {
            "投诉日期": "2026年11月20日",
            "客户名称": "苏州门窗有限公司",
            "产品名称/规格型号": "W-200 断桥铝窗",
            "收货日期": "2026-11-02",
            "类别": "运输损坏",
            "不良现象": "10件中3件玻璃破裂",
            "客户要求": "退货、换货",
            "投诉是否成立": "是",
            "责任部门": "储运部",
        },
    )
    result = read_form(made)
    assert (result.form.id, result.case_id) == ("registration", "CC-2026-0042")
    assert result.problems == []
    assert {k: str(result.values[k]) for k in ("complaint_date", "goods_received_date")} == {
        "complaint_date": "2026-11-20",
        "goods_received_date": "2026-11-02",
    }
    assert result.values["customer"] == "苏州门窗有限公司"
    assert result.values["category"] == "transport_damage"
    assert result.values["customer_requirement"] == ["return", "exchange"]
    assert result.values["established"] is True
    assert result.values["responsible_department"] == "storage_transportation"


def _filings(folder: Folder, case_id: str) -> list[dict[str, Any]]:
    [case_json] = (folder.root / "Archive").glob(f"{case_id} */case.json")
    filings: list[dict[str, Any]] = json.loads(case_json.read_text(encoding="utf-8"))["filings"]
    return filings


def test_ingest_files_a_registration_answered_in_chinese(tmp_path: Path) -> None:
    folder = Folder(tmp_path / "share")
    folder.save(
        folder.blank("registration"),
        {
            **REGISTRATION,
            "Category": "运输损坏",
            "Customer asks for": "退货、换货",
            "Complaint established": "是",
        },
    )
    [result] = folder.ingest("2026-11-20T10:00")
    assert result["outcome"] == "filed", result
    case_id = str(result["case_id"])
    fields = _filings(folder, case_id)[0]["fields"]
    assert (fields["category"], fields["customer_requirement"], fields["established"]) == (
        "transport_damage",
        ["return", "exchange"],
        True,
    )
    status = folder.status(case_id, "2026-11-20T10:00")
    assert status["category"] == "transport_damage"
    assert status["outstanding"] == ["return_form", "capa"]  # a return was asked for


def test_ingest_closes_a_case_whose_capa_and_survey_are_answered_in_chinese(
    tmp_path: Path,
) -> None:
    folder = Folder(tmp_path / "share")
    folder.save(folder.blank("registration"), {**REGISTRATION, "Complaint established": "是"})
    [result] = folder.ingest("2026-11-20T10:00")
    case_id = str(result["case_id"])
    folder.save(
        folder.outbox("Storage & Transportation", case_id, "capa"),
        {
            "Root cause": "缓冲泡棉太薄，经不起4小时振动",
            "Responsibility": "可控责任",
            "Verification evidence": "4小时振动+3次跌落试验，破损率由15%降为0",
            "Plan approved by": "赵总",
            "Plan approved on": "2026-11-20",
            "Handling plan": "换货，维修",
        },
        (
            ["Action", "Owner", "Due", "Done on"],
            [["加厚缓冲泡棉", "李工", "2026-11-27", "2026-11-20"]],
        ),
    )
    [capa] = folder.ingest("2026-11-21T09:00")
    assert capa["outcome"] == "filed", capa
    capa_fields = _filings(folder, case_id)[1]["fields"]
    assert capa_fields["responsibility_type"] == "own_controllable"
    assert capa_fields["handling_plan"] == ["exchange", "repair"]

    folder.save(folder.outbox("Customer Window", case_id, "satisfaction_survey"), SURVEY_ANSWERS)
    [survey] = folder.ingest("2026-11-24T09:00")
    assert survey["outcome"] == "filed", survey
    survey_fields = _filings(folder, case_id)[-1]["fields"]
    assert {k: survey_fields[k] for k in SURVEY_VALUES} == SURVEY_VALUES
    status = folder.status(case_id, "2026-11-24T09:00")
    assert (status["state"], status["resolution"]) == ("closed", "accepted")


def test_describe_json_adds_the_chinese_beside_the_english() -> None:
    described = get_form("registration").describe()
    assert list(described) == ["id", "title", "version", "fields"]
    category = next(f for f in described["fields"] if f["id"] == "category")
    assert category["label"] == "Category"
    assert category["labels"] == {"en": "Category", "zh-CN": "类别"}
    assert category["choices"][3] == "transport_damage"
    assert category["choice_labels"]["transport_damage"] == "Transport damage"
    assert category["choice_labels_by_language"]["zh-CN"]["transport_damage"] == "运输损坏"
    capa = get_form("capa").describe()
    actions = next(f for f in capa["fields"] if f["id"] == "actions")
    assert actions["columns"][0]["labels"] == {"en": "Action", "zh-CN": "措施内容"}
    for form in all_forms().values():
        for f in form.describe()["fields"]:
            assert set(f["labels"]) == set(LANGUAGES), (form.id, f["id"])
