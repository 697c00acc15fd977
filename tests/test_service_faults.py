"""The service never jams and never silently ignores: a registry that fails stops it
(exit 2, saying what to do), a retried file waits the time the log states, any name can
be logged, and an owner file a crashed Word left no longer holds its document back."""

from __future__ import annotations

import logging
import logging.handlers
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest

from app.application import App
from app.faults import RegistryFailed, registry_failure
from app.instance import LockLost
from app.results import FileResult, Outcome
from tests.clock import HandClock
from tests.office import fill_docx
from tests.scenario import REGISTRATION, Folder
from tests.settings import quiet_settings
from watcher.service import Watcher


def until(condition: Callable[[], bool], timeout: float = 4.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


def staged(folder: Folder, name: str, customer: str) -> Path:
    """A registration filled outside the Inbox; the test moves it in whole."""
    path = folder.root / "staging" / name
    path.parent.mkdir(exist_ok=True)
    shutil.copyfile(folder.blank("registration"), path)
    fill_docx(path, {**REGISTRATION, "Customer": customer, "Complaint established": "yes"})
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Folder:
    return Folder(tmp_path / "share")


@pytest.fixture
def watched(folder: Folder) -> Iterator[tuple[Watcher, list[FileResult]]]:
    results: list[FileResult] = []
    w = Watcher(folder.root, quiet_settings(window=0.2, rescan=0.3), on_result=results.append)
    w.start()
    yield w, results
    w.stop(timeout=5)


def corrupt(registry: Path) -> None:
    """Garbage over the header, in place, as a failing disk or a bad copy leaves it."""
    with registry.open("r+b") as fh:
        fh.write(b"\xde\xad\xbe\xef" * 32)


def test_a_registry_corrupted_under_a_running_watcher_stops_it_and_says_what_to_do(
    folder: Folder, watched: tuple[Watcher, list[FileResult]]
) -> None:
    w, results = watched
    inbox = folder.root / "Inbox"
    staged(folder, "first.docx", "First Customer").replace(inbox / "first.docx")
    until(lambda: [r.outcome for r in results] == ["filed"])
    corrupt(folder.root / ".closedloop" / "registry.sqlite")
    staged(folder, "second.docx", "Second Customer").replace(inbox / "second.docx")
    until(lambda: w.failed)
    assert isinstance(w.error, RegistryFailed)
    root = folder.root
    assert str(w.error) == (
        f"{root}/.closedloop/registry.sqlite: the registry failed while the service ran "
        "(file is not a database); the service stopped so that no file is filed against it. "
        f"Run `closedloop doctor {root}` to see what is wrong, then `closedloop rebuild "
        f"{root}` to make the registry again from the archive"
    )
    w.stop(timeout=5)  # the worker is joined: no more tries of the waiting file once stopped
    assert [r.file for r in results if r.file == "second.docx"] in ([], ["second.docx"])
    assert (inbox / "second.docx").exists()


@pytest.mark.parametrize("how", ["deleted", "replaced"])
def test_a_registry_deleted_or_replaced_under_a_quiet_watcher_stops_it(
    folder: Folder, watched: tuple[Watcher, list[FileResult]], how: str
) -> None:
    w, _ = watched
    until(w.working.is_set)  # deleted before the worker opened it, it would be a new folder's
    registry = folder.root / ".closedloop" / "registry.sqlite"
    if how == "deleted":
        registry.unlink()
    else:  # a copy put back over it: another file at the path
        shutil.copyfile(registry, registry.with_suffix(".copy"))
        registry.with_suffix(".copy").replace(registry)
    until(lambda: w.failed)
    said = {
        "deleted": "its file was deleted or cannot be reached",
        "replaced": "its file was replaced by another",
    }
    assert f"registry.sqlite: the registry failed while the service ran ({said[how]})" in str(
        w.error
    )
    assert "then `closedloop rebuild" in str(w.error)


def test_the_watch_command_exits_2_when_its_registry_is_corrupted(folder: Folder) -> None:
    exe = Path(sys.executable).with_name("closedloop")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "closedloop"]
    proc = subprocess.Popen(
        [*cmd, "watch", str(folder.root), "--window", "0.2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        log = folder.root / ".closedloop" / "watch.log"
        until(lambda: log.exists() and "watching" in log.read_text(), timeout=10)
        corrupt(folder.root / ".closedloop" / "registry.sqlite")
        until(lambda: proc.poll() is not None)
        _, err = proc.communicate(timeout=5)
    finally:
        proc.kill()
    assert proc.returncode == 2
    assert "the registry failed while the service ran (file is not a database)" in err
    assert f"Run `closedloop doctor {folder.root}`" in err
    assert f"then `closedloop rebuild {folder.root}`" in err
    assert "the registry failed while the service ran" in log.read_text()


def test_registry_failures_are_told_from_a_busy_registry_and_from_a_files_values() -> None:
    import sqlite3

    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE t (x UNIQUE)")
    db.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(sqlite3.IntegrityError) as values:
        db.execute("INSERT INTO t VALUES (1)")
    assert registry_failure(values.value) is None  # one file's values: that file's problem
    with pytest.raises(sqlite3.OperationalError) as missing:
        db.execute("SELECT * FROM cases")
    assert registry_failure(missing.value) is missing.value  # another database put in its place


def test_a_failed_file_waits_the_time_the_log_states_and_any_name_is_logged(
    folder: Folder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading a file raises events of its own, and scans find it again: neither may bring
    a failed file back before its delay. Its name is not UTF-8 and its reason holds a line
    break and a terminal escape: the log line is written, escaped, one line."""
    inbox = folder.root / "Inbox"
    raw = os.fsencode(inbox) + b"/bad\xff name.docx"
    name = os.fsdecode(raw).rsplit("/", 1)[-1]
    tried: list[float] = []
    real_process = App._file_one  # one entry of the batch the service files

    def fails_twice(self: App, path: Path, now: datetime) -> FileResult:
        if path.name != name or len(tried) >= 2:
            return real_process(self, path, now)
        tried.append(time.monotonic())
        path.read_bytes()  # as the intake reads it: open and close events
        return FileResult(
            path.name, Outcome.IGNORED, reason="held open\n\x1b[31mfake line", retry=True
        )

    monkeypatch.setattr(App, "_file_one", fails_twice)
    log_file = folder.root / ".closedloop" / "watch.log"
    handler = logging.handlers.RotatingFileHandler(log_file, encoding="utf-8")
    logger = logging.getLogger("closedloop")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    results: list[FileResult] = []
    w = Watcher(
        folder.root,
        quiet_settings(window=0.2, rescan=0.1),  # scans as often as the loop turns
        on_result=results.append,
        first_retry=0.5,
    )
    w.start()
    try:
        with open(raw, "wb") as fh:
            fh.write(b"not a form")
        until(lambda: any(r.outcome != "ignored" for r in results))
    finally:
        w.stop(timeout=5)
        logger.removeHandler(handler)
        handler.close()
    assert len(tried) == 2
    assert 0.5 <= tried[1] - tried[0] < 0.8  # the stated 0.5 s, not the 0.2 s window
    lines = log_file.read_text(encoding="utf-8").splitlines()
    said = [line for line in lines if "held open" in line]
    assert said == [
        "ignored bad\\xff name.docx: held open\\n\\x1b[31mfake line; trying again in 0.5 s (try 1)",
        "ignored bad\\xff name.docx: held open\\n\\x1b[31mfake line; trying again in 1 s (try 2)",
    ]
    assert not any(line.startswith("\x1b") or line == "fake line" for line in lines)
    assert results[-1].outcome == "refused"  # then taken, on time: not a form


def test_a_word_owner_file_left_by_a_crash_no_longer_holds_its_document(
    folder: Folder, caplog: pytest.LogCaptureFixture
) -> None:
    inbox = folder.root / "Inbox"
    document = staged(folder, "report.docx", "Crash Customer")
    old = time.time() - 20 * 60 - 5
    os.utime(document, (old, old))  # saved 20 minutes ago
    owner = inbox / "~$port.docx"
    owner.write_bytes(b"\x03Mei" + b"\x00" * 50)
    os.utime(owner, (old, old))
    open_now = staged(folder, "open.docx", "Open Customer")
    (inbox / "~$open.docx").write_bytes(b"\x03Mei" + b"\x00" * 50)  # Word has it open now
    results: list[FileResult] = []
    caplog.set_level("INFO", logger="closedloop")
    clock = HandClock()
    w = Watcher(
        folder.root,
        quiet_settings(window=0.2, rescan=0.3),
        clock=clock,
        on_result=results.append,
    )
    w.start()
    try:
        document.replace(inbox / "report.docx")
        open_now.replace(inbox / "open.docx")
        clock.until(lambda: len(results) == 1, step=0.2)
        for _ in range(4):  # four windows and rescans: the open document still waits
            clock.advance(0.3)
    finally:
        w.stop(timeout=5)
    assert [(r.file, r.outcome) for r in results] == [("report.docx", "filed")]
    told = (
        "~$port.docx is 20 minutes old; Word seems to have closed without removing it; "
        "report.docx is filed anyway"
    )
    assert caplog.text.count(told) == 1
    assert (inbox / "open.docx").exists()


def test_a_watcher_whose_state_folder_is_moved_away_stops(
    folder: Folder, watched: tuple[Watcher, list[FileResult]]
) -> None:
    # Another closedloop could lock a new .closedloop and file beside this one.
    w, _ = watched
    until(w.working.is_set)
    (folder.root / ".closedloop").rename(folder.root / "moved")
    until(lambda: w.failed)
    assert isinstance(w.error, LockLost)
    assert "was renamed, deleted or replaced while this process held it" in str(w.error)


def test_a_folder_made_a_link_under_a_running_watcher_stops_it_before_writing_there(
    folder: Folder, watched: tuple[Watcher, list[FileResult]], tmp_path: Path
) -> None:
    w, results = watched
    outside = tmp_path / "outside"
    outside.mkdir()
    reports = folder.root / "Reports"
    shutil.rmtree(reports)
    reports.symlink_to(outside, target_is_directory=True)
    inbox = folder.root / "Inbox"
    staged(folder, "first.docx", "First Customer").replace(inbox / "first.docx")
    until(lambda: w.failed)
    assert f"{reports}: this folder is a link to {outside}" in str(w.error)
    assert (inbox / "first.docx").exists() and not list(outside.iterdir())
    assert results == []
