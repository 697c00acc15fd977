"""A Chinese form is drawn in Chinese glyph forms (issue #14): its East Asian text is marked
zh-CN and named a Chinese font (Microsoft YaHei), so that Word, WPS and LibreOffice draw
骨, 直 and 角 as they are written in the mainland, not as in Japan or Hong Kong; its Latin
text keeps the forms' font; an English form is written as it always was."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from importlib import resources
from pathlib import Path

import docx
import openpyxl
import pytest
from lxml import etree
from openpyxl.cell.rich_text import CellRichText, TextBlock
from pypdf import PdfReader

from forms.definition import FORM_IDS, get_form
from forms.writer import render_form, write_form
from language import use
from tests.office import LibreOffice

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
YAHEI = "Microsoft YaHei"
LATIN = "Liberation Sans"
# Characters whose mainland (SC) glyph differs from the Japanese one.
TELLING = "骨直角"
PROBLEM = "窗框骨架直角处开裂，3樘中有1樘。"


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: z.read(name) for name in z.namelist()}


def _xml(data: bytes, part: str) -> etree._Element:
    return etree.fromstring(_parts(data)[part])


@pytest.mark.parametrize(("first", "second"), [("zh-CN", None), ("zh-CN", "en"), ("en", "zh-CN")])
def test_a_word_form_with_chinese_marks_its_east_asian_text_zh_cn_in_yahei(
    first: str, second: str | None
) -> None:
    data = render_form(get_form("registration"), "docx", language=first, second_language=second)
    defaults = _xml(data, "word/styles.xml").find(f"{W}docDefaults/{W}rPrDefault/{W}rPr")
    assert defaults is not None
    fonts, lang = defaults.find(f"{W}rFonts"), defaults.find(f"{W}lang")
    assert fonts is not None and lang is not None
    assert fonts.get(f"{W}eastAsia") == YAHEI
    assert fonts.get(f"{W}eastAsiaTheme") is None  # a theme font would outrank it
    assert lang.get(f"{W}eastAsia") == "zh-CN"
    assert lang.get(f"{W}val") == "en-US"  # Latin text keeps its language
    theme_lang = _xml(data, "word/settings.xml").find(f"{W}themeFontLang")
    assert theme_lang is not None and theme_lang.get(f"{W}eastAsia") == "zh-CN"
    table = _xml(data, "word/fontTable.xml")
    entry = next(f for f in table.iter(f"{W}font") if f.get(f"{W}name") == YAHEI)
    charset = entry.find(f"{W}charset")
    assert charset is not None and charset.get(f"{W}val") == "86"  # GB2312
    normal = docx.Document(io.BytesIO(data)).styles["Normal"].font
    assert normal.name == LATIN


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_an_english_form_is_written_as_it_always_was(form_id: str) -> None:
    """The parts the marking touches are the letterhead's, as python-docx saves it; the
    workbook names no East Asian font and has no runs, even with Chinese typed in."""
    form = get_form(form_id)
    base = io.BytesIO()
    with resources.files("templates").joinpath("letterhead.docx").open("rb") as fh:
        docx.Document(fh).save(base)
    written = _parts(render_form(form, "docx", {"customer": "苏州华锦"}, "CC-2026-0042"))
    for part in ("word/styles.xml", "word/settings.xml", "word/fontTable.xml"):
        assert written[part] == _parts(base.getvalue())[part], part
    sheets = _parts(render_form(form, "xlsx", {"customer": "苏州华锦"}, "CC-2026-0042"))
    everything = b"".join(sheets.values())
    assert YAHEI.encode() not in everything and b"<r>" not in everything


def _runs(value: object) -> list[tuple[str, str | None, int | None]]:
    assert isinstance(value, CellRichText), value
    out = []
    for block in value:
        assert isinstance(block, TextBlock)
        charset = block.font.charset
        out.append((block.text, block.font.rFont, int(charset) if charset else None))
    return out


def test_an_excel_form_draws_its_chinese_in_yahei_and_its_latin_as_before() -> None:
    data = render_form(
        get_form("registration"),
        "xlsx",
        {"customer": "苏州华锦门窗有限公司", "description": PROBLEM},
        "CC-2026-0042",
        "浙江多贝儒科技有限公司",
        language="zh-CN",
        second_language="en",
    )
    book = openpyxl.load_workbook(io.BytesIO(data), rich_text=True)
    sheet = book.worksheets[0]
    label = next(c for row in sheet.iter_rows() for c in row if str(c.value).startswith("客户名称"))
    assert _runs(label.value) == [("客户名称", YAHEI, 134), ("\nCustomer", LATIN, None)]
    assert all(block.font.b for block in label.value)  # a label is bold in both fonts
    date_hint = next(
        c for row in sheet.iter_rows() for c in row if str(c.value) == "必填。日期，如 2026-11-30"
    )
    assert _runs(date_hint.value) == [("必填。日期，如", YAHEI, 134), (" 2026-11-30", LATIN, None)]
    # What people type, and the words of the dropdowns, stay plain text in the cell's font.
    typed = [c.value for row in sheet.iter_rows() for c in row if c.style == "CL Input"]
    assert "苏州华锦门窗有限公司" in typed and PROBLEM in typed
    lists = book["Lists"]
    assert all(isinstance(c.value, str | None) for row in lists.iter_rows() for c in row)


def _cjk_glyphs(pdf: Path) -> dict[str, set[str]]:
    """The glyphs (Noto CJK's CIDs, by name) a LibreOffice PDF drew each character with.
    LibreOffice embeds Noto CJK as a Type 1 subset whose glyph names are the font's CIDs,
    and names every face of the collection NotoSansCJKjp (one CFF serves them all): only
    the glyphs tell the Chinese face from the Japanese one."""
    drawn: dict[str, set[str]] = {}
    for page in PdfReader(pdf).pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            descriptor = font["/FontDescriptor"].get_object()
            if "/FontFile" not in descriptor:
                continue
            program = descriptor["/FontFile"].get_object().get_data()
            names = {
                int(code): name.decode()
                for code, name in re.findall(rb"dup (\d+) /(\S+) put", program)
            }
            cmap = font["/ToUnicode"].get_object().get_data().decode("latin-1")
            for code, text in re.findall(r"<([0-9A-F]{2})>\s*<((?:[0-9A-F]{4})+)>", cmap):
                if int(code, 16) in names:
                    char = bytes.fromhex(text).decode("utf-16-be")
                    drawn.setdefault(char, set()).add(names[int(code, 16)])
    return drawn


def _noto_glyphs(region: str) -> dict[str, str]:
    """The glyph Noto Sans CJK's face for region (sc, jp) maps each telling character to."""
    ttlib = pytest.importorskip("fontTools.ttLib")
    found = subprocess.run(
        ["fc-match", "-f", "%{file}", f"Noto Sans CJK {region.upper()}"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    if not found.endswith(".ttc"):
        pytest.skip("Noto Sans CJK (fonts-noto-cjk) is not installed")
    for face in ttlib.TTCollection(found).fonts:
        if face["name"].getDebugName(6) == f"NotoSansCJK{region}-Regular":
            cmap = face.getBestCmap()
            return {ch: cmap[ord(ch)] for ch in TELLING}
    raise AssertionError(f"no {region} face in {found}")


@pytest.mark.libreoffice
def test_libreoffice_draws_a_chinese_form_in_mainland_glyphs(
    libreoffice: LibreOffice, tmp_path: Path
) -> None:
    if shutil.which("fc-match") is None:
        pytest.skip("fontconfig's fc-match is not installed")
    mainland, japanese = _noto_glyphs("sc"), _noto_glyphs("jp")
    assert mainland != japanese
    made = [
        write_form(
            get_form("registration"),
            fmt,  # type: ignore[arg-type]
            tmp_path / f"{fmt}-{first}-{second}.{fmt}",
            {"customer": "苏州华锦门窗有限公司", "description": PROBLEM},
            "CC-2026-0042",
            language=first,
            second_language=second,
        )
        for fmt in ("docx", "xlsx")
        for first, second in (("zh-CN", None), ("zh-CN", "en"), ("en", "zh-CN"))
    ]
    for pdf in libreoffice.to_pdf(made, tmp_path / "pdf"):
        drawn = _cjk_glyphs(pdf)
        assert {ch: drawn.get(ch) for ch in TELLING} == {ch: {mainland[ch]} for ch in TELLING}, (
            pdf.name
        )
        fonts = {
            str(f.get_object()["/BaseFont"])
            for p in PdfReader(pdf).pages
            for f in p["/Resources"]["/Font"].values()
        }
        assert any(f.endswith("+LiberationSans") for f in fonts), (pdf.name, fonts)
        assert not [f for f in fonts if "DejaVu" in f], (pdf.name, fonts)  # no Latin stand-in


def test_a_chinese_word_in_an_italic_line_stands_upright() -> None:
    """The English instructions of a form for a Chinese folder name its 收件箱: italic
    around it, the Chinese upright, in Word and in Excel."""
    with use("zh-CN", {"inbox": "收件箱"}):
        data = render_form(get_form("registration"), "docx", language="en", second_language="zh-CN")
        book = render_form(get_form("registration"), "xlsx", language="en", second_language="zh-CN")
    note = next(p for p in docx.Document(io.BytesIO(data)).paragraphs if p.text.startswith("Fill"))
    runs = [(r.text, r.font.italic) for r in note.runs]
    assert ("收件箱", False) in runs
    assert runs[0][0].startswith("Fill") and runs[0][1] is None  # italic, by its style
    chinese = runs[-1]  # the Chinese line: one run, upright
    assert chinese[0].startswith("\n请在白色格内填写") and "收件箱" in chinese[0]
    assert chinese[1] is False
    sheet = openpyxl.load_workbook(io.BytesIO(book), rich_text=True).worksheets[0]
    cell = next(c for row in sheet.iter_rows() for c in row if str(c.value).startswith("Fill"))
    slant = {block.text: block.font.i for block in cell.value}
    assert slant["收件箱"] is False and slant[next(iter(slant))] is True
