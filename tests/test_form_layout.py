"""What a person sees on a form, taken from the real Blank Forms folder: the value column
is the widest (in Word the table grid and every cell say the same widths), hints sit in
a column of their own and print no smaller than 8 pt, and the forms a quality department
signs end with a sign-off that reads back after LibreOffice saved the file."""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from openpyxl import load_workbook
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

from forms.definition import FORM_IDS, get_form
from forms.hints import Wording, hint_lines
from forms.layout import SIGN_OFF
from forms.reader import read_form
from forms.writer import write_form
from tests.conftest import DATA
from tests.office import LibreOffice, fill_docx, fill_xlsx
from tests.scenario import TITLES, Folder

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
TEXT_WIDTH_TWIPS = 9865  # A4 less the letterhead's 18 mm margins
SMALLEST_PT = 8.0
# pypdf gives a size from the PDF's text and page matrices, which carry rounding of a
# hundredth of a point (an 8 pt hint reads 7.99).
PDF_ROUNDING = 0.05

SIGN_OFF_FIELDS = {
    "registration": ["prepared", "reviewed", "approved"],
    "return_tracking": ["prepared", "reviewed", "approved"],
    "contract_review": ["prepared", "reviewed", "approved"],
    "capa": ["prepared", "reviewed", "plan_approved", "gm_acknowledged"],
}
SIGNED = {  # label -> what a person writes, and the value read back
    "Prepared by": "Wang Li",
    "Prepared on": "2026-11-24",
    "Reviewed by": "Quality: Chen",
    "Reviewed on": "2026-11-25",
    "Approved by": "Zhao (QM)",
    "Approved on": "2026-11-26",
    "Plan approved by": "GM Zhao",
    "Plan approved on": "2026-11-26",
    "General manager acknowledgement": "GM Zhao",
    "Acknowledged on": "2026-11-27",
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Folder:
    return Folder(tmp_path_factory.mktemp("layout") / "share")


def _document(path: Path) -> etree._Element:
    with zipfile.ZipFile(path) as z:
        return etree.fromstring(z.read("word/document.xml"))


def _width(el: etree._Element | None) -> int:
    assert el is not None
    return int(el.get(f"{W}w", "0"))


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_word_grid_and_cells_agree_and_the_value_is_widest(form_id: str, folder: Folder) -> None:
    _check_word_tables(_document(folder.blank(form_id, "docx")))


def _check_word_tables(body: etree._Element) -> None:
    field_tables = 0
    for tbl in body.iter(f"{W}tbl"):
        grid = [_width(g) for g in tbl.iter(f"{W}gridCol")]
        layout = tbl.find(f"{W}tblPr/{W}tblLayout")
        assert layout is not None and layout.get(f"{W}type") == "fixed"
        table_width = tbl.find(f"{W}tblPr/{W}tblW")
        assert table_width is not None and table_width.get(f"{W}type") == "dxa"
        assert _width(table_width) == sum(grid) == TEXT_WIDTH_TWIPS
        for tr in tbl.iter(f"{W}tr"):
            assert [_width(tc.find(f"{W}tcPr/{W}tcW")) for tc in tr.iter(f"{W}tc")] == grid
        if len(grid) == 3 and tbl.find(f".//{W}tc//{W}bookmarkStart") is not None:
            field_tables += 1
            label, value, hint = grid
            assert value > label and value > hint, grid
            assert label >= 30 * 1440 / 25.4 and hint >= 30 * 1440 / 25.4, grid
    assert field_tables >= 1


def test_word_hints_are_lines_of_their_own_in_their_own_column(folder: Folder) -> None:
    body = _document(folder.blank("capa", "docx"))
    for tr in body.iter(f"{W}tr"):
        names = [b.get(f"{W}name") for b in tr.iter(f"{W}bookmarkStart")]
        if names == ["cl_responsibility_type"]:
            hint = tr.findall(f"{W}tc")[2]
            lines = ["".join(map(str, p.itertext())) for p in hint.iter(f"{W}p")]
            assert lines[0].startswith("One of: Own controllable fault · Uncontrollable")
            assert lines[1].startswith("Own controllable: charged in a share")
            styles = {s.get(f"{W}val") for s in hint.iter(f"{W}pStyle")}
            assert styles == {"CLHint"}
            break
    else:
        raise AssertionError("no Responsibility row")


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_excel_columns_fit_the_page_width_value_widest(form_id: str, folder: Folder) -> None:
    _check_sheet_columns(folder.blank(form_id, "xlsx"))


def _check_sheet_columns(path: Path) -> None:
    ws = load_workbook(path).worksheets[0]
    widths = [ws.column_dimensions[c].width for c in "ABCDE"]
    assert widths[1] == max(widths), widths
    # 7 pixels a character of Arial 10, 5 of padding: A4 less 0.5 inch margins at 100 %
    assert sum(7 * w + 5 for w in widths) <= (210 - 25.4) / 25.4 * 96
    assert ws.page_margins.left == ws.page_margins.right == 0.5
    assert ws.sheet_properties.pageSetUpPr is not None
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
    hints = [c for row in ws.iter_rows() for c in row if c.style == "CL Hint" and c.value]
    assert hints and all(c.font.sz >= 8.5 and c.alignment.wrap_text for c in hints)


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_sign_off_is_the_last_section_where_one_signs(form_id: str) -> None:
    form = get_form(form_id)
    titles = [s.title for s in form.sections]
    if form_id not in SIGN_OFF_FIELDS:
        assert SIGN_OFF not in titles
        return
    assert titles[-1] == SIGN_OFF
    fields = form.sections[-1].fields
    expected = [f"{who}_{what}" for who in SIGN_OFF_FIELDS[form_id] for what in ("by", "date")]
    assert [f.id for f in fields] == expected
    assert [f.type for f in fields] == ["text", "date"] * len(SIGN_OFF_FIELDS[form_id])
    assert not any(f.required for f in fields)
    assert all(f.help.startswith("Name and signature") for f in fields if f.type == "text")


def test_a_capa_filled_before_the_sign_off_still_reads() -> None:
    """Golden files: a CAPA written by the writer before the sign-off section (the
    approvals sat in their own sections, the grid in thirds), filled and saved."""
    for fmt in ("docx", "xlsx"):
        read = read_form(DATA / f"capa-v1-before-signoff.{fmt}")
        assert read.problems == [] and read.case_id == "CC-2026-0007"
        fields = read.to_json()["fields"]
        assert fields["plan_approved_by"] == "GM Zhao"
        assert fields["plan_approved_date"] == "2026-11-24"
        assert fields["gm_acknowledged_by"] == "GM Zhao"
        assert fields["gm_acknowledged_date"] == "2026-11-23"
        assert fields["prepared_by"] == "Wang"
        assert fields["reviewed_by"] is None and fields["reviewed_date"] is None


def printed_text(pdf: Path) -> list[tuple[int, float, str]]:
    """Every piece of text on every page, with its printed size in points: the font size
    times the scale of the text and page matrices (a sheet fitted to the page is drawn
    smaller, and pypdf reports the font's own size)."""
    out: list[tuple[int, float, str]] = []
    for number, page in enumerate(PdfReader(pdf).pages, start=1):

        def visit(
            text: str,
            cm: list[float],
            tm: list[float],
            _font: object,
            size: float,
            number: int = number,
        ) -> None:
            if not text.strip():
                return
            a = tm[0] * cm[0] + tm[1] * cm[2]
            b = tm[0] * cm[1] + tm[1] * cm[3]
            c = tm[2] * cm[0] + tm[3] * cm[2]
            d = tm[2] * cm[1] + tm[3] * cm[3]
            out.append((number, size * math.sqrt(abs(a * d - b * c)), text.strip()))

        page.extract_text(visitor_text=visit)
    return out


@pytest.mark.libreoffice
def test_no_form_prints_text_smaller_than_8_pt(
    folder: Folder, libreoffice: LibreOffice, tmp_path: Path
) -> None:
    for fmt in ("docx", "xlsx"):
        blanks = [folder.blank(form_id, fmt) for form_id in FORM_IDS]
        for form_id, pdf in zip(FORM_IDS, libreoffice.to_pdf(blanks, tmp_path / fmt), strict=True):
            text = printed_text(pdf)
            assert any("Fill the" in t for _, _, t in text), pdf  # the form was drawn
            small = [(round(pt, 2), t) for _, pt, t in text if pt < SMALLEST_PT - PDF_ROUNDING]
            assert small == [], f"{TITLES[form_id]}.{fmt} prints {small[:5]}"
            if form_id in SIGN_OFF_FIELDS:  # and its sign-off on one sheet of paper
                words = "\n".join(t for _, _, t in text)
                assert "Sign-off" in words and "Prepared by" in words
                pages = {n for n, _, t in text if t in SIGNED or t == SIGN_OFF}
                assert len(pages) == 1, f"{TITLES[form_id]}.{fmt}: sign-off on pages {pages}"


@pytest.mark.libreoffice
def test_sign_off_reads_back_after_a_libreoffice_resave(
    folder: Folder, libreoffice: LibreOffice, tmp_path: Path
) -> None:
    filled: list[Path] = []
    for form_id, signers in SIGN_OFF_FIELDS.items():
        form = get_form(form_id)
        labels = {f.label: SIGNED[f.label] for f in form.sections[-1].fields}
        assert len(labels) == 2 * len(signers)
        for fmt in ("docx", "xlsx"):
            target = tmp_path / f"{form_id}.{fmt}"
            blank = folder.blank(form_id, fmt)
            (fill_docx if fmt == "docx" else fill_xlsx)(blank, labels, target)
            filled.append(target)
    for path in libreoffice.resave(filled, tmp_path / "resaved"):
        read = read_form(path)
        form = read.form
        got = {f.label: read.text(f.id) for f in form.sections[-1].fields}
        assert got == {label: SIGNED[label] for label in got}, path.name
        assert not [p for p in read.problems if p.field in got], path.name


# Chinese, and Chinese with English beside it (#14): shorter labels, longer ones, CJK hints.
WORDINGS = {"zh": Wording("zh-CN"), "zh-en": Wording("zh-CN", "en")}


@pytest.fixture(scope="module")
def chinese_blanks(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str, str], Path]:
    """Every form in both formats, in Chinese and in Chinese with English."""
    out = tmp_path_factory.mktemp("zh-layout")
    return {
        (form_id, fmt, key): write_form(
            get_form(form_id),
            fmt,  # type: ignore[arg-type]
            out / fmt / f"{form_id}-{key}.{fmt}",
            case_id="CC-2026-0042",
            language=words.language,
            second_language=words.second,
        )
        for form_id in FORM_IDS
        for fmt in ("docx", "xlsx")
        for key, words in WORDINGS.items()
    }


