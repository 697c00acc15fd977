"""A case's folder under Archive/: named from its case number and customer, holding the
filed originals, numbered in filing order and never modified after filing."""

from __future__ import annotations

import functools
import re
from pathlib import Path

from pathvalidate import sanitize_filename

# Windows paths are limited to 260 characters; keep folder and file names short.
MAX_CUSTOMER_CHARS = 40
# A sealed quarter: Archive/2026Q4 Customer Complaint Closed-Loop/<case folders>
QUARTER_SUFFIX = " Customer Complaint Closed-Loop"


@functools.lru_cache(maxsize=8192)  # pathvalidate takes ~0.2 ms a name; names repeat
def safe_name(text: str, max_len: int = 120) -> str:
    """A file or folder name from user data: no separators, reserved names, control or
    invalid characters, no leading/trailing dots or spaces, bounded length."""
    cleaned = sanitize_filename(" ".join(text.split()), platform="windows", max_len=max_len)
    cleaned = cleaned.strip(" .")
    return cleaned if cleaned not in ("", ".", "..") else "_"


def case_folder(archive: Path, case_id: str, customer: str | None, new: bool = False) -> Path:
    """The case's folder: the existing one (its customer may have been corrected since, or
    its quarter closed), or a new name `CC-2026-0001 ACME Windows` (at once for a case just
    opened: `new`)."""
    label = safe_name(customer or "", MAX_CUSTOMER_CHARS) if customer else ""
    name = safe_name(f"{case_id} {label}".strip()) if label not in ("", "_") else case_id
    if new or (archive / name).is_dir():  # the usual cases, without listing a large Archive
        return archive / name
    if archive.is_dir():  # renamed since (customer corrected), or sealed in its quarter
        for pattern in (f"{case_id}*", f"*{QUARTER_SUFFIX}/{case_id}*"):
            for existing in archive.glob(pattern):
                if existing.is_dir() and re.match(rf"^{re.escape(case_id)}(\s|$)", existing.name):
                    return existing
    return archive / name


def free_name(target: Path) -> Path:
    """`target`, or the first of `name (2).ext`, `name (3).ext`... that does not exist yet:
    a file of the same name is never written over."""
    candidate, n = target, 2
    while candidate.exists():
        candidate = target.with_name(f"{target.stem} ({n}){target.suffix}")
        n += 1
    return candidate


def original_path(folder: Path, stored_as: str) -> Path:
    """Where a filed original goes in its case folder ("02 capa v1.docx")."""
    return folder / safe_name(stored_as)


def evidence_path(folder: Path, name: str) -> Path:
    """A free name in the case's evidence/ folder (photo.jpg, photo (2).jpg, ...): an
    earlier piece of evidence is never written over."""
    return free_name(folder / "evidence" / safe_name(name))
