"""Renders README's picture of a form: the CAPA as Production receives it for a case (Word,
pre-filled as the service issues it), through LibreOffice to PDF, its first page and its
sign-off page side by side, to PNG.

    python3 docs/form_picture.py   (needs soffice and pdftoppm)
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pypdf import PdfReader, PdfWriter, Transformation

from forms.definition import get_form
from forms.writer import write_form

OUT = Path(__file__).resolve().parent / "capa-form.png"
COMPANY = "Zhejiang Doberu Technology Co., Ltd."
ISSUED = {  # what the CAPA carries when it is issued (filing/rules/capa.py, prefill)
    "customer": "ACME Windows",
    "product": "W-200 double-glazed unit",
    "problem": "Glass cracked in 3 of 10 units on arrival; outer carton dented.",
    "containment": "Remaining stock of batch 2611 held; replacement units sent.",
    "responsible_department": "storage_transportation",
}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        docx = write_form(
            get_form("capa"), "docx", Path(tmp) / "capa.docx", ISSUED, "CC-2026-0007", COMPANY
        )
        subprocess.run(
            ["soffice", "--headless", "--convert-to", "pdf", "--outdir", tmp, str(docx)],
            check=True,
            capture_output=True,
        )
        pdf = PdfReader(Path(tmp) / "capa.pdf")
        first, last = pdf.pages[0], pdf.pages[-1]  # the fields, and where people sign
        width, height = float(first.mediabox.width), float(first.mediabox.height)
        writer = PdfWriter()
        sheet = writer.add_blank_page(2 * width + 20, height)
        sheet.merge_transformed_page(first, Transformation())
        sheet.merge_transformed_page(last, Transformation().translate(width + 20, 0))
        pair = Path(tmp) / "pair.pdf"
        with pair.open("wb") as fh:
            writer.write(fh)
        subprocess.run(
            ["pdftoppm", "-png", "-r", "80", "-singlefile", str(pair), str(OUT.with_suffix(""))],
            check=True,
        )
    print(OUT)


if __name__ == "__main__":
    main()
