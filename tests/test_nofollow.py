"""Touching the Inbox without following links, with folder handles (POSIX) and with
checked paths (Windows, which has no dir_fd: run here by switching the handles off)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

import archive.nofollow as nofollow

pytestmark = pytest.mark.budget(seconds=5, megabytes=500)


@pytest.fixture(params=[True, False], ids=["handles", "checked paths"])
def root(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(nofollow, "_AT", request.param)
    root = tmp_path / "share"
    (root / "Inbox").mkdir(parents=True)
    (root / "Inbox" / "form.docx").write_bytes(b"form")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_bytes(b"secret")
    (root / "Inbox" / "folder").symlink_to(tmp_path / "outside", target_is_directory=True)
    (root / "Inbox" / "file.docx").symlink_to(tmp_path / "outside" / "secret.txt")
    return root


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_file_is_read_and_a_link_never_is(root: Path) -> None:
    assert nofollow.read_regular(root, Path("Inbox/form.docx"), 100).data == b"form"
    for through in ("Inbox/file.docx", "Inbox/folder/secret.txt"):
        with pytest.raises(nofollow.NotARegularFile, match="link"):
            nofollow.read_regular(root, Path(through), 100)
        with pytest.raises(nofollow.NotARegularFile, match="link"):
            list(nofollow.stream_regular(root, Path(through)))


def test_a_file_larger_than_the_limit_is_not_read(root: Path) -> None:
    with pytest.raises(nofollow.TooLarge):
        nofollow.read_regular(root, Path("Inbox/form.docx"), 3)


def test_nothing_is_removed_or_moved_through_a_link(root: Path, tmp_path: Path) -> None:
    secret = sha(b"secret")
    assert not nofollow.unlink_regular(root, Path("Inbox/folder/secret.txt"), secret)
    assert not nofollow.unlink_regular(root, Path("Inbox/file.docx"), secret)
    target = root / "moved"
    assert not nofollow.rename_regular(root, Path("Inbox/folder/secret.txt"), target, secret)
    assert (tmp_path / "outside" / "secret.txt").read_bytes() == b"secret"
    assert not target.exists()
    assert nofollow.unlink_regular(root, Path("Inbox/form.docx"), sha(b"form"))
    assert not (root / "Inbox" / "form.docx").exists()


def test_a_link_is_moved_as_the_link(root: Path, tmp_path: Path) -> None:
    link = root / "Inbox" / "file.docx"
    info = os.lstat(link)
    target = root / "aside.docx"
    assert nofollow.rename_entry(root, Path("Inbox/file.docx"), target, (info.st_dev, info.st_ino))
    assert target.is_symlink() and not os.path.lexists(link)
    assert (tmp_path / "outside" / "secret.txt").read_bytes() == b"secret"


def test_a_path_that_climbs_out_is_refused(root: Path) -> None:
    with pytest.raises(nofollow.NotARegularFile, match="leaves its folder"):
        nofollow.read_regular(root, Path("Inbox/../../outside/secret.txt"), 100)
