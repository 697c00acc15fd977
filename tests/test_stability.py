"""A file is taken only when finished: unchanged for the window and not open in an office suite."""

from __future__ import annotations

import os
from pathlib import Path

from watcher.stability import Backoff, StabilityTracker, owner_files


def touch(path: Path, data: bytes, mtime: float) -> None:
    path.write_bytes(data)
    os.utime(path, (mtime, mtime))


def test_ready_after_the_window_and_only_once(tmp_path: Path) -> None:
    f = tmp_path / "form.docx"
    touch(f, b"x" * 10, 1000)
    t = StabilityTracker(window=2.0)
    t.note(f, now=0.0)
    assert t.ready(now=1.9) == []
    assert t.ready(now=2.0) == [f]
    assert t.ready(now=5.0) == []


def test_a_slow_chunked_copy_waits_for_its_last_chunk(tmp_path: Path) -> None:
    f = tmp_path / "big.xlsx"
    t = StabilityTracker(window=2.0)
    for i in range(5):  # a chunk a second, as over a slow share
        touch(f, b"x" * (i + 1) * 1000, 1000 + i)
        t.note(f, now=float(i))
        assert t.ready(now=float(i) + 0.5) == []
    assert t.ready(now=5.9) == []
    assert t.ready(now=6.0) == [f]


def test_a_file_open_in_word_or_libreoffice_waits_for_the_lock_to_go(tmp_path: Path) -> None:
    f = tmp_path / "registration.docx"
    touch(f, b"x", 1000)
    for lock_name in ("~$registration.docx", "~$gistration.docx", ".~lock.registration.docx#"):
        assert tmp_path / lock_name in owner_files(f)
        lock = tmp_path / lock_name
        lock.write_bytes(b"owner")
        t = StabilityTracker(window=1.0)
        t.note(f, now=0.0)
        assert t.ready(now=10.0) == []
        lock.unlink()
        assert t.ready(now=11.0) == [f]


def test_words_save_dance_yields_the_final_file_once(tmp_path: Path) -> None:
    # Word writes ~WRL0001.tmp, renames the document away, renames the temp into place, deletes.
    doc = tmp_path / "capa.docx"
    temp = tmp_path / "~WRL0001.tmp"
    t = StabilityTracker(window=1.0)
    touch(temp, b"new", 1000)
    t.note(temp, now=0.0)
    temp.rename(doc)
    t.note(temp, now=0.1)
    t.note(doc, now=0.1)
    assert t.ready(now=0.5) == []
    assert t.ready(now=1.2) == [doc]
    assert t.pending() == []


def test_vanished_files_are_forgotten_and_ready_files_come_oldest_first(tmp_path: Path) -> None:
    a, b, gone = tmp_path / "a.docx", tmp_path / "b.docx", tmp_path / "gone.docx"
    t = StabilityTracker(window=1.0)
    touch(b, b"b", 1000)
    t.note(b, now=0.0)
    touch(a, b"a", 1000)
    t.note(a, now=0.5)
    touch(gone, b"g", 1000)
    t.note(gone, now=0.0)
    gone.unlink()
    assert t.ready(now=3.0) == [b, a]


def test_folders_are_never_handed_out_as_files(tmp_path: Path) -> None:
    folder = tmp_path / "CC-2026-0001"
    folder.mkdir()
    t = StabilityTracker(window=0.1)
    t.note(folder, now=0.0)
    assert t.ready(now=5.0) == [] and t.pending() == []


def test_a_file_that_cannot_be_read_is_tried_again_after_a_doubling_delay(tmp_path: Path) -> None:
    f = tmp_path / "locked.docx"
    b = Backoff(first=1.0, ceiling=4.0)
    assert [b.failed(f, now=0.0), b.due(0.9), b.due(1.0)] == [1.0, [], [f]]
    assert [b.failed(f, now=1.0), b.due(2.9), b.due(3.0)] == [2.0, [], [f]]
    assert [b.failed(f, 3.0), b.failed(f, 7.0), b.tries(f)] == [4.0, 4.0, 4]  # the ceiling
    b.succeeded(f)
    assert (b.tries(f), b.due(100.0)) == (0, [])
    assert b.failed(f, 100.0) == 1.0  # a later failure starts again from the first delay


