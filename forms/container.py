"""Opening a file from outside: recognise what it is and refuse what cannot be a form.

Every check here runs on the zip's central directory or on raw bytes, before any XML
parser sees a part: sizes and compression ratios (zip bombs), members that share bytes
or hide under another name, DTDs (entity expansion, external entities), macros,
encryption, old formats. What passes is an OfficePackage whose parts are inflated
against their real sizes, never the sizes the directory claims, within one budget for
the whole file.
"""

from __future__ import annotations

import collections
import io
import itertools
import logging
import re
import struct
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal

from lxml import etree

from forms.errors import RefusedFile, shown
from forms.ole import classify_ole
from forms.xmlparse import UnsafeXML, parse_xml, prolog_has_dtd

MAX_FILE_BYTES = 64 * 1024 * 1024
# What the zip's directory may claim: a part (a photo pasted into a form is never inflated)
# and all parts together.
MAX_PART_BYTES = 64 * 1024 * 1024
MAX_PACKAGE_BYTES = 256 * 1024 * 1024
# What is really inflated to be parsed: one part, and everything read from one file (DTD
# probes included). A form's largest part is some 100 kB (the corpus's largest XML part,
# a sheet of many merges, is 7 MB); parsing 8 MB of dense XML already takes ~250 MB.
MAX_READ_BYTES = 8 * 1024 * 1024
MAX_TOTAL_BYTES = 16 * 1024 * 1024
MAX_ENTRIES = 5000
# Relationships in one .rels part; real forms have at most 25 (a form with attachments).
MAX_RELATIONSHIPS = 1000
# A part may shrink this much in the zip only while small; real office parts stay far below.
MAX_RATIO = 100
RATIO_FLOOR_BYTES = 4 * 1024 * 1024

_CENTRAL_HEADER = b"PK\x01\x02"
_LOCAL_HEADER = b"PK\x03\x04"
_NAME_EXTRA = struct.Struct("<HH")  # a local header's name and extra-field lengths, at 26
_END_RECORD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_CD_SIZE = struct.Struct("<I")  # the central directory's size, at 12 in the end record
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
CT_DOCX = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
}
CT_XLSX = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
}
CT_XLSB = "application/vnd.ms-excel.sheet.binary.macroEnabled.main"
CT_CUSTOM_PROPS = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
CT_MACRO_HINTS = ("macroEnabled", "vbaProject", "macrosheet", "ms-office.activeX")
NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
NS_PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE_DOCUMENT_RELS = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument",
    "http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument",
)
_IMAGE_MAGIC = {
    b"\x89PNG": "a PNG picture",
    b"\xff\xd8\xff": "a JPEG photo",
    b"GIF8": "a GIF picture",
    b"II*\x00": "a TIFF image",
    b"MM\x00*": "a TIFF image",
}
_EXTERNAL_SCHEMA = re.compile(rb"schemaLocation\s*=\s*[\"'][a-zA-Z][a-zA-Z0-9+.-]*:")

Kind = Literal["docx", "xlsx"]

# pypdf reports repairs of damaged PDFs through logging; they are not ours to print.
logging.getLogger("pypdf").addHandler(logging.NullHandler())


