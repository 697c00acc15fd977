"""Reading filled forms as people and office suites leave them."""

from __future__ import annotations

import re
import threading
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from forms.definition import get_form
from forms.errors import RefusedFile
from forms.reader import read_form
from forms.writer import write_form
from tests.office import LibreOffice, fill_docx, fill_docx_table, fill_xlsx
from tests.zips import replace_in, rewrite

W = b"http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W_STRICT = b"http://purl.oclc.org/ooxml/wordprocessingml/main"

GOOD_LABELS = {
    "Complaint date": "2026-11-20",
    "Customer": "ACME Windows & Doors",
    "Product / model": "W-200 casement ±0.02mm",
    "Goods received date": "2026-11-02",
    "Category": "transport damage",
    "Description": "Glass cracked in 3 of 10 units.\nFound on unpacking.",
    "Customer asks for": "Return, repair",
    "Quantity affected": "3",
    "Complaint established": "yes",
    "Received at (date and time)": "2026-11-20 09:15",
}
GOOD_VALUES = {
    "complaint_date": date(2026, 11, 20),
    "customer": "ACME Windows & Doors",
    "product": "W-200 casement ±0.02mm",
    "goods_received_date": date(2026, 11, 2),
    "category": "transport_damage",
    "description": "Glass cracked in 3 of 10 units.\nFound on unpacking.",
    "customer_requirement": ["return", "repair"],
    "quantity_affected": 3,
    "established": True,
    "received_at": datetime(2026, 11, 20, 9, 15),
}
BAD_LABELS = {
    "Goods received date": "31/13/2026",
    "Quantity affected": "five",
    "Complaint established": "maybe",
    "Category": "Colour",
    "Received at (date and time)": "2026-11-20 25:00",
}
BAD_PROBLEMS = [
    "Received at (date and time): '2026-11-20 25:00' is not a date and time; write it like 2026-11-30 14:30",
    "Goods received date: '31/13/2026' is not a date; write it like 2026-11-30",
    "Quantity affected: 'five' is not a whole number; write it like 12",
    "Category: 'Colour' is not one of the choices; write one of: Quality, Quantity, Tolerance / dimension, "
    "Transport damage, Installation / technical question, Special requirement, Other",
    "Complaint established: 'maybe' is not Yes or No; write Yes or No",
]


def blank(tmp_path: Path, fmt: str, form_id: str = "registration", case: str | None = None) -> Path:
    return write_form(get_form(form_id), fmt, tmp_path / f"{form_id}-blank.{fmt}", case_id=case)  # type: ignore[arg-type]


def assert_values(path: Path, expected: dict[str, object]) -> None:
    result = read_form(path)
    got = {k: result.values[k] for k in expected}
    assert got == expected


def messages(path: Path) -> list[str]:
    return [p.message for p in read_form(path).problems]


@pytest.mark.libreoffice
def test_filled_by_label_then_resaved_in_libreoffice(
    tmp_path: Path, libreoffice: LibreOffice
) -> None:
    good_docx = fill_docx(blank(tmp_path, "docx"), GOOD_LABELS, tmp_path / "good.docx")
    bad_docx = fill_docx(good_docx, BAD_LABELS, tmp_path / "bad.docx")
    good_xlsx = fill_xlsx(
        blank(tmp_path, "xlsx"),
        {
            **GOOD_LABELS,
            # what Excel stores when a person types into typed cells: real dates and numbers
            "Complaint date": datetime(2026, 11, 20),
            "Goods received date": datetime(2026, 11, 2),
            "Received at (date and time)": datetime(2026, 11, 20, 9, 15),
            "Quantity affected": 3,
            "Complaint established": "Yes",
        },
        tmp_path / "good.xlsx",
    )
    bad_xlsx = fill_xlsx(good_xlsx, BAD_LABELS, tmp_path / "bad.xlsx")
    resaved = libreoffice.resave([good_docx, bad_docx, good_xlsx, bad_xlsx], tmp_path / "lo")
    for good, bad in (resaved[:2], resaved[2:]):
        assert_values(good, GOOD_VALUES)
        assert messages(good) == []
        assert messages(bad) == BAD_PROBLEMS
        assert read_form(bad).values["customer"] == "ACME Windows & Doors"


