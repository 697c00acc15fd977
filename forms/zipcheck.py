"""The zip under an Office file, checked on its central directory and local headers
before any part is inflated: how many members, how large they claim to be and how far
they shrink (zip bombs), how they are packed, and that each member's bytes are its own
(no two share bytes, none hides under another name)."""

from __future__ import annotations

import collections
import io
import itertools
import struct
import zipfile
from pathlib import Path

from forms.errors import RefusedFile, shown
from forms.package import MAX_RATIO, RATIO_FLOOR_BYTES, first_line, refused_part
from language import _

# What the zip's directory may claim: a part (a photo pasted into a form is never inflated)
# and all parts together.
MAX_PART_BYTES = 64 * 1024 * 1024
MAX_PACKAGE_BYTES = 256 * 1024 * 1024
MAX_ENTRIES = 5000

_CENTRAL_HEADER = b"PK\x01\x02"
_LOCAL_HEADER = b"PK\x03\x04"
_NAME_EXTRA = struct.Struct("<HH")  # a local header's name and extra-field lengths, at 26
_END_RECORD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_CD_SIZE = struct.Struct("<I")  # the central directory's size, at 12 in the end record


def open_zip(path: Path, data: bytes) -> tuple[zipfile.ZipFile, list[zipfile.ZipInfo]]:
    """The zip of `data` and its members, or RefusedFile when it is no complete zip or
    has far more members than a form."""
    # zipfile makes an object per central-directory entry before anything can be checked:
    # a million entries cost it seconds and 600 MB. Every entry starts with a signature,
    # so counting those (in C) bounds the entries first, unless the directory is too small
    # to hold too many.
    if not _directory_is_small(data):
        entries = data.count(_CENTRAL_HEADER)
        if entries > MAX_ENTRIES:
            raise RefusedFile(
                path,
                "unsafe",
                _("it holds {count} parts or more, far more than a form has.").format(
                    count=entries
                ),
            )
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        OSError,
        ValueError,
        NotImplementedError,  # a zip "version" beyond zipfile's, from a damaged header
    ) as exc:
        raise RefusedFile(
            path,
            "corrupt",
            _("it is not a complete file ({error}); was it saved or copied to the end?").format(
                error=first_line(exc)
            ),
        ) from None
    return zf, infos


def check_members(path: Path, data: bytes, infos: list[zipfile.ZipInfo]) -> dict[str, int]:
    """Refuse a zip whose members a form would never have; where each member's stored
    bytes start."""
    if not infos:
        raise RefusedFile(path, "corrupt", _("it is an empty archive."))
    if len(infos) > MAX_ENTRIES:
        raise RefusedFile(
            path,
            "unsafe",
            _("it holds {count} parts, far more than a form has.").format(count=len(infos)),
        )
    total = 0
    for info in infos:
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise refused_part(
                path,
                "corrupt",
                info,
                _("part {part} is packed in a way Word and Excel never use (method {method})."),
                method=info.compress_type,
            )
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > MAX_PART_BYTES or (
            info.file_size > RATIO_FLOOR_BYTES and ratio > MAX_RATIO
        ):
            raise refused_part(
                path,
                "unsafe",
                info,
                _("part {part} expands to {mb} MB (a zip bomb)."),
                mb=info.file_size // 2**20,
            )
    if total > MAX_PACKAGE_BYTES:
        raise RefusedFile(
            path, "unsafe", _("it expands to {mb} MB (a zip bomb).").format(mb=total // 2**20)
        )
    starts = _member_starts(path, data, infos)  # entries sharing bytes: unsafe, first
    dupes = [n for n, c in collections.Counter(i.filename for i in infos).items() if c > 1]
    if dupes:
        raise RefusedFile(
            path,
            "corrupt",
            _("it holds two different parts named {part}.").format(part=shown(dupes[0])),
        )
    return starts


def _directory_is_small(data: bytes) -> bool:
    """Whether the central directory zipfile will read is too small for MAX_ENTRIES.

    zipfile reads the directory's size from the end record, which it first looks for in
    the last 22 bytes (no comment, no Zip64 locator before it): in that case, which is
    every office suite's, that size bounds the entries (46 bytes each at least).
    """
    end = len(data) - 22
    return (
        end >= 20
        and data.startswith(_END_RECORD, end)
        and data.endswith(b"\0\0")
        and not data.startswith(_ZIP64_LOCATOR, end - 20)
        and _CD_SIZE.unpack_from(data, end + 12)[0] < 46 * MAX_ENTRIES
    )


def _member_starts(path: Path, data: bytes, infos: list[zipfile.ZipInfo]) -> dict[str, int]:
    """Where each member's stored bytes start, from its local header; refused when a local
    header is missing, names another part, or two members share bytes (the overlapping
    entries of a "better zip bomb" make one small member count as thousands)."""
    starts: dict[str, int] = {}
    spans: list[tuple[int, int, str]] = []
    size, lengths = len(data), _NAME_EXTRA.unpack_from  # (hot loop: names bound to locals)
    for info in infos:
        offset = info.header_offset
        # A directory may claim a negative offset (zipfile subtracts what it thinks is a
        # prefix): startswith would then look from the end of the file.
        if offset < 0 or offset + 30 > size or not data.startswith(_LOCAL_HEADER, offset):
            raise refused_part(
                path, "corrupt", info, _("part {part} is damaged (its header is missing).")
            )
        if info.flag_bits & 0x1:
            raise refused_part(
                path, "corrupt", info, _("part {part} is damaged (it is zip-encrypted).")
            )
        name_len, extra_len = lengths(data, offset + 26)
        # the name as stored: zipfile decodes it by the UTF-8 flag (ASCII either way; the
        # cp437 codec costs ten times more)
        text = info.orig_filename
        name = text.encode("utf-8" if text.isascii() or info.flag_bits & 0x800 else "cp437")
        if name_len != len(name) or not data.startswith(name, offset + 30):
            local = data[offset + 30 : offset + 30 + name_len].decode("utf-8", "replace")
            raise refused_part(
                path,
                "unsafe",
                info,
                _("part {part} carries another name in its own header ({name})."),
                name=shown(local),
            )
        start = offset + 30 + name_len + extra_len
        end = start + info.compress_size
        if end > size:
            raise refused_part(
                path, "corrupt", info, _("part {part} runs past the end of the file.")
            )
        starts[info.filename] = start
        spans.append((offset, end, info.filename))
    spans.sort()
    for (_start, end, first), (offset, _end, second) in itertools.pairwise(spans):
        if offset < end:
            raise RefusedFile(
                path,
                "unsafe",
                _(
                    "parts {first} and {second} share the same bytes in the file (a zip bomb)."
                ).format(first=shown(first), second=shown(second)),
            )
    return starts