@dataclass
class OfficePackage:
    """An Office Open XML package that passed every safety check."""

    path: Path
    zip: zipfile.ZipFile
    data: bytes
    kind: Kind
    main_part: str
    content_types: dict[str, str]
    _infos: dict[str, zipfile.ZipInfo] = field(default_factory=dict)
    # where each part's stored bytes start, found (and checked) by its local header
    _starts: dict[str, int] = field(default_factory=dict)
    #: bytes inflated so far from this file, against MAX_TOTAL_BYTES
    spent: int = 0

    def has(self, name: str) -> bool:
        return name in self._infos

    def read(self, name: str) -> bytes:
        """A part's bytes, inflated straight from the file (zipfile.open per part costs
        more than parsing it), never more than the size the directory claims, with the
        real size, ratio and CRC checked."""
        info = self._infos[name]
        if info.file_size > MAX_READ_BYTES:
            mb = info.file_size // 2**20
            raise _refused_part(
                self.path, "unsafe", info, f"is {mb} MB of XML, far more than a form holds."
            )
        data, used = self._inflate(info, info.file_size + 1, info.compress_size)
        if len(data) > info.file_size:
            raise _refused_part(
                self.path,
                "unsafe",
                info,
                f"inflates to more than the {info.file_size} bytes the zip's directory "
                "claims (a zip bomb).",
            )
        if len(data) < info.file_size:
            raise _refused_part(
                self.path, "corrupt", info, "is damaged (shorter than the zip says)."
            )
        if len(data) > RATIO_FLOOR_BYTES and len(data) > MAX_RATIO * max(used, 1):
            raise _refused_part(
                self.path,
                "unsafe",
                info,
                f"inflates {len(data) // max(used, 1)}-fold to {len(data) // 2**20} MB "
                "(a zip bomb).",
            )
        if zlib.crc32(data) != info.CRC:
            raise _refused_part(self.path, "corrupt", info, "is damaged (bad CRC-32).")
        return data

    def head(self, info: zipfile.ZipInfo, size: int) -> bytes:
        """The first `size` bytes of a part, inflating no more than needed."""
        # Deflate never grows data by more than a few bytes per block: size + 1 kB of
        # stored bytes holds `size` inflated bytes unless the part ends first.
        return self._inflate(info, size, min(info.compress_size, size + 1024))[0]

    def _inflate(self, info: zipfile.ZipInfo, limit: int, stored: int) -> tuple[bytes, int]:
        """Up to `limit` bytes of a part, inflated from its first `stored` stored bytes and
        counted against the file's budget; with the stored bytes the inflater used."""
        if self.spent + limit > MAX_TOTAL_BYTES + 1:
            raise RefusedFile(
                self.path,
                "unsafe",
                f"it inflates to more than {MAX_TOTAL_BYTES // 2**20} MB of XML in all, "
                "far more than a form holds (a zip bomb).",
            )
        start = self._starts[info.filename]
        raw = memoryview(self.data)[start : start + stored]
        if info.compress_type == zipfile.ZIP_STORED:
            out, used = bytes(raw[:limit]), min(len(raw), limit)
        else:
            inflater = zlib.decompressobj(-15)
            try:
                out = inflater.decompress(raw, limit)
            except zlib.error as exc:
                raise RefusedFile(
                    self.path, "corrupt", f"part {shown(info.filename)} is damaged ({_short(exc)})."
                ) from None
            used = len(raw) - len(inflater.unused_data) if inflater.eof else len(raw)
        self.spent += len(out)
        return out, used

    def parse(self, name: str) -> etree._Element:
        data = self.read(name)
        try:
            return parse_xml(data)
        except UnsafeXML:
            raise RefusedFile(
                self.path, "unsafe", f"part {shown(name)} declares XML entities."
            ) from None
        except (etree.XMLSyntaxError, ValueError) as exc:
            raise RefusedFile(
                self.path, "corrupt", f"part {shown(name)} is damaged ({_short(exc)})."
            ) from None

    def parts_of_type(self, content_type: str) -> list[str]:
        return [n for n, ct in self.content_types.items() if ct == content_type]

    def relationships(self, rels: str) -> list[etree._Element]:
        """The relationships of a .rels part, refused beyond what any form has (each may
        send the reader to a part: tens of thousands would read one part as often)."""
        root = self.parse(rels)
        found = list(root)
        if len(found) > MAX_RELATIONSHIPS:
            raise RefusedFile(
                self.path,
                "unsafe",
                f"part {shown(rels)} holds {len(found)} relationships, "
                f"far more than a form has (at most {MAX_RELATIONSHIPS}).",
            )
        return found

    def related(self, source: str, rel_types: tuple[str, ...]) -> list[str]:
        """Part names that `source` points to with one of rel_types, in document order,
        each once."""
        folder = PurePosixPath(source).parent
        rels = str(folder / "_rels" / (PurePosixPath(source).name + ".rels")).lstrip("/")
        if source == "":
            rels = "_rels/.rels"
        if not self.has(rels):
            return []
        out: dict[str, None] = {}
        for rel in self.relationships(rels):
            if rel.get("Type") in rel_types and rel.get("TargetMode") != "External":
                out.setdefault(resolve_target(source, rel.get("Target", "")))
        return list(out)

    def close(self) -> None:
        self.zip.close()


