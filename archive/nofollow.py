"""Touching files others can write without ever following a link.

The Inbox is written by many hands. A folder or file in it may be swapped for a link to
somewhere outside the shared folder at any moment, so everything closedloop does there
(look, read, hash, move, remove) goes through a chain of folder handles opened one name
at a time with O_NOFOLLOW, and acts relative to the last of them (`dir_fd`). A link, a
FIFO, a device or a socket is never opened, read through or removed through: it is seen
for what it is (an Entry of another kind) and left to the caller to explain.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from forms.atomicfile import atomic_writer, temp_name
from language import _

# O_NOFOLLOW and O_DIRECTORY are POSIX; on Windows (a scheduled one-shot ingest) links are
# rare and need privileges to make, so the flags fall back to nothing there.
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # opening a FIFO must never wait for a writer
_BINARY = getattr(os, "O_BINARY", 0)
_CHUNK = 1024 * 1024


class NotARegularFile(OSError):
    """The entry is a link, a folder, a FIFO, a device or a socket: not opened."""

    def __init__(self, path: Path, what: str) -> None:
        self.path = path
        self.what = what
        super().__init__(errno.EINVAL, f"{path.name} is {what}")


class TooLarge(OSError):
    """The file holds more bytes than the caller will read."""

    def __init__(self, path: Path, size: int, limit: int) -> None:
        self.path, self.size, self.limit = path, size, limit
        super().__init__(errno.EFBIG, f"{path.name} holds {size} bytes, more than {limit}")


def kind_of(mode: int) -> str:
    """What a person should be told an entry is, in the language in use."""
    if stat.S_ISLNK(mode):
        return _("a link (shortcut) to somewhere else")
    if stat.S_ISDIR(mode):
        return _("a folder")
    if stat.S_ISFIFO(mode):
        return _("a named pipe (FIFO), not a file")
    if stat.S_ISSOCK(mode):
        return _("a socket, not a file")
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return _("a device, not a file")
    if stat.S_ISREG(mode):
        return _("a file")
    return _("not a file")


# Windows has no dir_fd: there each folder on the way is checked with lstat (a link or a
# junction is a reparse point) and the path itself is used. A race between the check and
# the use remains there; links on Windows need privileges to make.
_AT = all(f in os.supports_dir_fd for f in (os.open, os.stat, os.unlink, os.rename))
REPARSE_POINT = 0x400  # FILE_ATTRIBUTE_REPARSE_POINT

#: A folder reached without links: its handle (POSIX), or its checked path (Windows).
Place = int | Path


@contextlib.contextmanager
def folder_fd(root: Path, relative: Path, make: bool = False) -> Iterator[Place]:
    """A handle on root/relative, opened one name at a time without following a link.
    Raises NotARegularFile (what="a link ...") when any step is not a real folder, and
    OSError (ENOENT ...) when one is missing; with `make`, a missing one is made, as a real
    folder, and opened the same way. `root` itself is the administrator's.

    Whatever is done through the handle happens in the folder it was opened on: a folder
    on the way swapped for a link after it was opened is not gone through."""
    for part in relative.parts:
        if part in ("", ".", "..") or "/" in part or "\\" in part:
            raise NotARegularFile(root / relative, _("a path that leaves its folder"))
    if not _AT:
        if make:
            _make_path(root, relative)
        yield _checked_path(root, relative)
        return
    fd = os.open(root, os.O_RDONLY | _DIRECTORY)
    try:
        for part in relative.parts:
            child = _open_folder(root / relative, fd, part, make)
            os.close(fd)
            fd = child
        yield fd
    finally:
        os.close(fd)


def _open_folder(whole: Path, fd: int, part: str, make: bool) -> int:
    flags = os.O_RDONLY | _DIRECTORY | _NOFOLLOW
    try:
        try:
            return os.open(part, flags, dir_fd=fd)
        except FileNotFoundError:
            if not make:
                raise
            with contextlib.suppress(FileExistsError):  # made meanwhile: opened as found
                os.mkdir(part, dir_fd=fd)
            return os.open(part, flags, dir_fd=fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            info = os.stat(part, dir_fd=fd, follow_symlinks=False)
            raise NotARegularFile(whole, kind_of(info.st_mode)) from None
        raise


def _make_path(root: Path, relative: Path) -> None:
    """Windows: each missing folder on the way made, none made through a link."""
    path = root
    for part in relative.parts:
        path = path / part
        if not os.path.lexists(path):
            with contextlib.suppress(FileExistsError):
                path.mkdir()
        _checked_path(root, path.relative_to(root))


def write_at(
    place: Place, name: str, source: IO[bytes], durable: bool = True, mode: int = 0o666
) -> None:
    """`name` in the folder `place`, written whole from `source` and then renamed into
    place (a reader sees all of it or none), never through a link. `durable=False` skips
    the flush: for a file made again from others when lost (a page). `mode`: as created
    (less the umask)."""
    if isinstance(place, Path):
        with atomic_writer(place / name, durable) as dst:
            shutil.copyfileobj(source, dst)
        return
    tmp = temp_name(name)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, mode, dir_fd=place)
    try:
        with os.fdopen(fd, "wb") as dst:
            shutil.copyfileobj(source, dst)
            dst.flush()
            if durable:
                os.fsync(dst.fileno())
        os.rename(tmp, name, src_dir_fd=place, dst_dir_fd=place)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=place)
        raise


def _checked_path(root: Path, relative: Path) -> Path:
    path = root
    for part in relative.parts:
        path = path / part
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode) or getattr(info, "st_file_attributes", 0) & REPARSE_POINT:
            raise NotARegularFile(root / relative, kind_of(stat.S_IFLNK))
        if not stat.S_ISDIR(info.st_mode):
            raise NotARegularFile(root / relative, kind_of(info.st_mode))
    return path


def _stat(place: Place, name: str) -> os.stat_result:
    if isinstance(place, Path):
        return os.lstat(place / name)
    return os.stat(name, dir_fd=place, follow_symlinks=False)


def _open(place: Place, name: str) -> int:
    """A file of the folder opened for reading, never through a link (ELOOP)."""
    flags = os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _BINARY
    if isinstance(place, Path):
        if stat.S_ISLNK(os.lstat(place / name).st_mode):
            raise OSError(errno.ELOOP, "a link", str(place / name))
        return os.open(place / name, flags)
    return os.open(name, flags, dir_fd=place)


def _unlink(place: Place, name: str) -> None:
    if isinstance(place, Path):
        (place / name).unlink()
    else:
        os.unlink(name, dir_fd=place)


def _rename(place: Place, name: str, into: Place, as_name: str) -> None:
    try:
        if isinstance(place, Path) or isinstance(into, Path):
            _path(place, name).rename(_path(into, as_name))
        else:
            os.rename(name, as_name, src_dir_fd=place, dst_dir_fd=into)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        # Quarantine on another file system than the Inbox: copy atomically, then remove.
        with os.fdopen(_open(place, name), "rb") as src:
            write_at(into, as_name, src)
        _unlink(place, name)


def move_regular(place: Place, name: str, into: Place, as_name: str) -> bool:
    """Move the regular file `name` of the folder `place` into the folder `into` as
    `as_name` (both handles reached without links); False for anything but a regular
    file (a link put in its place stays where it is)."""
    try:
        if not stat.S_ISREG(_stat(place, name).st_mode):
            return False
    except FileNotFoundError:
        return False
    _rename(place, name, into, as_name)
    return True


def _path(place: Place, name: str) -> Path:
    assert isinstance(place, Path), "a handle and a path are never mixed"
    return place / name


def move_ours(source: Path, into: Place, as_name: str) -> bool:
    """Move a file closedloop staged (under .closedloop/staging) into the folder `into`."""
    try:
        if isinstance(into, Path):
            source.replace(into / as_name)
        else:
            os.rename(source, as_name, dst_dir_fd=into)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        # The Archive or an Outbox on another file system: copy atomically, then remove.
        with source.open("rb") as src:
            write_at(into, as_name, src)
        source.unlink()
    return True


def lstat_at(root: Path, relative: Path) -> os.stat_result:
    """The entry's own status (a link's, not its target's)."""
    with folder_fd(root, relative.parent) as place:
        return _stat(place, relative.name)


