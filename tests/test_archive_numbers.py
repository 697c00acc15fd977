"""New case numbers stay above every case folder in the Archive, without listing 100,000
folders at every start: the last listing is kept while the folders it listed have not
changed (app/archive_numbers.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app import archive_numbers
from app.archive_numbers import NUMBERS, archive_case_numbers
from tests.scenario import Folder
from tests.test_scenarios import register


def test_the_listing_is_kept_until_a_folder_it_listed_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive, state = tmp_path / "Archive", tmp_path / ".closedloop"
    state.mkdir()
    (archive / "CC-2026-0007 ACME").mkdir(parents=True)
    quarter = archive / "2026Q1 Customer Complaint Closed-Loop"
    (quarter / "CC-2026-0003 Beta").mkdir(parents=True)
    assert archive_case_numbers(archive, state) == {2026: 7}
    assert (state / NUMBERS).is_file()
    listings: list[Path] = []
    real = archive_numbers._listed
    monkeypatch.setattr(
        archive_numbers,
        "_listed",
        lambda folder, quarters: (listings.append(folder), real(folder, quarters))[1],
    )
    assert archive_case_numbers(archive, state) == {2026: 7}
    assert listings == []  # nothing changed: the kept listing
    # A case folder restored into a quarter folder by hand: listed again, and seen.
    (quarter / "CC-2025-0044 Gamma").mkdir()
    assert archive_case_numbers(archive, state) == {2026: 7, 2025: 44}
    # Or into the Archive, with the folder's modification time set back: its change time
    # moved all the same.
    before = os.stat(archive)
    (archive / "CC-2026-0090 Delta").mkdir()
    os.utime(archive, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert archive_case_numbers(archive, state) == {2026: 90, 2025: 44}
    assert len(listings) == 2
    # A stopped write of the record is cleared; a damaged record is listed over.
    (state / f".{NUMBERS}.0123456789ab.part").write_bytes(b"{")
    (state / NUMBERS).write_text("[not a record", encoding="utf-8")
    assert archive_case_numbers(archive, state) == {2026: 90, 2025: 44}
    assert [p.name for p in state.iterdir()] == [NUMBERS]


def test_a_case_folder_put_back_by_hand_is_numbered_above(tmp_path: Path) -> None:
    folder = Folder(tmp_path / "share")
    assert register(folder, Customer="First") == "CC-2026-0001"
    assert register(folder, "2026-11-20T10:05", Customer="Second") == "CC-2026-0002"
    (folder.root / "Archive" / "CC-2026-0041 Restored Customer").mkdir()
    assert register(folder, "2026-11-20T10:10", Customer="Third") == "CC-2026-0042"


def test_a_record_that_is_no_small_file_is_listed_over(tmp_path: Path) -> None:
    """A FIFO, a link, or JSON nested past Python's stack where the record goes: the
    Archive is listed, nothing hangs or fails."""
    archive, state = tmp_path / "Archive", tmp_path / ".closedloop"
    (archive / "CC-2026-0007 ACME").mkdir(parents=True)
    state.mkdir()
    os.mkfifo(state / NUMBERS)
    assert archive_case_numbers(archive, state) == {2026: 7}  # the FIFO replaced, not read
    (state / NUMBERS).write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    assert archive_case_numbers(archive, state) == {2026: 7}
    (state / NUMBERS).unlink()
    (state / NUMBERS).symlink_to("/dev/zero")
    assert archive_case_numbers(archive, state) == {2026: 7}
    assert not (state / NUMBERS).is_symlink()