@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
def test_bad_values_give_problems_naming_label_value_and_fix(tmp_path: Path, fmt: str) -> None:
    fill = fill_docx if fmt == "docx" else fill_xlsx
    path = fill(blank(tmp_path, fmt), {**GOOD_LABELS, **BAD_LABELS})
    assert messages(path) == BAD_PROBLEMS
    problems = read_form(path).problems
    assert [p.field for p in problems][:2] == ["received_at", "goods_received_date"]
    assert problems[1].value == "31/13/2026"


def test_blank_form_lists_each_required_field(tmp_path: Path) -> None:
    assert messages(blank(tmp_path, "docx")) == [
        "Complaint date: this is required; fill it in",
        "Customer: this is required; fill it in",
        "Product / model: this is required; fill it in",
        "Goods received date: this is required; fill it in",
        "Category: this is required; fill it in",
        "Description: this is required; fill it in",
        "Customer asks for: this is required; fill it in",
    ]


def test_table_rows_problems_name_row_and_column(tmp_path: Path) -> None:
    path = blank(tmp_path, "docx", "capa", "CC-2026-0001")
    fill_docx(path, {"Root cause": "Mould wear on cavity 3"})
    fill_docx_table(
        path,
        ["Action", "Owner", "Due", "Done on"],
        [
            ["Replace insert", "Wang", "2026-12-01", ""],
            ["", "", "", ""],
            ["Retrain night shift", "", "next week", ""],
        ],
    )
    assert messages(path) == [
        "Corrective actions, row 3, Owner: is empty; fill it in, or clear the whole row",
        "Corrective actions, row 3, Due: 'next week' is not a date; write it like 2026-11-30",
    ]
    rows = read_form(path).values["actions"]
    assert isinstance(rows, list) and len(rows) == 2
    assert rows[0] == {
        "action": "Replace insert",
        "owner": "Wang",
        "due": date(2026, 12, 1),
        "done": None,
    }


def test_extra_rows_added_to_a_docx_table_are_read(tmp_path: Path) -> None:
    path = blank(tmp_path, "docx", "return_tracking", "CC-2026-0002")
    rows = [[f"Part {i}", str(i), f"{i}.50", "yes" if i % 2 else "no"] for i in range(1, 10)]
    fill_docx_table(path, ["Item", "Quantity", "Unit price", "Charge customer"], rows)
    items = read_form(path).values["replaced_items"]
    assert isinstance(items, list) and len(items) == 9
    assert items[8] == {
        "item": "Part 9",
        "quantity": 9,
        "unit_price": Decimal("9.5"),
        "charge_customer": True,
    }


def test_blank_rows_between_xlsx_table_rows_are_skipped(tmp_path: Path) -> None:
    path = write_form(get_form("capa"), "xlsx", tmp_path / "capa.xlsx", {"root_cause": "x"})
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    header = next(c for row in ws.iter_rows() for c in row if c.value == "Action")
    ws.cell(header.row + 1, 1, "First")
    ws.cell(header.row + 1, 2, "Li")
    ws.cell(header.row + 1, 3, datetime(2026, 12, 1))
    ws.cell(header.row + 4, 1, "Fourth")
    ws.cell(header.row + 4, 2, "Wu")
    ws.cell(header.row + 4, 3, "2026-12-05")
    ws.cell(header.row + 4, 4, datetime(2026, 12, 4))
    wb.save(path)
    result = read_form(path)
    assert result.values["actions"] == [
        {"action": "First", "owner": "Li", "due": date(2026, 12, 1), "done": None},
        {"action": "Fourth", "owner": "Wu", "due": date(2026, 12, 5), "done": date(2026, 12, 4)},
    ]
    assert result.problems == []


def _docx_value_cell(label: str) -> re.Pattern[bytes]:
    """The value cell (second <w:tc>) of the row whose label cell reads `label`."""
    return re.compile(
        rb"(<w:t[^>]*>" + re.escape(label.encode()) + rb"</w:t>.*?</w:tc>\s*<w:tc>)(.*?)(</w:tc>)",
        re.S,
    )