@dataclass(frozen=True)
class Read:
    data: bytes
    sha256: str


@contextlib.contextmanager
def _opened_regular(root: Path, relative: Path, limit: int | None) -> Iterator[IO[bytes]]:
    """root/relative opened for reading: a regular file reached without any link, not
    larger than `limit` by its size (its bytes are not read to find out it is big)."""
    with folder_fd(root, relative.parent) as place:
        try:
            fd = _open(place, relative.name)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise NotARegularFile(root / relative, kind_of(stat.S_IFLNK)) from None
            raise
        with os.fdopen(fd, "rb") as fh:
            info = os.fstat(fh.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise NotARegularFile(root / relative, kind_of(info.st_mode))
            if limit is not None and info.st_size > limit:
                raise TooLarge(root / relative, info.st_size, limit)
            yield fh


def read_regular(root: Path, relative: Path, limit: int) -> Read:
    """The bytes of the regular file root/relative, read without following any link, and
    at most `limit` of them (a sparse multi-GB file is not read to find out it is big)."""
    with _opened_regular(root, relative, limit) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:  # grew while we read
        raise TooLarge(root / relative, len(data), limit)
    return Read(data, hashlib.sha256(data).hexdigest())


def hash_regular(root: Path, relative: Path, limit: int | None = None) -> tuple[str, int]:
    """SHA-256 and size of a regular file, streamed (evidence may be a video), without
    following a link. Raises TooLarge past `limit` bytes."""
    digest = hashlib.sha256()
    size = 0
    for chunk in stream_regular(root, relative, limit):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def stream_regular(root: Path, relative: Path, limit: int | None = None) -> Iterator[bytes]:
    """The file's bytes in chunks, opened without following a link."""
    with _opened_regular(root, relative, limit) as fh:
        size = 0
        while chunk := fh.read(_CHUNK):
            size += len(chunk)
            if limit is not None and size > limit:
                raise TooLarge(root / relative, size, limit)
            yield chunk


def unlink_regular(root: Path, relative: Path, sha256: str) -> bool:
    """Remove root/relative if it is still a regular file holding bytes hashing to
    sha256; never through a link. Returns whether it was removed."""
    try:
        with folder_fd(root, relative.parent) as place:
            if _sha256_at(place, relative.name) != sha256:
                return False
            _unlink(place, relative.name)
            return True
    except (NotARegularFile, FileNotFoundError, NotADirectoryError):
        return False


def rename_regular(root: Path, source: Path, into: Place, as_name: str, sha256: str) -> bool:
    """Move root/source into the folder `into` (a handle reached without links) as
    `as_name`, if it is still a regular file holding bytes hashing to sha256; the source
    is reached by a link-free folder handle too, so no folder swapped for a link is ever
    gone through on either side."""
    try:
        with folder_fd(root, source.parent) as place:
            if _sha256_at(place, source.name) != sha256:
                return False
            _rename(place, source.name, into, as_name)
            return True
    except (NotARegularFile, FileNotFoundError, NotADirectoryError):
        return False


def rename_entry(
    root: Path, source: Path, into: Place, as_name: str, identity: tuple[int, int]
) -> bool:
    """Move the entry root/source (a link, FIFO, device: anything) itself into the folder
    `into` as `as_name`, if it is still the entry (device, inode) seen. rename() moves a
    link, not what it names."""
    try:
        with folder_fd(root, source.parent) as place:
            info = _stat(place, source.name)
            if (info.st_dev, info.st_ino) != identity:
                return False
            _rename(place, source.name, into, as_name)
            return True
    except (NotARegularFile, FileNotFoundError, NotADirectoryError):
        return False


def _sha256_at(place: Place, name: str) -> str | None:
    try:
        fd = _open(place, name)
    except OSError:  # gone, a link (ELOOP), unreadable: not the bytes a plan was made for
        return None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            return None
        digest = hashlib.sha256()
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
        return digest.hexdigest()


def utf8_name(path: Path | str) -> str:
    """A name as a person may be shown it: bytes that are not UTF-8 as \\xNN escapes."""
    text = os.fspath(path)
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
