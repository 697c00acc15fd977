"""Rewrite a zip package part by part, to make our own forms in the odd shapes real files take."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

Transform = Callable[[str, bytes], tuple[str, bytes] | None]


def rewrite(src: Path, dst: Path, transform: Transform) -> Path:
    """Copy src to dst, passing each part through transform (None drops the part)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            out = transform(info.filename, zin.read(info))
            if out is not None:
                zout.writestr(out[0], out[1])
    return dst


def replace_in(part: str, old: bytes, new: bytes, count: int = -1) -> Transform:
    def t(name: str, data: bytes) -> tuple[str, bytes]:
        return (name, data.replace(old, new, count) if name == part else data)

    return t