def resolve_target(source: str, target: str) -> str:
    """A relationship target as a part name inside the zip."""
    if target.startswith("/"):
        return target.lstrip("/")
    parts: list[str] = list(PurePosixPath(source).parent.parts) if source else []
    for piece in target.split("/"):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece not in ("", "."):
            parts.append(piece)
    return "/".join(parts)


def _short(exc: BaseException) -> str:
    return str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__


def is_lock_file(path: Path) -> bool:
    """Word/Excel owner files (~$name.docx) and LibreOffice locks (.~lock.name.docx#)."""
    name = path.name
    return name.startswith("~$") or (name.startswith(".~lock.") and name.endswith("#"))


def open_package(path: Path, data: bytes) -> OfficePackage:
    """Classify `data` (the bytes of `path`) and open it, or raise RefusedFile."""
    if is_lock_file(path):
        raise RefusedFile(path, "lock_file", "it is an office program's lock file.")
    if not data:
        raise RefusedFile(path, "corrupt", "the file is empty (0 bytes).")
    if len(data) > MAX_FILE_BYTES:
        raise RefusedFile(
            path, "unsafe", f"the file is {len(data) // 2**20} MB, too large for a form."
        )
    if data.startswith(b"PK"):
        return _open_zip(path, data)
    raise _classify_other(path, data)


def _classify_other(path: Path, data: bytes) -> RefusedFile:
    if data.startswith(OLE_MAGIC):
        return classify_ole(path, data)
    if b"%PDF-" in data[:1024]:
        return _classify_pdf(path, data)
    if data.startswith(b"{\\rtf"):
        return RefusedFile(path, "legacy_format", "it is a Rich Text (.rtf) document.")
    if (
        len(data) >= 4
        and data[1] in (0x00, 0x02, 0x04, 0x08)
        and data[0] == 0x09
        and data[2]
        in (
            0x04,
            0x06,
            0x08,
            0x10,
        )
    ):
        return RefusedFile(path, "legacy_format", "it is a very old Excel (2.x-4.x) workbook.")
    if data[:2] in (b"\x31\xbe", b"\x32\xbe"):
        return RefusedFile(path, "legacy_format", "it is an old Microsoft Write document.")
    for magic, what in _IMAGE_MAGIC.items():
        if data.startswith(magic):
            return RefusedFile(path, "unsupported_type", f"it is {what}, not a form.")
    return RefusedFile(path, "unsupported_type", "it is not a Word or Excel file.")


def _classify_pdf(path: Path, data: bytes) -> RefusedFile:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, PyPdfError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            encrypted = PdfReader(io.BytesIO(data), strict=False).is_encrypted
    except DependencyError:
        # pypdf tries the empty password on opening, and AES needs `cryptography`: only
        # an encrypted PDF gets that far without it.
        return RefusedFile(path, "encrypted", "it is a password-protected PDF.")
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError, OSError):
        return RefusedFile(path, "corrupt", "it is a damaged PDF.")
    if encrypted:
        return RefusedFile(path, "encrypted", "it is a password-protected PDF.")
    return RefusedFile(path, "unsupported_type", "it is a PDF, which cannot be read as a form.")


