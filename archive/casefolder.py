"""A case's folder under Archive/: named from its case number and customer, holding the
filed originals, numbered in filing order and never modified after filing."""

from __future__ import annotations

import contextlib
import contextvars
import functools
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path

from pathvalidate import sanitize_filename

# Windows paths are limited to 260 characters; keep folder and file names short.
MAX_CUSTOMER_CHARS = 40
# One name, in bytes, on ext4, XFS, btrfs, ZFS and (in UTF-16 units, never more) NTFS/SMB.
MAX_NAME_BYTES = 255
_INVISIBLE = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
# A sealed quarter: Archive/2026Q4 Customer Complaint Closed-Loop/<case folders>, the words
# after the quarter as the settings had them ([folders] quarter: "2026Q4 客户投诉闭环").
# Its name starts with a year, which no case folder's name does (those start with the case
# number), so a customer named "Q Customer Complaint Closed-Loop" cannot make one; the
# words are not looked at, so quarters sealed before the language changed are still found.
QUARTER_FOLDER = re.compile(r"^(?P<quarter>\d{4}Q[1-4]) \S.*$")
_QUARTER_GLOB = "[0-9][0-9][0-9][0-9]Q[1-4] *"


def quarter_of_folder(name: str) -> str | None:
    """The quarter ("2026Q4") a sealed quarter's folder is named for; None for others."""
    match = QUARTER_FOLDER.match(name)
    return match["quarter"] if match else None


@functools.lru_cache(maxsize=8192)  # pathvalidate takes ~0.2 ms a name; names repeat
def safe_name(text: str, max_len: int = 120) -> str:
    """A file or folder name from user data: no separators, reserved names, control or
    invalid characters, no leading/trailing dots or spaces, bounded length."""
    # Controls of every kind (C1's CSI, U+009B, starts a terminal escape as ESC does),
    # invisible format characters (a right-to-left override shows "exe.docx" for
    # "xcod.exe") and lone surrogates go, before pathvalidate handles the rest.
    text = "".join(c for c in text if unicodedata.category(c) not in _INVISIBLE)
    cleaned = sanitize_filename(" ".join(text.split()), platform="windows", max_len=255)
    # Cut by bytes to max_len with the extension kept (pathvalidate cuts the end off).
    cleaned = fit_name(cleaned.strip(" ."), MAX_NAME_BYTES - max_len).strip(" ")
    return cleaned if cleaned not in ("", ".", "..") else "_"


def case_folder(archive: Path, case_id: str, customer: str | None, new: bool = False) -> Path:
    """The case's folder: the existing one (its customer may have been corrected since, or
    its quarter closed), or a new name `CC-2026-0001 ACME Windows` (at once for a case just
    opened: `new`)."""
    label = safe_name(customer or "", MAX_CUSTOMER_CHARS) if customer else ""
    name = safe_name(f"{case_id} {label}".strip()) if label not in ("", "_") else case_id
    # The usual cases, without listing a large Archive (a link is never a case folder).
    if new or ((archive / name).is_dir() and not (archive / name).is_symlink()):
        return archive / name
    if archive.is_dir():  # renamed since (customer corrected), or sealed in its quarter
        for pattern in (f"{case_id}*", f"{_QUARTER_GLOB}/{case_id}*"):
            for existing in archive.glob(pattern):
                placed = existing.parent == archive or QUARTER_FOLDER.match(existing.parent.name)
                named = re.match(rf"^{re.escape(case_id)}(\s|$)", existing.name)
                if named and placed and existing.is_dir() and not existing.is_symlink():
                    return existing
    return archive / name


def fit_name(name: str, room: int = 0) -> str:
    """`name`, cut by bytes (the extension kept, no character split) so that it and `room`
    more bytes fit one name on every file system (255 bytes). A refused file named with 80
    Chinese characters once made a note name of 270 bytes that could not be written."""
    limit = MAX_NAME_BYTES - room
    if len(name.encode("utf-8", "surrogateescape")) <= limit:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or len(ext) > 16 or not stem:
        stem, ext = name, ""
    tail = f".{ext}" if ext else ""
    budget = max(limit - len(tail.encode("utf-8", "surrogateescape")), 1)
    cut = stem.encode("utf-8", "surrogateescape")[:budget]
    text = cut.decode("utf-8", "ignore").rstrip(" .") or "_"
    return text + tail


# Names free_name gave to files a batch of filings puts in place only after its commit:
# not on disk yet, taken all the same (archive/journal.py's batch).
_CLAIMED: contextvars.ContextVar[set[Path] | None] = contextvars.ContextVar("claimed", default=None)


@contextlib.contextmanager
def claiming(taken: Iterable[Path] = ()) -> Iterator[None]:
    """Inside the block, a name free_name gives is taken until the block ends, and so are
    the names `taken` (the places the plans being carried out will move files to)."""
    token = _CLAIMED.set(set(taken))
    try:
        yield
    finally:
        _CLAIMED.reset(token)


def free_name(target: Path, room: int = 0, beside: str = "") -> Path:
    """`target`, or the first of `name (2).ext`, `name (3).ext`... that does not exist yet
    (nor is given to a file of the batch in progress): a file of the same name is never
    written over. Every candidate, with `room` bytes more, fits one name (255 bytes).
    `beside`: the suffix of a file that goes beside it (a refused file's note, its name
    plus " - what to fix.txt"), whose name must be free too; else a refused file named
    like an earlier one's note would take the note's place, or its note the file's."""
    claimed = _CLAIMED.get()
    n = 1
    while True:
        suffix = f" ({n})" if n > 1 else ""
        base = Path(fit_name(target.name, room + len(suffix)))
        candidate = target.with_name(f"{base.stem}{suffix}{base.suffix}")
        names = [candidate, candidate.with_name(candidate.name + beside)] if beside else [candidate]
        # A dangling link is taken too: never through it.
        if not any(os.path.lexists(p) or (claimed is not None and p in claimed) for p in names):
            if claimed is not None:
                claimed.update(names)
            return candidate
        n += 1


def original_path(folder: Path, stored_as: str) -> Path:
    """Where a filed original goes in its case folder ("02 capa v1.docx")."""
    return folder / safe_name(stored_as)


def evidence_path(folder: Path, name: str) -> Path:
    """A free name in the case's evidence/ folder (photo.jpg, photo (2).jpg, ...): an
    earlier piece of evidence is never written over."""
    return free_name(folder / "evidence" / safe_name(name))
