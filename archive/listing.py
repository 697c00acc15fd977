"""What a folder in the Archive holds, seen without following a link.

The Archive is on a share others can write. An entry of a case folder (a filed original,
an issued copy, a piece of evidence, the evidence folder itself) may be replaced by a link
to a file or folder elsewhere, a FIFO or a device. Such an entry is listed for what it is
and never followed, opened or changed: verify reports it, the quarter close refuses to
seal it, the packet and the mail leave it out. The files listed are read through
archive/nofollow.py (O_NOFOLLOW | O_NONBLOCK, and fstat must say a regular file), so an
entry swapped for a link after it was listed is not read through either.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from archive.nofollow import REPARSE_POINT, kind_of
from language import N_, _

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a FIFO swapped in is never waited on


#: Why nothing but files is read: said wherever such an entry is reported (`_()` it there).
NEVER_FOLLOWED = N_("closedloop never follows links, nor reads anything that is not a file")


@dataclass
class Listing:
    files: list[str] = field(default_factory=list)  # regular files, relative, with /
    folders: list[str] = field(default_factory=list)  # real folders under it, relative
    # Entries that are neither a regular file nor a real folder (a link, a FIFO, a device,
    # a socket, a folder that cannot be listed), relative, with what each is.
    foreign: dict[str, str] = field(default_factory=dict)

    def foreign_above(self, name: str) -> tuple[str, str] | None:
        """The foreign entry on `name`'s path (a linked folder it would be under)."""
        parts = name.split("/")
        for n in range(1, len(parts)):
            above = "/".join(parts[:n])
            if above in self.foreign:
                return above, self.foreign[above]
        return None


def _is_link(info: os.stat_result) -> bool:
    return stat.S_ISLNK(info.st_mode) or bool(
        getattr(info, "st_file_attributes", 0) & REPARSE_POINT
    )


def what_is(path: Path) -> str | None:
    """None when `path` is a real folder; else what it is (a link, a file, a FIFO...)."""
    info = os.lstat(path)
    if _is_link(info):
        return kind_of(stat.S_IFLNK)
    return None if stat.S_ISDIR(info.st_mode) else kind_of(info.st_mode)


def first_not_a_folder(root: Path, folder: Path) -> tuple[str, str] | None:
    """The first step from `root` (the administrator's Archive) down to `folder`, itself
    included, that is not a real folder: (its path relative to root, what it is)."""
    path = root
    for part in folder.relative_to(root).parts:
        path = path / part
        try:
            what = what_is(path)
        except FileNotFoundError:
            return None  # gone: the caller finds it missing
        if what is not None:
            return path.relative_to(root).as_posix(), what
    return None


def list_folder(folder: Path) -> Listing:
    """Every regular file under `folder`, and every entry that is something else, found
    without following a link (a linked folder is listed, never entered). Iterative: a
    folder nested ten thousand deep costs no recursion."""
    out = Listing()
    pending = [""]
    while pending:
        relative = pending.pop()
        try:
            with os.scandir(folder / relative if relative else folder) as entries:
                found = list(entries)
        except FileNotFoundError:
            continue  # removed while we looked
        except OSError as exc:
            if not relative:
                raise
            out.foreign[relative] = _("a folder that cannot be read ({why})").format(
                why=exc.strerror
            )
            continue
        for entry in found:
            name = f"{relative}/{entry.name}" if relative else entry.name
            try:
                if os.name == "nt" and _is_link(entry.stat(follow_symlinks=False)):
                    out.foreign[name] = kind_of(stat.S_IFLNK)
                elif entry.is_dir(follow_symlinks=False):
                    pending.append(name)
                    out.folders.append(name)
                elif entry.is_file(follow_symlinks=False):
                    out.files.append(name)
                else:
                    out.foreign[name] = kind_of(entry.stat(follow_symlinks=False).st_mode)
            except FileNotFoundError:
                continue
    out.files.sort()
    return out


def set_modes(folder: Path, file_mode: int, folder_mode: int) -> None:
    """chmod every regular file and real folder under `folder` (itself included), never
    through a link: a link, a FIFO or a device is left as it is (Linux has no lchmod, and
    chmod on a link changes its target). Each file is opened with O_NOFOLLOW and changed
    through its handle (fchmod), so one swapped for a link meanwhile is not changed."""
    if not hasattr(os, "fwalk"):  # Windows: no dir_fd; the links are skipped by lstat
        _set_modes_by_path(folder, file_mode, folder_mode)
        return
    for _top, _folders, files, dir_fd in os.fwalk(folder, follow_symlinks=False):
        os.fchmod(dir_fd, folder_mode)  # fwalk enters no linked folder: dir_fd is a real one
        for name in files:
            _fchmod_file(dir_fd, name, file_mode)


def _fchmod_file(dir_fd: int, name: str, mode: int) -> None:
    try:
        if not stat.S_ISREG(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode):
            return  # never opened: opening a device can do things
        fd = os.open(name, os.O_RDONLY | _NOFOLLOW | _NONBLOCK, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ELOOP):
            return  # gone, or swapped for a link since the stat
        raise
    try:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            os.fchmod(fd, mode)
    finally:
        os.close(fd)


def _set_modes_by_path(folder: Path, file_mode: int, folder_mode: int) -> None:
    if what_is(folder) is not None:
        return
    listing = list_folder(folder)
    for name in listing.files:
        path = folder / name
        if stat.S_ISREG(os.lstat(path).st_mode):
            path.chmod(file_mode)
    for name in ["", *listing.folders]:
        path = folder / name if name else folder
        if what_is(path) is None:
            path.chmod(folder_mode)