def test_values_split_across_runs_tracked_changes_and_placeholders(tmp_path: Path) -> None:
    path = fill_docx(
        blank(tmp_path, "docx"), {**GOOD_LABELS, "Customer": "X", "Batch / lot number": "Y"}
    )
    customer = (
        b'<w:p><w:r><w:t>AC</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">ME </w:t></w:r>'
        b'<w:del w:id="90" w:author="a"><w:r><w:delText>Old name</w:delText></w:r></w:del>'
        b'<w:ins w:id="91" w:author="a"><w:r><w:t>Windows</w:t></w:r></w:ins></w:p>'
    )
    batch = (
        b"<w:p><w:sdt><w:sdtPr><w:showingPlcHdr/></w:sdtPr><w:sdtContent><w:r>"
        b"<w:t>Click or tap here to enter text.</w:t></w:r></w:sdtContent></w:sdt></w:p>"
    )

    def edit(name: str, data: bytes) -> tuple[str, bytes]:
        if name == "word/document.xml":
            data = _docx_value_cell("Customer").sub(
                lambda m: m[1] + b"<w:tcPr/>" + customer + m[3], data, 1
            )
            data = _docx_value_cell("Batch / lot number").sub(
                lambda m: m[1] + batch + m[3], data, 1
            )
        return name, data

    out = rewrite(path, tmp_path / "edited.docx", edit)
    result = read_form(out)
    assert result.values["customer"] == "ACME Windows"
    assert result.values["batch_number"] is None


def test_odd_package_shapes_of_our_own_forms(tmp_path: Path) -> None:
    docx = fill_docx(blank(tmp_path, "docx", case="CC-2026-0042"), GOOD_LABELS)
    xlsx = fill_xlsx(blank(tmp_path, "xlsx", case="CC-2026-0042"), GOOD_LABELS)

    # main part renamed: found through the package relationships, not by its usual name
    def rename(name: str, data: bytes) -> tuple[str, bytes]:
        data = data.replace(b"word/document.xml", b"word/main-part.xml").replace(
            b'Target="document.xml"', b'Target="main-part.xml"'
        )
        return (
            "word/main-part.xml"
            if name == "word/document.xml"
            else name.replace("document.xml.rels", "main-part.xml.rels"),
            data,
        )

    # Strict OOXML namespaces, as Word's "Strict Open XML" save writes them
    def strict(name: str, data: bytes) -> tuple[str, bytes]:
        return name, data.replace(W, W_STRICT) if name == "word/document.xml" else data

    # bookmarks gone (a person pasted over the label cells): labels still find the fields
    def no_bookmarks(name: str, data: bytes) -> tuple[str, bytes]:
        return name, re.sub(rb"<w:bookmark(Start|End)[^>]*/>", b"", data)

    # identity properties gone: the printed footer line still says which form and case
    def no_custom_props(name: str, data: bytes) -> tuple[str, bytes] | None:
        return None if name == "docProps/custom.xml" else (name, data)

    # spacer paragraphs gone: Word then shows adjacent tables as one
    def merged_tables(name: str, data: bytes) -> tuple[str, bytes]:
        if name == "word/document.xml":
            data = re.sub(
                rb"(</w:tbl>)<w:p>(?:(?!<w:p>).)*?</w:p>(<w:tbl>)", rb"\1\2", data, flags=re.S
            )
        return name, data

    for transform in (rename, strict, no_bookmarks, no_custom_props, merged_tables):
        out = rewrite(docx, tmp_path / f"{transform.__name__}.docx", transform)
        result = read_form(out)
        assert (result.form.id, result.case_id) == ("registration", "CC-2026-0042"), (
            transform.__name__
        )
        assert {k: result.values[k] for k in GOOD_VALUES} == GOOD_VALUES, transform.__name__
        assert result.problems == [], transform.__name__

    # rows and cells without r= attributes: positions inferred
    def no_row_numbers(name: str, data: bytes) -> tuple[str, bytes]:
        if name.startswith("xl/worksheets/sheet"):
            data = re.sub(rb'(<(?:row|c)\b[^>]*?) r="[A-Z]*\d+"', rb"\1", data)
        return name, data

    # defined names gone: labels still find the input cells
    def no_names(name: str, data: bytes) -> tuple[str, bytes]:
        if name == "xl/workbook.xml":
            data = re.sub(rb"<definedName name=\"CL_[^<]*</definedName>", b"", data)
        return name, data

    for transform in (no_row_numbers, no_names, no_custom_props):
        out = rewrite(xlsx, tmp_path / f"{transform.__name__}.xlsx", transform)
        result = read_form(out)
        assert (result.form.id, result.case_id) == ("registration", "CC-2026-0042"), (
            transform.__name__
        )
        assert {k: result.values[k] for k in GOOD_VALUES} == GOOD_VALUES, transform.__name__


