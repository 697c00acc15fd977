"""One worker per shared folder, against a lock that is meddled with: another real process
holds it, its lock file is deleted, replaced by a FIFO or a link, its folder renamed."""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

import app.instance
from app.instance import (
    WINDOWS_BYTE,
    AlreadyWatched,
    CannotLock,
    InstanceLock,
    LockLost,
    _ByteLock,
    _FolderLock,
    _platform_lock,
)
from closedloop.cli import cli
from tests.conftest import REPO
from tests.scenario import REGISTRATION, Folder

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="no flock on Windows")

HOLD = """
import sys
from pathlib import Path
from app.instance import InstanceLock
InstanceLock(Path(sys.argv[1]), "closedloop watch").acquire()
print("held", flush=True)
sys.stdin.read()  # until the test closes it
"""


@contextmanager
def held(state: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process, a real one, holding the lock on `state` until the block ends."""
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(state)],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        assert child.stdout.readline() == "held\n"
        yield child
    finally:
        child.stdin.close()
        child.stdout.close()
        assert child.wait(timeout=10) == 0


def test_deleting_the_lock_file_lets_no_second_worker_in(tmp_path: Path) -> None:
    state = tmp_path / "share" / ".closedloop"
    with held(state) as child:
        (state / "watch.lock").unlink()
        with pytest.raises(AlreadyWatched) as refused:
            InstanceLock(state, "closedloop ingest").acquire()
        # named by the lock itself, since the file that named it is gone
        assert refused.value.holder.endswith(f"(process {child.pid})")
        assert str(refused.value) == (
            f"{tmp_path / 'share'} is already watched by {refused.value.holder}, which "
            "files the Inbox itself; leave it running, or stop it first"
        )
        assert not (state / "watch.lock").exists()  # the refused one wrote nothing
    with InstanceLock(state, "closedloop ingest") as lock:  # the holder is gone: taken
        assert lock.still_held()
        assert (state / "watch.lock").read_text() == f"closedloop ingest (process {os.getpid()})"


def test_the_holder_is_named_by_its_lock_file(tmp_path: Path) -> None:
    state = tmp_path / ".closedloop"
    with held(state) as child, pytest.raises(AlreadyWatched) as refused:
        InstanceLock(state).acquire()
    assert refused.value.holder == f"closedloop watch (process {child.pid})"


def test_ingest_is_refused_while_a_watch_holds_the_folder_and_its_file_is_gone(
    tmp_path: Path,
) -> None:
    folder = Folder(tmp_path / "share")
    state = folder.root / ".closedloop"
    with held(state) as child:
        (state / "watch.lock").unlink()
        result = CliRunner().invoke(cli, ["ingest", str(folder.root)])
        assert result.exit_code == 2
        assert f"{folder.root} is already watched by " in result.stderr
        assert f"(process {child.pid}), which files the Inbox itself" in result.stderr


def test_a_folder_renamed_under_the_holder_is_noticed(tmp_path: Path) -> None:
    state = tmp_path / ".closedloop"
    with InstanceLock(state) as lock:
        assert lock.still_held()
        lock.check()
        state.rename(tmp_path / ".closedloop.old")
        assert not lock.still_held()  # a new .closedloop may now be locked by another
        with pytest.raises(LockLost) as lost:
            lock.check()
        assert str(lost.value) == (
            f"{state} was renamed, deleted or replaced while this process held it, so "
            "another closedloop may now file the same Inbox; this one stops. Put the "
            "folder back if it was moved, then start closedloop again"
        )
        with InstanceLock(state, "closedloop ingest"):
            assert not lock.still_held()
    assert not InstanceLock(state).still_held()  # never acquired


def test_a_fifo_or_a_link_in_the_lock_files_place_is_replaced(tmp_path: Path) -> None:
    state = tmp_path / ".closedloop"
    state.mkdir()
    os.mkfifo(state / "watch.lock")  # opening it to write would wait for a reader forever
    with InstanceLock(state):
        assert (state / "watch.lock").is_file()
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me")
    (state / "watch.lock").unlink()
    (state / "watch.lock").symlink_to(outside)
    with InstanceLock(state):
        assert not (state / "watch.lock").is_symlink()
    assert outside.read_text() == "keep me"  # never written through the link


def test_a_folder_deleted_with_all_it_held_is_noticed(tmp_path: Path) -> None:
    state = tmp_path / ".closedloop"
    with InstanceLock(state) as lock:
        (state / "registry.sqlite").write_bytes(b"")
        shutil.rmtree(state)  # what a directory that is not empty needs: rm -r
        assert not lock.still_held()


# Windows: the lock is msvcrt's on one byte of watch.lock. Here lockf plays msvcrt's two
# calls (one byte from the handle's position, EACCES when another process holds it), so
# all the rest of the Windows lock runs for real, between real processes.


class LockfByteLock(_ByteLock):
    @staticmethod
    def _lock(fd: int) -> None:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 0, os.SEEK_CUR)
        except BlockingIOError as exc:  # msvcrt says EACCES
            raise PermissionError(errno.EACCES, "locked by another process") from exc

    @staticmethod
    def _unlock(fd: int) -> None:
        fcntl.lockf(fd, fcntl.LOCK_UN, 1, 0, os.SEEK_CUR)


HOLD_BYTE = """
import sys
from pathlib import Path
import app.instance
from tests.test_instance import LockfByteLock
app.instance._platform_lock = lambda: LockfByteLock
app.instance.InstanceLock(Path(sys.argv[1]), sys.argv[2]).acquire()
print("held", flush=True)
sys.stdin.read()  # until the test closes it
"""


@contextmanager
def held_by_byte(state: Path, holder: str) -> Iterator[subprocess.Popen[str]]:
    """Another real process holding the Windows lock on `state` until the block ends."""
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD_BYTE, str(state), holder],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        assert child.stdout.readline() == "held\n"
        yield child
    finally:
        child.stdin.close()
        child.stdout.close()
        assert child.wait(timeout=10) == 0


@pytest.fixture
def windows_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app.instance, "_platform_lock", lambda: LockfByteLock)


def test_each_system_gets_its_lock(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert _platform_lock() is _FolderLock
    with monkeypatch.context() as m:
        m.setattr(sys, "platform", "win32")
        assert _platform_lock() is _ByteLock  # fcntl or not
        m.setattr(app.instance, "fcntl", None)
        assert _platform_lock() is _ByteLock
    # The outside test's stand-in for Windows, fcntl gone: it used to run with no lock at
    # all (two ingests side by side filed 60 forms into 110 cases); now nothing is filed.
    monkeypatch.setattr(app.instance, "fcntl", None)
    assert _platform_lock() is None
    state = tmp_path / ".closedloop"
    with pytest.raises(CannotLock) as refused:
        InstanceLock(state, "closedloop ingest").acquire()
    assert str(refused.value) == (
        f"{state}: cannot be locked (this system has neither flock nor Windows' byte "
        "locks), so closedloop cannot make sure it is the only one filing this folder; "
        "keep the shared folder on a file system that supports locks (a local disk of the "
        "server that shares it)"
    )
    assert not (state / "watch.lock").exists()


def test_without_msvcrt_the_windows_lock_refuses_to_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """What an OS error from msvcrt other than "held" becomes: a lock that cannot be
    taken is a refusal, never a run without a lock."""
    monkeypatch.setattr(sys, "platform", "win32")
    state = tmp_path / ".closedloop"
    lock = InstanceLock(state, "closedloop ingest")
    with pytest.raises(CannotLock) as refused:
        lock.acquire()
    monkeypatch.undo()
    assert str(refused.value).startswith(
        f"{state}: cannot be locked (msvcrt's byte locks are Windows-only), so closedloop "
    )
    assert not lock.still_held()
    assert (state / "watch.lock").read_text() == ""  # opened, never named: nobody holds it


@pytest.mark.usefixtures("windows_lock")
def test_windows_a_holder_refuses_a_second_worker_and_is_named(tmp_path: Path) -> None:
    state = tmp_path / "share" / ".closedloop"
    with held_by_byte(state, "closedloop ingest") as child:
        named = f"closedloop ingest (process {child.pid})"
        with pytest.raises(AlreadyWatched) as refused:
            InstanceLock(state, "closedloop ingest").acquire()
        assert refused.value.holder == named
        assert str(refused.value) == (
            f"{tmp_path / 'share'} is already watched by {named}, which files the Inbox "
            "itself; leave it running, or stop it first"
        )
        # The refused one opened the holder's file and wrote nothing into it
        assert (state / "watch.lock").read_text() == named
        assert os.path.getsize(state / "watch.lock") == len(named)  # the lock grew nothing
    with InstanceLock(state, "closedloop watch") as lock:  # the holder is gone: taken
        assert lock.still_held()
        assert (state / "watch.lock").read_text() == f"closedloop watch (process {os.getpid()})"


@pytest.mark.usefixtures("windows_lock")
def test_windows_the_locked_byte_lies_past_the_name(tmp_path: Path) -> None:
    """Windows' byte locks are mandatory: the refused process can read the holder's name
    only because the locked byte is far past it. /proc/locks shows which byte is locked."""
    state = tmp_path / ".closedloop"
    with InstanceLock(state):
        inode = (state / "watch.lock").stat().st_ino
        ours = [
            line.split()
            for line in Path("/proc/locks").read_text().splitlines()
            if line.split()[4:5] == [str(os.getpid())] and line.split()[5].endswith(f":{inode}")
        ]
        assert [fields[1:4] + fields[6:8] for fields in ours] == [
            ["POSIX", "ADVISORY", "WRITE", str(WINDOWS_BYTE), str(WINDOWS_BYTE)]
        ]
    assert WINDOWS_BYTE > 1000  # what _holder reads of the name


@pytest.mark.usefixtures("windows_lock")
def test_windows_the_lock_file_is_rechecked(tmp_path: Path) -> None:
    """Windows refuses to delete or rename a file held open; `still_held` does not take
    that on trust (here, on Linux, the file can be replaced under the holder)."""
    state = tmp_path / ".closedloop"
    with InstanceLock(state) as lock:
        assert lock.still_held()
        lock.check()
        (state / "watch.lock").rename(state / "watch.lock.old")
        (state / "watch.lock").write_text("closedloop ingest (process 1)")
        assert not lock.still_held()
        with pytest.raises(LockLost):
            lock.check()
        (state / "watch.lock").unlink()
        assert not lock.still_held()
    assert not lock.still_held()  # released


@pytest.mark.usefixtures("windows_lock")
def test_windows_a_manual_ingest_is_refused_while_the_scheduled_one_runs(
    tmp_path: Path,
) -> None:
    folder = Folder(tmp_path / "share")
    form = folder.save(folder.blank("registration"), REGISTRATION)
    state = folder.root / ".closedloop"
    with held_by_byte(state, "closedloop ingest") as child:
        result = CliRunner().invoke(cli, ["ingest", str(folder.root)])
        assert result.exit_code == 2
        assert result.stderr.strip().endswith(
            f"{folder.root} is already watched by closedloop ingest (process {child.pid}), "
            "which files the Inbox itself; leave it running, or stop it first"
        )
        assert form.exists()  # untouched: the scheduled pass files it
        assert not any((folder.root / "Archive").iterdir())
    # once the scheduled pass is over, the manual one runs
    assert [r["outcome"] for r in folder.ingest("2026-11-20T10:00:00")] == ["filed"]
    assert not form.exists()
