"""Nothing a form contains can make closedloop write outside the shared folder: names
built from customer names and file names are made safe for Windows and Linux alike."""

from __future__ import annotations

import shutil
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from pathvalidate import validate_filename

from archive.casefolder import MAX_CUSTOMER_CHARS, case_folder, safe_name
from tests.office import fill_docx
from tests.scenario import REGISTRATION, Folder

HOSTILE = [
    "../../../etc/passwd",
    "..",
    ".",
    "CON",
    "nul.txt",
    "COM1",
    'a<b>c:d"e|f?g*h',
    "back\\slash/forward",
    "tab\there\nnewline\x00nul\x1fctl",
    "  trailing dots and spaces ...  ",
    "长" * 300,
]


@given(st.text(min_size=0, max_size=400))
def test_any_text_becomes_one_valid_windows_name(text: str) -> None:
    name = safe_name(text)
    validate_filename(name, platform="windows")  # raises if not
    assert "/" not in name and "\\" not in name and name not in (".", "..")
    assert len(name) <= 120


def test_hostile_customer_names_stay_one_folder_inside_the_archive(tmp_path: Path) -> None:
    archive = tmp_path / "Archive"
    for n, customer in enumerate(HOSTILE, start=1):
        folder = case_folder(archive, f"CC-2026-{n:04d}", customer)
        assert folder.parent == archive
        assert folder.name.startswith(f"CC-2026-{n:04d}")
        assert len(folder.name) <= len("CC-2026-0001 ") + MAX_CUSTOMER_CHARS
        validate_filename(folder.name, platform="windows")


def test_a_form_naming_a_hostile_customer_is_filed_inside_the_folder(tmp_path: Path) -> None:
    folder = Folder(tmp_path / "share")
    customers = HOSTILE[:4] + HOSTILE[6:8] + HOSTILE[9:]  # (a Word file cannot hold a NUL)
    for i, customer in enumerate(customers):
        staged = tmp_path / f"{i}.docx"
        shutil.copyfile(folder.blank("registration"), staged)
        fill_docx(staged, {**REGISTRATION, "Customer": customer, "Complaint established": "yes"})
        staged.replace(folder.root / "Inbox" / f"{i}.docx")
    results = folder.ingest("2026-11-20T10:00")
    assert {r["outcome"] for r in results} == {"filed"}, results
    written = {p for p in tmp_path.rglob("*") if p.is_file()}
    assert all(p.is_relative_to(folder.root) for p in written), "written outside the folder"
    cases = sorted(p.name for p in (folder.root / "Archive").glob("CC-*"))
    assert len(cases) == len(customers) and all(c.startswith("CC-2026-") for c in cases)
    for name in cases:
        validate_filename(name, platform="windows")