def test_the_file_name_plays_no_part(tmp_path: Path) -> None:
    path = blank(tmp_path, "xlsx", "capa", "CC-2026-0005")
    renamed = path.rename(tmp_path / "registration form FINAL (2).docx")
    result = read_form(renamed)
    assert (result.form.id, result.format, result.case_id) == ("capa", "xlsx", "CC-2026-0005")


@pytest.mark.parametrize("name", ["~$gistration.docx", ".~lock.registration.docx#", "~$pa.xlsx"])
def test_office_lock_files_are_recognised(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"\x0bOffice User" + b"\x00" * 100)
    with pytest.raises(RefusedFile) as exc:
        read_form(path)
    assert exc.value.kind == "lock_file"
    assert "lock file" in exc.value.message


def test_half_copied_and_empty_files_are_corrupt(tmp_path: Path) -> None:
    whole = blank(tmp_path, "docx").read_bytes()
    for name, data, words in (
        ("half.docx", whole[: len(whole) // 2], "was it saved or copied to the end?"),
        ("empty.xlsx", b"", "the file is empty (0 bytes)."),
    ):
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(RefusedFile) as exc:
            read_form(path)
        assert exc.value.kind == "corrupt"
        assert words in exc.value.message


def test_zip_bomb_and_entity_expansion_in_our_own_form_are_unsafe(tmp_path: Path) -> None:
    source = blank(tmp_path, "docx")

    def bomb(name: str, data: bytes) -> tuple[str, bytes]:
        return (name, b"\0" * (80 * 1024 * 1024)) if name == "docProps/app.xml" else (name, data)

    lol = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    )
    laughs = replace_in(
        "word/document.xml", b"<?xml version='1.0' encoding='UTF-8' standalone='yes'?>", lol
    )
    for transform, expect in ((bomb, "zip bomb"), (laughs, "declares XML entities")):
        out = rewrite(source, tmp_path / f"unsafe-{expect[:3]}.docx", transform)
        with pytest.raises(RefusedFile) as exc:
            read_form(out)
        assert exc.value.kind == "unsafe"
        assert expect in exc.value.message


def test_values_that_look_like_formulas_are_written_as_text(tmp_path: Path) -> None:
    risky = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)"]
    path = write_form(
        get_form("capa"),
        "xlsx",
        tmp_path / "capa.xlsx",
        {
            "customer": risky[0],
            "responsible_person": risky[1],
            "verified_by": risky[2],
            "prepared_by": risky[3],
        },
    )
    wb = openpyxl.load_workbook(path)
    cells = {
        wb.defined_names[f"CL_{fid}"].attr_text.split("!")[1].replace("$", ""): fid
        for fid in ("customer", "responsible_person", "verified_by", "prepared_by")
    }
    ws = wb.worksheets[0]
    for ref in cells:
        assert ws[ref].data_type == "s", ref
        assert ws[ref].quotePrefix, ref
    result = read_form(path)
    assert [
        result.values[f] for f in ("customer", "responsible_person", "verified_by", "prepared_by")
    ] == risky


def test_reading_from_several_threads_at_once(tmp_path: Path) -> None:
    files = [
        write_form(
            get_form(form_id), fmt, tmp_path / f"{form_id}.{fmt}", {"customer": f"{form_id} {fmt}"}
        )  # type: ignore[arg-type]
        for form_id in ("capa", "registration", "satisfaction_survey")
        for fmt in ("docx", "xlsx")
    ]
    results: list[tuple[str, object]] = []

    def worker() -> None:
        for _ in range(5):
            for path in files:
                results.append((path.name, read_form(path).values["customer"]))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4 * 5 * len(files)
    assert all(value == name.replace(".", " ") for name, value in results)
