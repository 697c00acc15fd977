"""A company name set in closedloop.toml reaches Blank Forms/: at `init` on a laid-out
folder, at the start of `ingest` and of the service. A file someone put there by hand,
and a blank someone filled in, are left alone and said. Read back as people see them:
the letterhead of each Word and Excel blank."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from pathlib import Path

import docx
import openpyxl
import pytest
from click.testing import CliRunner

from app.settings import load_settings
from closedloop.cli import cli
from forms.reader import read_form
from tests.office import fill_docx
from tests.scenario import REGISTRATION, TITLES, Folder
from watcher.service import Watcher

OLD = "Your Company Ltd."
NEW = "Doberu Technology Co., Ltd."
NOW = "2026-11-20T09:30"


def letterhead(path: Path) -> str:
    """The words at the top of a form: the Word page header and first paragraphs, or the
    Excel sheet's first rows and page header."""
    if path.suffix == ".docx":
        document = docx.Document(str(path))
        head = [p.text for p in document.sections[0].header.paragraphs]
        return "\n".join(head + [p.text for p in document.paragraphs[:3]])
    sheet = openpyxl.load_workbook(path).worksheets[0]
    rows = [str(c.value) for row in sheet.iter_rows(max_row=3) for c in row if c.value]
    return "\n".join([*rows, sheet.oddHeader.left.text or ""])


def blanks(folder: Folder) -> list[Path]:
    found = sorted((folder.root / "Blank Forms").iterdir())
    assert len(found) == 2 * len(TITLES)
    return found


def assert_carry(folder: Folder, company: str, other: str) -> None:
    for path in blanks(folder):
        top = letterhead(path)
        assert company in top and other not in top, (path.name, top)
        read = read_form(path)  # still a blank closedloop reads
        assert read.form.id in TITLES and not any(read.values.values())


def until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


@pytest.fixture
def renamed(tmp_path: Path) -> Folder:
    """A laid-out folder whose blanks carry the name init found; a new name then set."""
    folder = Folder(tmp_path / "share")
    assert_carry(folder, OLD, NEW)
    folder.setting(f'name = "{OLD}"', f'name = "{NEW}"')
    return folder


def test_ingest_writes_the_blanks_for_a_new_company_name(renamed: Folder) -> None:
    assert renamed.ingest(NOW) == []  # the service's log says it; a pass's results do not
    assert_carry(renamed, NEW, OLD)
    record = json.loads((renamed.root / ".closedloop" / "blank-forms.json").read_text())
    assert record["version"] == 2 and record["company"] == NEW and record["languages"] == ["en"]
    assert record["forms"]["registration"] == "1"
    # Once written, a pass leaves them be.
    times = {p: p.stat().st_mtime_ns for p in blanks(renamed)}
    renamed.ingest(NOW)
    assert {p: p.stat().st_mtime_ns for p in blanks(renamed)} == times


def test_a_form_taken_from_a_new_blank_is_filed(renamed: Folder) -> None:
    renamed.ingest(NOW)
    renamed.save(renamed.blank("registration"), REGISTRATION)
    (filed,) = renamed.ingest(NOW)
    assert filed["outcome"] == "filed", filed


def test_init_on_a_laid_out_folder_writes_them(renamed: Folder) -> None:
    result = CliRunner().invoke(cli, ["init", str(renamed.root)])
    assert result.exit_code == 0 and "already laid out" in result.stdout
    assert_carry(renamed, NEW, OLD)


def test_the_service_writes_them_at_its_start(
    renamed: Folder, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="closedloop")
    w = Watcher(renamed.root, load_settings(renamed.root))
    w.start()
    try:
        until(w.working.is_set)  # set once the start's jobs are done
    finally:
        w.stop()
    assert_carry(renamed, NEW, OLD)
    assert (
        f'Blank Forms: 12 written for "{NEW}", the company name in closedloop.toml: '
        "Complaint Registration Form.docx, Complaint Registration Form.xlsx, Return Form.docx"
    ) in caplog.text


def test_a_folder_laid_out_before_the_record_is_looked_at_blank_by_blank(
    renamed: Folder, tmp_path: Path
) -> None:
    """No record (a folder laid out by an older closedloop): the blanks that already carry
    the name are left untouched, one that carries another is written."""
    renamed.ingest(NOW)
    (renamed.root / ".closedloop" / "blank-forms.json").unlink()
    capa = renamed.blank("capa", "xlsx")
    capa.write_bytes(Folder(tmp_path / "other").blank("capa", "xlsx").read_bytes())
    assert OLD in letterhead(capa)
    times = {p: p.stat().st_mtime_ns for p in blanks(renamed) if p != capa}

    assert renamed.ingest(NOW) == []

    assert {p: p.stat().st_mtime_ns for p in blanks(renamed) if p != capa} == times
    assert_carry(renamed, NEW, OLD)
    assert (renamed.root / ".closedloop" / "blank-forms.json").exists()


def test_a_hand_made_file_in_blank_forms_is_left_alone(renamed: Folder) -> None:
    """The site's own Return Form (no closedloop.form property) and a filed form someone
    keeps there as an example (it carries a case number) are not closedloop's blanks:
    never written over, said once."""
    own = renamed.blank("return_form")
    own.write_bytes(b"the site's own return form")
    example = renamed.blank("registration")
    renamed.save(example, REGISTRATION, name="example.docx")
    renamed.ingest(NOW)
    filed = next((renamed.root / "Archive").rglob("*Complaint Registration Form.docx"))
    example.write_bytes(filed.read_bytes())
    kept = example.read_bytes()
    renamed.setting(f'name = "{NEW}"', 'name = "Third Name Ltd."')

    said = {r["file"]: r for r in renamed.ingest(NOW)}

    assert own.read_bytes() == b"the site's own return form"
    assert example.read_bytes() == kept
    for path in (own, example):
        result = said[f"Blank Forms/{path.name}"]
        assert result["outcome"] == "ignored"
        assert result["reason"] == (
            'left as it is, without "Third Name Ltd." on it: closedloop did not make it '
            "(it carries no closedloop.form property); delete it and "
            f"`closedloop init {renamed.root}` writes closedloop's"
        )
    assert "Third Name Ltd." in letterhead(renamed.blank("return_form", "xlsx"))
    assert renamed.ingest(NOW) == []  # said once: the record knows what they were made for
    own.unlink()
    CliRunner().invoke(cli, ["init", str(renamed.root)], catch_exceptions=False)
    assert "Third Name Ltd." in letterhead(own)


def test_a_blank_someone_filled_in_is_left_alone(renamed: Folder) -> None:
    """Someone filled the blank itself and saved it there (Word keeps closedloop's
    properties): that is work in progress, not a blank to write over."""
    blank = renamed.blank("registration")
    fill_docx(blank, {"Customer": "ACME Windows"})
    (result,) = renamed.ingest(NOW)
    assert result == {
        "file": "Blank Forms/Complaint Registration Form.docx",
        "outcome": "ignored",
        "case_id": None,
        "form": None,
        "issued": [],
        "reason": f'left as it is, without "{NEW}" on it: someone filled it in; move it out '
        f"(into the Inbox, to file it) and `closedloop init {renamed.root}` writes a blank one",
    }
    assert read_form(blank).values["customer"] == "ACME Windows"
    assert NEW in letterhead(renamed.blank("registration", "xlsx"))
