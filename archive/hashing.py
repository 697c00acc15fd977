"""SHA-256 of a file, read once in 1 MB chunks (archives hold photos and videos)."""

from __future__ import annotations

import hashlib
from pathlib import Path

CHUNK = 1 << 20


def file_sha256(path: Path) -> tuple[str, int]:
    """The file's SHA-256 (hex) and its length in bytes."""
    digest = hashlib.sha256()
    length = 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            length += len(chunk)
    return digest.hexdigest(), length
