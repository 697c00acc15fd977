"""Renders README's pictures of a Chinese weekly report: the six scripted cases of
tests/test_report.py in a folder whose settings say `language = "zh-CN"` (departments named
in Chinese), the W48 report
the weekly job writes on Monday; its page through headless Chromium, and its workbook's
chart sheet through LibreOffice to PDF to PNG.

    python3 docs/report_picture_zh.py   (needs chromium, soffice and pdftoppm)

Writes docs/pictures/report-zh-CN.png (the page) and report-zh-CN-xlsx.png (the charts).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.scenario import Folder
from tests.test_chinese_reports import DEPARTMENTS_ZH, NAME, name_departments, weekly
from tests.test_report import scripted

PICTURES = Path(__file__).resolve().parent / "pictures"
PAGE = PICTURES / "report-zh-CN.png"
WORKBOOK = PICTURES / "report-zh-CN-xlsx.png"


def page_picture(html: Path, out: Path) -> None:
    """The page as a 1200 px wide window shows it, its first 1500 px."""
    subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1200,1500",
            f"--screenshot={out}",
            html.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )


def workbook_picture(xlsx: Path, tmp: Path, out: Path) -> None:
    """The chart sheet (the first page of the workbook printed) at 130 dpi, margins cropped."""
    profile = (tmp / "profile").as_uri()
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp),
            str(xlsx),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    pdf = tmp / f"{xlsx.stem}.pdf"
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "130",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            "-x",
            "85",
            "-y",
            "114",
            "-W",
            "910",
            "-H",
            "858",
            str(pdf),
            str(out.with_suffix("")),
        ],
        check=True,
    )


def main() -> None:
    PICTURES.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        folder = Folder(tmp / "share")
        scripted(folder)
        name_departments(folder, DEPARTMENTS_ZH)  # as `init --language zh-CN` names them
        weekly(folder, "zh-CN")
        reports = folder.root / "Reports"
        page_picture(reports / f"{NAME}.html", PAGE)
        workbook_picture(reports / f"{NAME}.xlsx", tmp, WORKBOOK)
    print(PAGE)
    print(WORKBOOK)


if __name__ == "__main__":
    main()
