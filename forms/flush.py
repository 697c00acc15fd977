"""Many files and folders made durable at once, for the cost of one flush where the file
system allows it.

A filing writes six files and touches four folders; fsynced one after another that is ten
flushes of the disk, each waiting for the one before (4 ms each on a slow disk). Here the
paths are grouped by file system, and each group is flushed together:

- on a local file system (ext4, XFS, btrfs, ...): one `syncfs(2)`, which writes back every
  dirty file of that file system and commits its journal once. It also writes back what
  others wrote there meanwhile: on the folder's own disk, that is the staff's saved files;
- elsewhere (an SMB or NFS share, where syncfs does not ask the server to flush, or a
  system without syncfs): every path fsynced at once, each on a thread of a small pool,
  so that the file system can put them in one flush rather than queue them.

A path that is gone is skipped (an emptied folder, a file moved on by an earlier run).
"""

from __future__ import annotations

import concurrent.futures
import ctypes
import ctypes.util
import functools
import os
import stat
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import cast

# File systems whose writes the local kernel can flush by itself (syncfs commits them).
LOCAL_FILESYSTEMS = frozenset(
    {"ext2", "ext3", "ext4", "xfs", "btrfs", "f2fs", "jfs", "reiserfs", "zfs", "tmpfs", "overlay"}
)
# Enough threads that a batch's files are all in flight at once.
_THREADS = 16


def filesystem_of(path: Path, mounts: Path = Path("/proc/mounts")) -> str | None:
    """The type of the file system `path` is on (Linux), or None if it cannot be told."""
    try:
        lines = mounts.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    target = str(path.resolve())
    best, kind = "", None
    for line in lines:
        parts = line.split()
        if len(parts) < 3:
            continue
        mount = parts[1].replace("\\040", " ")
        inside = target == mount or target.startswith(mount.rstrip("/") + "/")
        if inside and len(mount) >= len(best):
            best, kind = mount, parts[2]
    return kind


@functools.cache
def _syncfs() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name, use_errno=True)
        call = libc.syncfs
    except (OSError, AttributeError, TypeError):
        return None
    call.argtypes = [ctypes.c_int]
    call.restype = ctypes.c_int
    return cast(Callable[[int], int], call)


_LOCAL: dict[int, bool] = {}


def _local(device: int, sample: Path) -> bool:
    """Whether the file system (by its device number) is one syncfs flushes. Asked once
    per device: a mount does not change type under a running service."""
    local = _LOCAL.get(device)
    if local is None:
        local = _LOCAL[device] = filesystem_of(sample) in LOCAL_FILESYSTEMS
    return local


@functools.cache
def _pool() -> concurrent.futures.ThreadPoolExecutor:
    return concurrent.futures.ThreadPoolExecutor(_THREADS, thread_name_prefix="closedloop-fsync")


# A forked child (the isolated reader, a test's killed run) has none of the parent's
# threads: it makes a pool of its own.
os.register_at_fork(after_in_child=_pool.cache_clear)


def flush_together(paths: Iterable[Path]) -> None:
    """Make every path in `paths` (files and folders) durable: what was written to the
    files, and the names made, moved or removed in the folders. Raises OSError when a
    flush fails (the disk refused: the caller must not count the writes as done)."""
    by_device: dict[int, list[Path]] = {}
    for path in dict.fromkeys(paths):
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            continue
        if stat.S_ISLNK(info.st_mode):  # not ours to open: never through a link
            continue
        by_device.setdefault(info.st_dev, []).append(path)
    syncfs = _syncfs()
    singles: list[Path] = []
    for device, group in by_device.items():
        if syncfs is not None and _local(device, group[0]):
            _flush_device(syncfs, group[0])
        else:
            singles += group
    if len(singles) == 1:
        _fsync(singles[0])
    elif singles:
        for done in [_pool().submit(_fsync, p) for p in singles]:
            done.result()


def _flush_device(syncfs: Callable[[int], int], path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | (os.O_DIRECTORY if path.is_dir() else 0))
    try:
        if syncfs(fd) != 0:
            error = ctypes.get_errno()
            raise OSError(error, os.strerror(error), str(path))
    finally:
        os.close(fd)


def _fsync(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return
    try:
        os.fsync(fd)
    except OSError:
        # A folder on some file systems cannot be fsynced (EINVAL): its entries are as
        # durable as that system makes them. A file that cannot be is a failure.
        if not path.is_dir():
            raise
    finally:
        os.close(fd)
