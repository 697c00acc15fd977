"""The real watcher in a thread (and as a process), polled, never slept on a fixed time."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

import app.intake.entry
from app.folder import init
from app.instance import AlreadyWatched
from app.results import FileResult
from app.settings import settings_template
from filing.policy import Policy
from tests.clock import HandClock
from tests.office import fill_docx
from tests.scenario import REGISTRATION, Folder
from tests.settings import quiet_settings
from watcher.service import Watcher

OUTBOX_CAPA = (
    "Outbox/Storage & Transportation/CC-2026-{n:04d} Corrective and Preventive Action Report.docx"
)


def until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


WINDOW = 0.4  # the stability window of the watchers below
RESCAN = 60.0  # seconds between their walks of the Inbox


@pytest.fixture(params=["native", "polling"])
def poll(request: pytest.FixtureRequest) -> float | None:
    """Native events, or polling as on a network share where native events never arrive."""
    return 0.2 if request.param == "polling" else None


def _watching(
    tmp_path: Path, poll: float | None, clock: Callable[[], float]
) -> Iterator[tuple[Folder, list[FileResult]]]:
    folder = Folder(tmp_path / "share")
    results: list[FileResult] = []
    w = Watcher(
        folder.root,
        quiet_settings(window=WINDOW, poll=poll, rescan=RESCAN),
        clock=clock,
        on_result=results.append,
    )
    w.start()
    yield folder, results
    w.stop()


@pytest.fixture
def running(tmp_path: Path, poll: float | None) -> Iterator[tuple[Folder, list[FileResult]]]:
    """The watcher on the real clock."""
    yield from _watching(tmp_path, poll, time.monotonic)


@pytest.fixture
def held(
    tmp_path: Path, poll: float | None
) -> Iterator[tuple[Folder, list[FileResult], HandClock]]:
    """The watcher on a clock the test moves by hand: what must not happen yet is asserted
    after the worker looked at the time that matters."""
    clock = HandClock()
    for folder, results in _watching(tmp_path, poll, clock):
        yield folder, results, clock


def triaged(folder: Folder, name: str, customer: str = "ACME Windows") -> Path:
    """A registration filled outside the Inbox (so the watcher never sees it half done);
    the test then moves it in whole."""
    staged = folder.root / "staging" / name
    staged.parent.mkdir(exist_ok=True)
    shutil.copyfile(folder.blank("registration"), staged)
    fill_docx(staged, {**REGISTRATION, "Customer": customer, "Complaint established": "yes"})
    return staged


def test_a_saved_form_moves_its_case_within_seconds(
    running: tuple[Folder, list[FileResult]],
) -> None:
    folder, results = running
    staged = triaged(folder, "complaint.docx")
    staged.replace(folder.root / "Inbox" / "complaint.docx")
    until(lambda: (folder.root / OUTBOX_CAPA.format(n=1)).exists())
    until(lambda: not (folder.root / "Inbox" / "complaint.docx").exists())
    until(lambda: len(results) == 1)  # reported once the auditor pages are written too
    assert [(r.file, r.outcome) for r in results] == [("complaint.docx", "filed")]


def test_a_file_open_in_word_waits_and_words_save_dance_yields_one_ingest(
    held: tuple[Folder, list[FileResult], HandClock],
) -> None:
    folder, results, clock = held
    inbox = folder.root / "Inbox"
    staged = triaged(folder, "registration.docx")
    lock = inbox / "~$gistration.docx"
    lock.write_bytes(b"\x0bMei" + b"\x00" * 50)
    # Word's dance: write a temp file, rename the old document away, the temp into place, delete.
    (inbox / "~WRL0001.tmp").write_bytes(staged.read_bytes())
    (inbox / "~WRL0001.tmp").replace(inbox / "registration.docx")
    staged.unlink()
    clock.advance(RESCAN)  # a walk of the Inbox: the worker has seen the document
    clock.advance(3 * WINDOW)  # three stability windows: it must still wait for Word to close it
    assert results == [] and (inbox / "registration.docx").exists()
    lock.unlink()
    clock.until(lambda: len(results) == 1, step=WINDOW)
    assert (results[0].file, results[0].outcome) == ("registration.docx", "filed")
    clock.advance(RESCAN)  # another walk, and windows for all it or late events found
    clock.advance(3 * WINDOW)
    assert len(results) == 1  # once, however many events the dance raised


def test_startup_with_a_full_inbox_and_a_second_watcher_is_refused(tmp_path: Path) -> None:
    folder = Folder(tmp_path / "share")
    for i in range(12):
        staged = triaged(folder, f"{i:02d}.docx", customer=f"Customer {i}")
        staged.replace(folder.root / "Inbox" / staged.name)
    results: list[FileResult] = []
    w = Watcher(folder.root, quiet_settings(window=0.2, poll=0.2), on_result=results.append)
    w.start()
    try:
        with pytest.raises(
            AlreadyWatched,
            match=rf"is already watched by closedloop watch \(process {os.getpid()}\)",
        ):
            Watcher(folder.root, quiet_settings()).start()
        until(lambda: len(results) == 12)
        assert {r.outcome for r in results} == {"filed"}
        assert not any((folder.root / "Inbox").iterdir())
    finally:
        w.stop()


def test_the_watch_command_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    root = tmp_path / "share"
    init(root, Policy(), "Test Co.", settings_template())
    exe = Path(sys.executable).with_name("closedloop")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "closedloop"]
    proc = subprocess.Popen(
        [*cmd, "watch", str(root), "--window", "0.3", "--poll", "0.2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        log = root / ".closedloop" / "watch.log"
        until(lambda: log.exists() and "watching" in log.read_text())
        second = subprocess.run(
            [*cmd, "watch", str(root)], capture_output=True, text=True, timeout=30
        )
        assert (
            second.returncode == 2
            and "is already watched by closedloop watch (process" in second.stderr
        )
        one_shot = subprocess.run(
            [*cmd, "ingest", str(root)], capture_output=True, text=True, timeout=30
        )
        assert one_shot.returncode == 2
        assert "which files the Inbox itself; leave it running, or stop it first" in (
            one_shot.stderr
        )
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert "stopped" in log.read_text()
    finally:
        proc.kill()


def test_evidence_dropped_into_a_case_folder_is_picked_up_live(
    running: tuple[Folder, list[FileResult]],
) -> None:
    folder, results = running
    staged = triaged(folder, "complaint.docx")
    staged.replace(folder.root / "Inbox" / "complaint.docx")
    until(lambda: len(results) == 1)
    box = folder.root / "Inbox" / "CC-2026-0001"
    box.mkdir()
    (box / "scan.pdf").write_bytes(b"%PDF-1.4 evidence")
    until(lambda: any(r.file == "CC-2026-0001/scan.pdf" for r in results))
    assert [(r.file, r.outcome) for r in results] == [
        ("complaint.docx", "filed"),
        ("CC-2026-0001/scan.pdf", "filed"),
    ]


def test_a_file_that_cannot_be_read_now_is_retried_with_backoff_not_quarantined(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    folder = Folder(tmp_path / "share")
    staged = triaged(folder, "locked.docx")
    denied = {"left": 2}
    read_regular = app.intake.entry.read_regular

    def locked_twice(root: Path, relative: Path, limit: int) -> Any:
        # Someone holds the file open with a share lock (as Windows does over SMB).
        if relative.as_posix() == "Inbox/locked.docx" and denied["left"]:
            denied["left"] -= 1
            raise PermissionError(13, "Permission denied", str(root / relative))
        return read_regular(root, relative, limit)

    monkeypatch.setattr(app.intake.entry, "read_regular", locked_twice)
    results: list[FileResult] = []
    w = Watcher(folder.root, quiet_settings(window=0.2), on_result=results.append)
    caplog.set_level("INFO", logger="closedloop")
    w.start()
    try:
        staged.replace(folder.root / "Inbox" / "locked.docx")
        until(lambda: any(r.outcome == "filed" for r in results))
    finally:
        w.stop()
    assert [r.outcome for r in results] == ["ignored", "ignored", "filed"]
    assert "cannot be read now (Permission denied)" in (results[0].reason or "")
    assert "trying again in 1 s (try 1)" in caplog.text
    assert "trying again in 2 s (try 2)" in caplog.text
    # Each filing writes the archive chain's head to the log, for `verify --anchor`.
    assert re.search(r"archive chain: event 1, head [0-9a-f]{64}", caplog.text)
    assert not any((folder.root / "Quarantine").iterdir())


def test_a_watcher_whose_worker_fails_says_why_and_stops(tmp_path: Path) -> None:
    folder = Folder(tmp_path / "share")

    def broken_clock() -> datetime:
        raise OSError(5, "Input/output error")

    w = Watcher(folder.root, quiet_settings(window=0.1), now=broken_clock)
    w.start()
    try:
        triaged(folder, "a.docx").replace(folder.root / "Inbox" / "a.docx")
        until(lambda: w.failed)
    finally:
        w.stop()
    assert "Input/output error" in str(w.error)
    assert (folder.root / "Inbox" / "a.docx").exists()


def test_watch_refuses_to_start_on_a_registry_it_cannot_open(tmp_path: Path) -> None:
    root = tmp_path / "share"
    init(root, Policy(), "Test Co.", settings_template())
    (root / ".closedloop" / "registry.sqlite").write_bytes(b"not a database" * 100)
    exe = Path(sys.executable).with_name("closedloop")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "closedloop"]
    run = subprocess.run([*cmd, "watch", str(root)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert "registry.sqlite: the registry cannot be opened" in run.stderr
    assert "closedloop rebuild" in run.stderr


def test_a_libreoffice_save_and_a_slow_chunked_copy_each_yield_one_ingest(
    held: tuple[Folder, list[FileResult], HandClock],
) -> None:
    folder, results, clock = held
    inbox = folder.root / "Inbox"
    # LibreOffice: its lock file while the document is open, the save written to a temp
    # file beside it and renamed over the document.
    lo = triaged(folder, "lo.docx", customer="LibreOffice Customer").read_bytes()
    lock = inbox / ".~lock.report.docx#"
    lock.write_text(",Mei,desk-7,22.11.2026 10:00,file:///home/mei/.config/libreoffice/4;")
    (inbox / "lu4711abc.tmp").write_bytes(lo)
    (inbox / "lu4711abc.tmp").replace(inbox / "report.docx")
    # A slow copy over the network: the file grows a chunk at a time, each pause shorter
    # than the stability window (and the worker looks at the file in each pause).
    big = triaged(folder, "copy.docx", customer="Network Customer").read_bytes()
    chunks = [big[i : i + len(big) // 5 + 1] for i in range(0, len(big), len(big) // 5 + 1)]
    with (inbox / "copied.docx").open("wb") as fh:
        for chunk in chunks:
            fh.write(chunk)
            fh.flush()
            clock.advance(0.25)
    clock.until(lambda: any(r.file == "copied.docx" for r in results), step=WINDOW)
    assert [(r.file, r.outcome) for r in results] == [("copied.docx", "filed")]
    lock.unlink()  # LibreOffice closed the document
    clock.until(lambda: any(r.file == "report.docx" for r in results), step=WINDOW)
    clock.advance(RESCAN)  # another walk, and windows for all it or late events found
    clock.advance(3 * WINDOW)
    assert sorted((r.file, r.outcome) for r in results) == [
        ("copied.docx", "filed"),
        ("report.docx", "filed"),
    ]
