"""One worker per shared folder, against a lock that is meddled with: another real process
holds it, its lock file is deleted, replaced by a FIFO or a link, its folder renamed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from closedloop.cli import cli
from tests.conftest import REPO
from tests.scenario import Folder
from watcher.instance import AlreadyWatched, InstanceLock, LockLost

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="no flock on Windows")

HOLD = """
import sys
from pathlib import Path
from watcher.instance import InstanceLock
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
