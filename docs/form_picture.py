"""Renders README's pictures of the forms, through LibreOffice to PDF, each form's first page
and its last (where people sign) side by side, to PNG:

- docs/capa-form.png: the CAPA as Production receives it for a case (Word, pre-filled as
  the service issues it);
- docs/pictures/form-zh-CN.png and form-zh-CN-xlsx.png: the complaint registration form
  of a Chinese folder with English beside it (`language = "zh-CN"`,
  `second_language = "en"`), as the customer window filled it in, in Word and in Excel.

    python3 docs/form_picture.py   (needs soffice and pdftoppm)
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pypdf import PdfReader, PdfWriter, Transformation

from app.settings import read_settings, settings_template
from forms.definition import get_form
from forms.writer import write_form

DOCS = Path(__file__).resolve().parent
OUT = DOCS / "capa-form.png"
PICTURES = DOCS / "pictures"
COMPANY = "Zhejiang Doberu Technology Co., Ltd."
ISSUED = {  # what the CAPA carries when it is issued (filing/rules/capa.py, prefill)
    "customer": "ACME Windows",
    "product": "W-200 double-glazed unit",
    "problem": "Glass cracked in 3 of 10 units on arrival; outer carton dented.",
    "containment": "Remaining stock of batch 2611 held; replacement units sent.",
    "responsible_department": "storage_transportation",
}
CHINESE_COMPANY = "浙江多贝儒科技有限公司"
REGISTERED = {  # a complaint as the customer window writes it down
    "complaint_date": "2026-11-20",
    "received_at": "2026-11-20 09:40",
    "channel": "phone",
    "complainant": "王经理",
    "complainant_contact": "0512-6555 0100",
    "customer": "苏州华锦门窗有限公司",
    "registered_by": "李梅",
    "product": "W-200 断桥铝合金窗 / 中空玻璃",
    "order_number": "SO-2611-018",
    "batch_number": "2611",
    "delivery_date": "2026-11-01",
    "goods_received_date": "2026-11-02",
    "quantity_delivered": 10,
    "quantity_affected": 3,
    "product_location": "at_customer",
    "category": "transport_damage",
    "description": "到货开箱发现10樘中有3樘玻璃破裂，外包装纸箱有明显压痕。",
    "customer_requirement": ["exchange", "explanation"],
    "confirmed_to_customer_at": "2026-11-20 15:10",
    "established": True,
    "established_reason": "送货单与签收照片显示外箱受压，属运输途中损坏。",
    "decided_by": "陈工",
    "decided_date": "2026-11-20",
    "responsible_department": "storage_transportation",
    "containment_needed": False,
    "prepared_by": "李梅",
    "prepared_date": "2026-11-20",
}


def _pdf(document: Path, outdir: Path) -> PdfReader:
    subprocess.run(
        ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(outdir), str(document)],
        check=True,
        capture_output=True,
    )
    return PdfReader(outdir / f"{document.stem}.pdf")


def _first_and_last(pdf: PdfReader, png: Path, tmp: Path) -> None:
    """The first page (the fields) and the last (where people sign), side by side."""
    first, last = pdf.pages[0], pdf.pages[-1]
    width, height = float(first.mediabox.width), float(first.mediabox.height)
    writer = PdfWriter()
    sheet = writer.add_blank_page(2 * width + 20, height)
    sheet.merge_transformed_page(first, Transformation())
    sheet.merge_transformed_page(last, Transformation().translate(width + 20, 0))
    pair = tmp / f"{png.stem}-pair.pdf"
    with pair.open("wb") as fh:
        writer.write(fh)
    png.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-singlefile", str(pair), str(png.with_suffix(""))],
        check=True,
    )


def _picture(form_id: str, fmt: str, png: Path, tmp: Path, **kwargs: Any) -> Path:
    folder = tmp / png.stem
    document = write_form(get_form(form_id), fmt, folder / f"{form_id}.{fmt}", **kwargs)  # type: ignore[arg-type]
    _first_and_last(_pdf(document, folder), png, tmp)
    return png


def main() -> None:
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        made = [
            _picture(
                "capa", "docx", OUT, tmp, values=ISSUED, case_id="CC-2026-0007", company=COMPANY
            )
        ]
        # As a folder laid out in Chinese writes its forms: its instructions name its Inbox.
        chinese = read_settings(Path("closedloop.toml"), settings_template("zh-CN"))
        for fmt, png in (("docx", "form-zh-CN.png"), ("xlsx", "form-zh-CN-xlsx.png")):
            with chinese.speaking():
                made.append(
                    _picture(
                        "registration",
                        fmt,
                        PICTURES / png,
                        tmp,
                        values=REGISTERED,
                        case_id="CC-2026-0042",
                        company=CHINESE_COMPANY,
                        language="zh-CN",
                        second_language="en",
                    )
                )
    for png in made:
        print(png)


if __name__ == "__main__":
    main()
