"""forms/flush.py: many paths made durable at once; what a batch of filings relies on."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import forms.flush
from forms.flush import filesystem_of, flush_together


def test_a_local_file_system_is_flushed_once_and_a_share_path_by_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = [tmp_path / f"{n}.bin" for n in range(5)]
    for f in files:
        f.write_bytes(b"x" * 100)
    device = tmp_path.stat().st_dev
    synced: list[Path] = []
    fsynced: list[Path] = []
    monkeypatch.setattr(forms.flush, "_flush_device", lambda call, path: synced.append(path))
    monkeypatch.setattr(forms.flush, "_fsync", lambda path: fsynced.append(path))
    monkeypatch.setitem(forms.flush._LOCAL, device, True)
    flush_together([*files, tmp_path])
    assert len(synced) == 1 and fsynced == []  # one syncfs for the whole file system
    monkeypatch.setitem(forms.flush._LOCAL, device, False)  # as on an SMB or NFS share
    flush_together([*files, tmp_path])
    assert sorted(fsynced) == sorted([*files, tmp_path])


def test_a_missing_path_is_skipped_and_a_link_never_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outside = tmp_path / "outside"
    outside.write_bytes(b"not ours")
    link = tmp_path / "link"
    link.symlink_to(outside)
    opened: list[Path] = []
    monkeypatch.setitem(forms.flush._LOCAL, tmp_path.stat().st_dev, False)
    monkeypatch.setattr(forms.flush, "_fsync", lambda path: opened.append(path))
    flush_together([tmp_path / "gone", link])
    assert opened == []


def test_the_real_flush_runs(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"a")
    flush_together([tmp_path / "a", tmp_path])  # syncfs here (ext4, tmpfs) or fsyncs
    assert filesystem_of(tmp_path) is not None or os.name != "posix"
