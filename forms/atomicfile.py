"""Atomic file writes: a reader sees the old file or the whole new one, never half of one."""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

#: The temp file of a write killed before its rename: `.<name>.<12 hex digits>.part`.
LEFTOVER = re.compile(r"^\.(?P<name>.+)\.[0-9a-f]{12}\.part$")


def leftover_of(name: str) -> str | None:
    """The file whose killed write left the temp file `name`, if it is one."""
    match = LEFTOVER.match(name)
    return match["name"] if match else None


def temp_name(name: str) -> str:
    """The temp file a write of `name` goes through: `.<name>.<12 hex digits>.part`, the
    name cut (by bytes, no character split) so that the whole fits one name (255 bytes)
    when `name` itself nearly does."""
    room = 255 - len(".") - len(".000000000000.part")
    raw = name.encode("utf-8", "surrogateescape")
    cut = name if len(raw) <= room else raw[:room].decode("utf-8", "ignore")
    return f".{cut}.{secrets.token_hex(6)}.part"


def remove_leftovers(place: Path, names: set[str] | None = None) -> None:
    """Remove the temp files in `place` of writes a stop cut short (those of `names` only,
    when given); a link is never followed, and a folder that cannot be listed is left."""
    try:
        entries = list(os.scandir(place))
    except OSError:
        return
    for entry in entries:
        made_for = leftover_of(entry.name)
        ours = made_for is not None and (names is None or made_for in names)
        if ours and entry.is_file(follow_symlinks=False):
            with contextlib.suppress(OSError):
                Path(entry.path).unlink()


@contextlib.contextmanager
def atomic_writer(
    path: Path, durable: bool = True, staging: Path | None = None
) -> Iterator[IO[bytes]]:
    """Write to a temp file in the target's folder, fsync, then rename over the target.
    `durable=False` skips the fsyncs: for files made again from others when lost (pages).
    `staging`: a folder on the same file system for the temp file, so that what a killed
    write leaves is looked for in a small folder, not in one of 100,000 pages."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = (staging or path.parent) / temp_name(path.name)
    if staging is not None:
        staging.mkdir(parents=True, exist_ok=True)
    # Created like any other file (0666 less the umask): mkstemp's 0600 would hide the
    # file from the other people on a shared folder.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if durable:
        fsync_dir(path.parent)


def atomic_write_bytes(
    path: Path, data: bytes, durable: bool = True, staging: Path | None = None
) -> None:
    with atomic_writer(path, durable, staging) as fh:
        fh.write(data)


def fsync_dir(folder: Path) -> None:
    # The rename is durable only once the folder entry is on disk (POSIX; a no-op elsewhere).
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


#: Files closedloop writes for itself and reads back (records of what it did, the pages'
#: data): larger than this, it did not write them.
SMALL = 4 << 20


def read_json(path: Path, limit: int = SMALL) -> Any:
    """The JSON of a small regular file closedloop wrote, read without following a link
    and without waiting on a pipe. OSError for anything else (a link, a FIFO, a device, a
    folder, a file larger than `limit`); ValueError for what is not JSON, or JSON nested
    deeper than Python's stack (json.loads would raise RecursionError)."""
    return loads(read_small(path, limit))


def read_small(path: Path, limit: int = SMALL) -> str:
    """The text of a small regular file closedloop wrote (see read_json)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            raise OSError(f"{path}: not a small regular file")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(limit + 1)
    finally:
        os.close(fd)
    return data.decode("utf-8")


def loads(text: str) -> Any:
    """json.loads, with JSON nested too deep for Python's stack refused as ValueError."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deep") from None
