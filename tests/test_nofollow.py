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
    with nofollow.folder_fd(root, Path()) as into:
        moved = nofollow.rename_regular(
            root, Path("Inbox/folder/secret.txt"), into, "moved", secret
        )
    assert not moved
    assert (tmp_path / "outside" / "secret.txt").read_bytes() == b"secret"
    assert not target.exists()
    assert nofollow.unlink_regular(root, Path("Inbox/form.docx"), sha(b"form"))
    assert not (root / "Inbox" / "form.docx").exists()


def test_a_link_is_moved_as_the_link(root: Path, tmp_path: Path) -> None:
    link = root / "Inbox" / "file.docx"
    info = os.lstat(link)
    target = root / "aside.docx"
    with nofollow.folder_fd(root, Path()) as into:
        identity = (info.st_dev, info.st_ino)
        assert nofollow.rename_entry(root, Path("Inbox/file.docx"), into, "aside.docx", identity)
    assert target.is_symlink() and not os.path.lexists(link)
    assert (tmp_path / "outside" / "secret.txt").read_bytes() == b"secret"


def test_a_path_that_climbs_out_is_refused(root: Path) -> None:
    with pytest.raises(nofollow.NotARegularFile, match="leaves its folder"):
        nofollow.read_regular(root, Path("Inbox/../../outside/secret.txt"), 100)


def test_a_target_folder_is_made_never_through_a_link_and_kept_once_opened(
    root: Path, tmp_path: Path
) -> None:
    """The folder a file goes into is reached (and made where missing) one name at a time
    without following a link; once opened, a swap of it for a link does not move the file
    through the link: it lands in the folder that was opened (POSIX handles)."""
    with (
        pytest.raises(nofollow.NotARegularFile, match="link"),
        nofollow.folder_fd(root, Path("Inbox/folder/new"), make=True),
    ):
        pass
    assert sorted(os.listdir(tmp_path / "outside")) == ["secret.txt"]
    with nofollow.folder_fd(root, Path("Archive/CC-2026-0002 X"), make=True) as into:
        if not isinstance(into, int):
            return  # checked paths (Windows) have no handle to keep
        made = root / "Archive" / "CC-2026-0002 X"
        made.rename(root / "Archive" / "renamed")
        made.symlink_to(tmp_path / "outside", target_is_directory=True)
        with (root / "Inbox" / "form.docx").open("rb") as source:
            nofollow.write_at(into, "case.json", source)
    assert (root / "Archive" / "renamed" / "case.json").read_bytes() == b"form"
    assert sorted(os.listdir(tmp_path / "outside")) == ["secret.txt"]


def test_a_name_of_255_bytes_is_written_whole(root: Path) -> None:
    """A note beside a refused file of a long name fills one name (255 bytes): the temp
    file it is written through fits too."""
    import io

    name = "审" * 77 + ".docx - what to fix.txt"
    assert len(name.encode()) == 254
    with nofollow.folder_fd(root, Path("Quarantine"), make=True) as into:
        nofollow.write_at(into, name, io.BytesIO(b"note"))
    assert (root / "Quarantine" / name).read_bytes() == b"note"
    assert os.listdir(root / "Quarantine") == [name]