def test_a_stale_owner_file_beside_a_finished_document_no_longer_holds_it(tmp_path: Path) -> None:
    # Word crashed an hour ago: its owner file stays, the document is finished.
    wall = 100_000.0
    doc = tmp_path / "report.docx"
    touch(doc, b"x", wall - 3600)
    owner = tmp_path / "~$port.docx"
    touch(owner, b"owner", wall - 20 * 60 - 5)
    t = StabilityTracker(window=1.0, stale_owner=15 * 60, wall=lambda: wall)
    t.note(doc, now=0.0)
    assert t.ready(now=2.0) == [doc]
    [stale] = t.take_stale_owners()
    assert stale.message() == (
        "~$port.docx is 20 minutes old; Word seems to have closed without removing it; "
        "report.docx is filed anyway"
    )
    assert t.take_stale_owners() == []
    # The same owner file beside the document handed out again (a retry): said once.
    t.note(doc, now=3.0)
    assert t.ready(now=5.0) == [doc] and t.take_stale_owners() == []


def test_an_owner_file_is_live_while_it_or_its_document_is_recent(tmp_path: Path) -> None:
    wall = 100_000.0
    doc = tmp_path / "report.docx"
    owner = tmp_path / ".~lock.report.docx#"
    t = StabilityTracker(window=1.0, stale_owner=15 * 60, wall=lambda: wall)
    touch(owner, b"owner", wall - 60)  # opened a minute ago
    touch(doc, b"x", wall - 3600)
    t.note(doc, now=0.0)
    assert t.ready(now=10.0) == []
    touch(owner, b"owner", wall - 3600)  # open for an hour, but saved a minute ago
    touch(doc, b"y", wall - 60)
    t.note(doc, now=10.0)
    assert t.ready(now=20.0) == [] and t.take_stale_owners() == []
    touch(doc, b"y", wall - 16 * 60)  # neither touched for 16 minutes: LibreOffice is gone
    t.note(doc, now=20.0)
    assert t.ready(now=30.0) == [doc]
    assert [s.message() for s in t.take_stale_owners()] == [
        ".~lock.report.docx# is 60 minutes old; LibreOffice seems to have closed without "
        "removing it; report.docx is filed anyway"
    ]


def test_a_file_waiting_for_its_retry_is_held_until_it_changes(tmp_path: Path) -> None:
    f = tmp_path / "locked.docx"
    touch(f, b"v1", 1000)
    b = Backoff(first=1.0)
    assert not b.holds(f)
    b.failed(f, now=0.0)
    assert b.holds(f) and b.unchanged(f)  # events and scans leave it alone
    assert b.due(0.5) == [] and b.holds(f)
    touch(f, b"v2 saved again", 1001)  # a new version: judged afresh at once
    assert not b.unchanged(f) and not b.holds(f)
    assert b.due(5.0) == []  # let go: no second hand-out at the old due time
    assert b.tries(f) == 1


def test_a_retry_that_is_due_does_not_wait_for_the_window_again(tmp_path: Path) -> None:
    f = tmp_path / "locked.docx"
    touch(f, b"x", 1000)
    t = StabilityTracker(window=2.0)
    t.note(f, now=10.0, settled=True)
    assert t.ready(now=10.0) == [f]
    t.note(f, now=20.0)  # not settled: the window as usual
    assert t.ready(now=21.0) == [] and t.ready(now=22.0) == [f]


def test_links_fifos_and_walked_folders_are_handed_out_never_dropped(tmp_path: Path) -> None:
    dangling = tmp_path / "gone.docx"
    dangling.symlink_to(tmp_path / "nowhere.docx")
    fifo = tmp_path / "pipe.docx"
    os.mkfifo(fifo)
    deep = tmp_path / "a"
    deep.mkdir()
    t = StabilityTracker(window=0.5)
    t.note_all([dangling, fifo], now=0.0)
    t.note(deep, now=0.0)  # a folder from an event: not for handing out
    assert t.pending() == sorted([dangling, fifo])
    t.note(deep, now=0.0, walked=True)  # the Inbox walk wants it handled
    assert sorted(t.ready(now=1.0)) == sorted([dangling, fifo, deep])
