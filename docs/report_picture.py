"""Renders README's picture of a weekly report: the six scripted cases of
tests/test_report.py, the W48 workbook, its chart sheet through LibreOffice to PNG.

    python3 docs/report_picture.py   (needs soffice and pdftoppm)
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.scenario import Folder
from tests.test_report import NOW, WEEK, scripted

OUT = Path(__file__).resolve().parent / "weekly-report-charts.png"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Folder(Path(tmp) / "share")
        scripted(folder)
        folder.run("report", "weekly", str(folder.root), "--week", WEEK, "--now", NOW)
        xlsx = folder.root / "Reports" / f"{WEEK} Weekly Report.xlsx"
        subprocess.run(
            ["soffice", "--headless", "--convert-to", "pdf", "--outdir", tmp, str(xlsx)],
            check=True,
            capture_output=True,
        )
        pdf = Path(tmp) / f"{WEEK} Weekly Report.pdf"
        # The chart sheet is the first page; crop the margins away.
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "100",
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                "-x",
                "60",
                "-y",
                "90",
                "-W",
                "720",
                "-H",
                "680",
                str(pdf),
                str(OUT.with_suffix("")),
            ],
            check=True,
        )
    print(OUT)


if __name__ == "__main__":
    main()
