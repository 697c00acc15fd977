"""Rewrite a zip package part by part, to make our own forms in the odd shapes real files take."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
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


# Zips written byte by byte, so that a test can make every lie a hostile file tells: sizes
# the directory misstates, names the local header disagrees with, entries sharing bytes.

LOCAL = b"PK\x03\x04"
CENTRAL = b"PK\x01\x02"
END = b"PK\x05\x06"


@dataclass
class Member:
    """One zip entry as stored: `data` is what the file holds (deflated when method 8)."""

    name: str
    data: bytes
    method: int = zipfile.ZIP_DEFLATED
    size: int = 0  # the uncompressed size the headers claim
    crc: int = 0
    local_name: str | None = None  # the name in the local header, when it differs
    offset: int | None = None  # the local header the directory points at, when not its own

    @classmethod
    def of(cls, name: str, content: bytes, method: int = zipfile.ZIP_DEFLATED) -> Member:
        data = deflate(content) if method == zipfile.ZIP_DEFLATED else content
        return cls(name, data, method, len(content), zlib.crc32(content))


def deflate(content: bytes) -> bytes:
    """Raw deflate, as a zip member holds it."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(content) + packer.flush()


def members_of(source: Path | bytes) -> list[Member]:
    """The entries of a real zip (a file, or its bytes), re-deflated, in order."""
    with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) as zf:
        return [Member.of(i.filename, zf.read(i)) for i in zf.infolist()]


def _local_header(m: Member, name: bytes) -> bytes:
    return (
        struct.pack(
            "<4sHHHHHIIIHH",
            LOCAL,
            20,
            0x800,
            m.method,
            0,
            0x21,
            m.crc,
            len(m.data),
            m.size,
            len(name),
            0,
        )
        + name
    )


def _central_header(m: Member, offset: int) -> bytes:
    name = m.name.encode()
    return (
        struct.pack(
            "<4sHHHHHHIIIHHHHHII",
            CENTRAL,
            20,
            20,
            0x800,
            m.method,
            0,
            0x21,
            m.crc,
            len(m.data),
            m.size,
            len(name),
            0,
            0,
            0,
            0,
            0,
            offset,
        )
        + name
    )


def build(members: list[Member]) -> bytes:
    """A zip of members: local headers and data in order, then the central directory."""
    body = bytearray()
    offsets: list[int] = []
    for m in members:
        offsets.append(len(body))
        body += _local_header(m, (m.local_name or m.name).encode()) + m.data
    directory = b"".join(
        _central_header(m, own if m.offset is None else m.offset)
        for m, own in zip(members, offsets, strict=True)
    )
    count = len(members) & 0xFFFF
    end = struct.pack("<4sHHHHIIH", END, 0, 0, count, count, len(directory), len(body), 0)
    return bytes(body) + directory + end


def overlapping_bomb(names: list[str], kernel: bytes) -> bytes:
    """David Fifield's "better zip bomb": one deflated kernel shared by every entry.

    Each entry's data starts with a stored deflate block quoting the next entry's local
    header, so entry i inflates to every later header plus the kernel: n entries of one
    kernel's bytes, the kernel stored once.
    """
    packed = deflate(kernel)
    headers: list[bytes] = []
    tails: list[bytes] = [b""] * len(names)
    contents: list[bytes] = [b""] * len(names)
    # Work back from the last entry, whose data is the kernel alone.
    after, inflated = packed, kernel
    for i in reversed(range(len(names))):
        m = Member(names[i], after, zipfile.ZIP_DEFLATED, len(inflated), zlib.crc32(inflated))
        header = _local_header(m, names[i].encode())
        headers.insert(0, header)
        contents[i] = inflated
        tails[i] = after
        quote = struct.pack("<BHH", 0, len(header), len(header) ^ 0xFFFF)
        after, inflated = quote + header + after, header + inflated
    body = headers[0] + tails[0]
    directory = b""
    for i, name in enumerate(names):
        offset = len(body) - len(tails[i]) - len(headers[i])
        m = Member(name, tails[i], zipfile.ZIP_DEFLATED, len(contents[i]), zlib.crc32(contents[i]))
        directory += _central_header(m, offset)
    count = len(names)
    end = struct.pack("<4sHHHHIIH", END, 0, 0, count, count, len(directory), len(body), 0)
    return body + directory + end
