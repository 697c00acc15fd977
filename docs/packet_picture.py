"""Renders README's picture of a closure packet's cover: one complaint played to closure
in a temporary shared folder (registration, CAPA with a deduction and its sign-offs, the
customer's survey), its packet built by closedloop, the first page to PNG.

    python3 docs/packet_picture.py   (needs soffice, WeasyPrint and pdftoppm)
    python3 docs/packet_picture.py --language zh-CN   (also chromium)

In Chinese the folder is laid out with `init --language zh-CN` and the complaint is the one
tests/test_chinese_archive.py plays; it writes docs/pictures/packet-zh-CN.png (the cover's
first page) and docs/pictures/auditor-zh-CN.png (the auditor's page of the case, as a
1100 px wide browser window shows it).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.scenario import CAPA_DONE, Folder
from tests.test_chinese_archive import play_to_closure
from tests.test_scenarios import register

DOCS = Path(__file__).resolve().parent
OUT = DOCS / "packet-cover.png"
PICTURES = DOCS / "pictures"
CUSTOMER = "浙江精工玻璃 ACME"
ACTIONS = (
    ["Action", "Owner", "Due", "Done on"],
    [["Thicker buffer foam, 4 h vibration test", "Li Wei", "2026-11-27", "2026-11-25"]],
)


def first_page(pdf: Path, out: Path) -> None:
    """The PDF's first page as a PNG at 80 dpi."""
    subprocess.run(
        [
            *("pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile"),
            str(pdf),
            str(out.with_suffix("")),
        ],
        check=True,
    )


def english() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Folder(Path(tmp) / "share", packets=True)
        folder.setting('name = "Your Company Ltd."', 'name = "Suzhou Precision Windows Co., Ltd."')
        case_id = register(
            folder,
            Customer=CUSTOMER,
            **{"Complaint established": "yes", "Confirmed to customer at": "2026-11-20 09:30"},
        )
        folder.save(
            folder.outbox("Storage & Transportation", case_id, "capa"),
            {
                **CAPA_DONE,
                "Responsible person": "Li Wei",
                "Responsibility": "Own controllable fault",
                "Handling plan": "Exchange",
                "Deductions / liquidated damages": "2400",
                "Prepared by": "Li Wei",
                "Prepared on": "2026-11-26",
            },
            ACTIONS,
        )
        folder.ingest("2026-11-26T09:00")
        folder.save(
            folder.outbox("Customer Window", case_id, "satisfaction_survey"),
            {
                "Customer accepts the result": "Yes",
                "Speed of response": "Very satisfied",
                "Solution": "Satisfied",
                "Communication": "Satisfied",
                "Customer comments": "New packaging arrived intact. 谢谢",
                "Surveyed by": "Mei",
            },
        )
        folder.ingest("2026-11-27T10:30")
        packet = next(
            (folder.root / "Archive").glob("CC-2026-0001 */CC-2026-0001 Closure Packet.pdf")
        )
        first_page(packet, OUT)
    print(OUT)


def chinese() -> None:
    cover, page = PICTURES / "packet-zh-CN.png", PICTURES / "auditor-zh-CN.png"
    PICTURES.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "投诉"
        play_to_closure(root)
        archive = root / "档案"
        first_page(next(archive.glob("CC-2026-0001 */CC-2026-0001 Closure Packet.pdf")), cover)
        # Opened as an auditor opens it from the folder: file://, the path percent-encoded;
        # a fixed `now` so the deadlines read the same whenever the picture is made.
        url = (archive / "Auditor pages" / "CC-2026-0001.html").as_uri()
        subprocess.run(
            [
                *("chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"),
                *("--window-size=1100,1180", "--virtual-time-budget=5000"),
                f"--screenshot={page}",
                f"{url}?now={quote('2026-12-01T00:00')}",
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    print(cover)
    print(page)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--language", choices=["en", "zh-CN"], default="en")
    if parser.parse_args().language == "zh-CN":
        chinese()
    else:
        english()


if __name__ == "__main__":
    main()
