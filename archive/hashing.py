"""SHA-256 of a file, read once in 1 MB chunks (archives hold photos and videos).

The file is opened without following a link and without waiting on a FIFO: a file of the
Archive replaced by a link to one elsewhere, a FIFO or a device is never read (raises
NotARegularFile), so no foreign bytes are hashed, sealed or vouched for."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from pathlib import Path

from archive.nofollow import NotARegularFile, kind_of

CHUNK = 1 << 20
_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_BINARY", 0)
)


def file_sha256(path: Path) -> tuple[str, int]:
    """The file's SHA-256 (hex) and its length in bytes. Raises NotARegularFile when
    `path` is a link, a FIFO, a device or anything but a regular file."""
    if os.name == "nt" and path.is_symlink():  # no O_NOFOLLOW there
        raise NotARegularFile(path, kind_of(stat.S_IFLNK))
    try:
        fd = os.open(path, _FLAGS)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise NotARegularFile(path, kind_of(stat.S_IFLNK)) from None
        raise
    digest = hashlib.sha256()
    length = 0
    with os.fdopen(fd, "rb") as fh:
        mode = os.fstat(fh.fileno()).st_mode
        if not stat.S_ISREG(mode):
            raise NotARegularFile(path, kind_of(mode))
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            length += len(chunk)
    return digest.hexdigest(), length