def _open_zip(path: Path, data: bytes) -> OfficePackage:
    # zipfile makes an object per central-directory entry before anything can be checked:
    # a million entries cost it seconds and 600 MB. Every entry starts with a signature,
    # so counting those (in C) bounds the entries first, unless the directory is too small
    # to hold too many.
    if not _directory_is_small(data):
        entries = data.count(_CENTRAL_HEADER)
        if entries > MAX_ENTRIES:
            raise RefusedFile(
                path, "unsafe", f"it holds {entries} parts or more, far more than a form has."
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
            f"it is not a complete file ({_short(exc)}); was it saved or copied to the end?",
        ) from None
    try:
        pkg = _check_zip(path, data, zf, infos)
    except BaseException:
        zf.close()
        raise
    return pkg


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


def _check_zip(
    path: Path, data: bytes, zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo]
) -> OfficePackage:
    if not infos:
        raise RefusedFile(path, "corrupt", "it is an empty archive.")
    if len(infos) > MAX_ENTRIES:
        raise RefusedFile(path, "unsafe", f"it holds {len(infos)} parts, far more than a form has.")
    total = 0
    for info in infos:
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise RefusedFile(
                path,
                "corrupt",
                f"part {shown(info.filename)} is packed in a way Word and Excel never use "
                f"(method {info.compress_type}).",
            )
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > MAX_PART_BYTES or (
            info.file_size > RATIO_FLOOR_BYTES and ratio > MAX_RATIO
        ):
            raise RefusedFile(
                path,
                "unsafe",
                f"part {shown(info.filename)} expands to {info.file_size // 2**20} MB "
                "(a zip bomb).",
            )
    if total > MAX_PACKAGE_BYTES:
        raise RefusedFile(path, "unsafe", f"it expands to {total // 2**20} MB (a zip bomb).")
    starts = _member_starts(path, data, infos)  # entries sharing bytes: unsafe, first
    dupes = [n for n, c in collections.Counter(i.filename for i in infos).items() if c > 1]
    if dupes:
        raise RefusedFile(path, "corrupt", f"it holds two different parts named {shown(dupes[0])}.")
    by_name = {i.filename: i for i in infos}
    pkg = OfficePackage(path, zf, data, "docx", "", {}, by_name, starts)
    if "[Content_Types].xml" not in by_name:
        if "mimetype" in by_name:
            mimetype = pkg.head(by_name["mimetype"], 100).decode("ascii", "replace")
            if mimetype.startswith("application/vnd.oasis.opendocument"):
                what = "spreadsheet (.ods)" if "spreadsheet" in mimetype else "document (.odt)"
                raise RefusedFile(path, "legacy_format", f"it is an OpenDocument {what}.")
        if any(n.startswith(("word/", "xl/", "_rels/")) for n in by_name):
            raise RefusedFile(path, "corrupt", "it is an Office file missing its table of parts.")
        raise RefusedFile(
            path, "unsupported_type", "it is a zip archive, not a Word or Excel file."
        )
    _refuse_dtds(pkg, infos)
    pkg.content_types = _content_types(pkg)
    cts = set(pkg.content_types.values())
    if CT_XLSB in cts:
        raise RefusedFile(path, "legacy_format", "it is a binary Excel workbook (.xlsb).")
    if any(hint in ct for ct in cts for hint in CT_MACRO_HINTS) or any(
        n.lower().endswith("vbaproject.bin") for n in by_name
    ):
        raise RefusedFile(path, "macro_enabled", "it contains macros (a .docm or .xlsm file).")
    for name, ct in pkg.content_types.items():
        # XML maps name schemas by address; Excel may fetch one (an XXE-style request).
        is_map = ct.endswith("xmlMaps+xml") or name.lower().endswith("xmlmaps.xml")
        if is_map and _EXTERNAL_SCHEMA.search(pkg.read(name)):
            raise RefusedFile(path, "unsafe", f"part {shown(name)} refers to an outside address.")
    mains = pkg.related("", OFFICE_DOCUMENT_RELS)
    if not mains:
        raise RefusedFile(path, "unsupported_type", "it is a package with no document inside.")
    if not pkg.has(mains[0]):
        raise RefusedFile(path, "corrupt", "it is an Office file whose main part is missing.")
    pkg.main_part = mains[0]
    main_ct = pkg.content_types.get(pkg.main_part, "")
    if main_ct in CT_DOCX:
        pkg.kind = "docx"
    elif main_ct in CT_XLSX:
        pkg.kind = "xlsx"
    elif "presentationml" in main_ct:
        raise RefusedFile(path, "unsupported_type", "it is a PowerPoint presentation.")
    else:
        raise RefusedFile(path, "unsupported_type", "it is not a Word or Excel document.")
    return pkg


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
            raise _refused_part(path, "corrupt", info, "is damaged (its header is missing).")
        if info.flag_bits & 0x1:
            raise _refused_part(path, "corrupt", info, "is damaged (it is zip-encrypted).")
        name_len, extra_len = lengths(data, offset + 26)
        # the name as stored: zipfile decodes it by the UTF-8 flag (ASCII either way; the
        # cp437 codec costs ten times more)
        text = info.orig_filename
        name = text.encode("utf-8" if text.isascii() or info.flag_bits & 0x800 else "cp437")
        if name_len != len(name) or not data.startswith(name, offset + 30):
            local = data[offset + 30 : offset + 30 + name_len].decode("utf-8", "replace")
            raise _refused_part(
                path, "unsafe", info, f"carries another name in its own header ({shown(local)})."
            )
        start = offset + 30 + name_len + extra_len
        end = start + info.compress_size
        if end > size:
            raise _refused_part(path, "corrupt", info, "runs past the end of the file.")
        starts[info.filename] = start
        spans.append((offset, end, info.filename))
    spans.sort()
    for (_, end, first), (offset, _, second) in itertools.pairwise(spans):
        if offset < end:
            raise RefusedFile(
                path,
                "unsafe",
                f"parts {shown(first)} and {shown(second)} share the same bytes in the file "
                "(a zip bomb).",
            )
    return starts


