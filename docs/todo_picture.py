"""Renders README's picture of an outbox's To do page in Chinese: a folder laid out with
`closedloop init --language zh-CN`, three complaints registered at the customer window
(two of them now past their deadline to confirm to the customer), and the window's
`To do.html` as headless Chromium shows it.

    python3 docs/todo_picture.py   (needs chromium)

Writes docs/pictures/todo-zh-CN.png.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from click.testing import CliRunner

from app.settings import load_settings
from closedloop.cli import cli
from forms.definition import get_form
from forms.writer import write_form

PICTURE = Path(__file__).resolve().parent / "pictures" / "todo-zh-CN.png"

#: (saved at, customer, product, category): registered at the customer window.
COMPLAINTS = [
    ("2026-11-16 09:10", "苏州华美门窗有限公司", "W-200 断桥铝窗", "transport_damage"),
    ("2026-11-17 14:25", "无锡恒通建材", "D-80 防火门 1.2 m", "quality"),
    ("2026-11-19 10:40", "ACME Windows", "W-200", "quantity"),
]
LOOKED_AT = "2026-11-19T16:00"


def run(*args: str) -> None:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output


def folder_with_work(root: Path) -> Path:
    """The customer window's outbox of a Chinese folder holding three registrations."""
    run("init", str(root), "--language", "zh-CN")
    settings = load_settings(root)
    inbox = root / settings.policy.folders.inbox
    form = get_form("registration")
    for n, (at, customer, product, category) in enumerate(COMPLAINTS, 1):
        values = {
            "complaint_date": at[:10],
            "received_at": at,
            "channel": "phone",
            "customer": customer,
            "product": product,
            "goods_received_date": "2026-11-12",
            "category": category,
            "description": "到货时玻璃破裂" if category == "transport_damage" else "见附件照片",
            "customer_requirement": ["exchange"],
            "registered_by": "小梅",
        }
        write_form(form, "docx", inbox / f"投诉{n}.docx", values, None, settings.company_name)
        run("ingest", str(root), "--now", at.replace(" ", "T"))
    run("ingest", str(root), "--now", LOOKED_AT)  # a look: the To do pages written then
    outbox = root / settings.policy.folders.outbox
    return outbox / settings.policy.outboxes["customer_window"] / "To do.html"


def picture(page: Path, out: Path) -> None:
    """The page as a 1100 px wide window shows it."""
    subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1100,290",
            f"--screenshot={out}",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        page = folder_with_work(Path(tmp) / "投诉")
        PICTURE.parent.mkdir(exist_ok=True)
        picture(page, PICTURE)
    print(f"wrote {PICTURE}")


if __name__ == "__main__":
    main()
