"""Renders README's picture of a closure packet's cover: one complaint played to closure
in a temporary shared folder (registration, CAPA with a deduction and its sign-offs, the
customer's survey), its packet built by closedloop, the first page to PNG.

    python3 docs/packet_picture.py   (needs soffice, WeasyPrint and pdftoppm)
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.scenario import CAPA_DONE, Folder
from tests.test_scenarios import register

OUT = Path(__file__).resolve().parent / "packet-cover.png"
CUSTOMER = "浙江精工玻璃 ACME"
ACTIONS = (
    ["Action", "Owner", "Due", "Done on"],
    [["Thicker buffer foam, 4 h vibration test", "Li Wei", "2026-11-27", "2026-11-25"]],
)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Folder(Path(tmp) / "share", packets=True)
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
        subprocess.run(
            [
                *("pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile"),
                str(packet),
                str(OUT.with_suffix("")),
            ],
            check=True,
        )
    print(OUT)


if __name__ == "__main__":
    main()