def _refused_part(path: Path, kind: str, info: zipfile.ZipInfo, what: str) -> RefusedFile:
    return RefusedFile(path, kind, f"part {shown(info.filename)} {what}")


def _refuse_dtds(pkg: OfficePackage, infos: list[zipfile.ZipInfo]) -> None:
    """Refuse any XML part whose prolog declares a DTD, inflating only its first bytes."""
    for info in infos:
        if not info.filename.endswith((".xml", ".rels", ".vml")) or info.file_size == 0:
            continue
        verdict: bool | None = None
        for size in (512, 65536):
            head = pkg.head(info, size)
            verdict = prolog_has_dtd(head)
            if verdict is not None or len(head) >= info.file_size:
                break
        if verdict:
            raise RefusedFile(
                pkg.path, "unsafe", f"part {shown(info.filename)} declares XML entities."
            )


def _content_types(pkg: OfficePackage) -> dict[str, str]:
    root = pkg.parse("[Content_Types].xml")
    defaults: dict[str, str] = {}
    overrides: dict[str, str] = {}
    for el in root:
        tag = el.tag.rpartition("}")[2] if isinstance(el.tag, str) else ""
        if tag == "Default":
            defaults[el.get("Extension", "").lower()] = el.get("ContentType", "")
        elif tag == "Override":
            overrides[el.get("PartName", "").lstrip("/")] = el.get("ContentType", "")
    out: dict[str, str] = {}
    lower_overrides = {k.lower(): v for k, v in overrides.items()}
    for name in pkg._infos:
        if name.endswith("/"):
            continue
        ct = lower_overrides.get(name.lower())
        if ct is None:
            ext = name.rpartition("/")[2].rpartition(".")[2] if "." in name else ""
            ct = defaults.get(ext.lower(), "")
        out[name] = ct
    return out