@pytest.mark.parametrize("key", WORDINGS)
@pytest.mark.parametrize("form_id", FORM_IDS)
def test_chinese_forms_keep_the_widths_and_the_value_widest(
    form_id: str, key: str, chinese_blanks: dict[tuple[str, str, str], Path]
) -> None:
    _check_word_tables(_document(chinese_blanks[form_id, "docx", key]))
    _check_sheet_columns(chinese_blanks[form_id, "xlsx", key])


def _alnum(text: str) -> str:
    """Letters and digits only: a PDF draws punctuation and spaces as it likes."""
    return "".join(ch for ch in text if ch.isalnum())


@pytest.mark.libreoffice
@pytest.mark.heavy  # 24 forms printed by LibreOffice: about 15 s
def test_chinese_forms_print_whole_no_smaller_than_8_pt(
    chinese_blanks: dict[tuple[str, str, str], Path], libreoffice: LibreOffice, tmp_path: Path
) -> None:
    """Nothing printed under 8 pt; the sign-off on one page; and in Excel, where a row does
    not grow to fit, every label and hint printed whole (LibreOffice leaves out the lines
    a row is too short for)."""
    for fmt in ("docx", "xlsx"):
        made = [(k, p) for k, p in chinese_blanks.items() if k[1] == fmt]
        pdfs = libreoffice.to_pdf([p for _, p in made], tmp_path / fmt)
        for ((form_id, _, key), _path), pdf in zip(made, pdfs, strict=True):
            form, words, text = get_form(form_id), WORDINGS[key], printed_text(pdf)
            small = [(round(pt, 2), t) for _, pt, t in text if pt < SMALLEST_PT - PDF_ROUNDING]
            assert small == [], f"{pdf.name} prints {small[:5]}"
            assert any("请在" in t for _, _, t in text), pdf.name  # the instructions, in Chinese
            if form_id in SIGN_OFF_FIELDS:
                signed = {f.label_in("zh-CN") for f in form.sections[-1].fields} | {"签核"}
                pages = {n for n, _, t in text if t in signed or t.startswith("签核 ")}
                assert len(pages) == 1, f"{pdf.name}: sign-off on pages {pages}"
            if fmt == "xlsx":
                printed = _alnum("".join(t for _, _, t in text))
                for f in form.fields:
                    if f.type == "table":
                        continue
                    for line in [words.label(f), *hint_lines(f, words)]:
                        assert _alnum(line) in printed, f"{pdf.name}: {line!r} is cut"


def test_pdf_sizes_are_read_from_the_matrices(tmp_path: Path) -> None:
    """printed_text's arithmetic on a known case: 10 pt text drawn at half scale is 5 pt."""
    writer = PdfWriter()
    page = writer.add_blank_page(200, 200)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
    )
    stream = DecodedStreamObject()
    stream.set_data(b"q 0.5 0 0 0.5 0 0 cm BT /F1 10 Tf 10 10 Td (small) Tj ET Q")
    page[NameObject("/Contents")] = writer._add_object(stream)
    path = tmp_path / "half.pdf"
    with path.open("wb") as fh:
        writer.write(fh)
    assert [(round(pt, 2), t) for _, pt, t in printed_text(path)] == [(5.0, "small")]
