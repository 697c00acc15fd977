"""Opening a file from outside: recognise what it is and refuse what cannot be a form.

Every check here runs on the zip's central directory or on raw bytes, before any XML
parser sees a part: sizes and compression ratios (zip bombs), DTDs (entity expansion,
external entities), macros, encryption, old formats. What passes is an OfficePackage
whose parts can be read with a size cap.
"""

from __future__ import annotations

import collections
import io
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

from forms.errors import RefusedFile
from forms.ole import classify_ole
from forms.xmlparse import UnsafeXML, parse_xml, prolog_has_dtd

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_PART_BYTES = 64 * 1024 * 1024
MAX_TOTAL_BYTES = 256 * 1024 * 1024
MAX_ENTRIES = 5000
# A part may shrink this much in the zip only while small; real office parts stay far below.
MAX_RATIO = 100
RATIO_FLOOR_BYTES = 4 * 1024 * 1024

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

    def has(self, name: str) -> bool:
        return name in self._infos

    def read(self, name: str) -> bytes:
        """A part's bytes, inflated straight from the file (zipfile.open per part costs
        more than parsing it), with its size capped and its CRC checked."""
        info = self._infos[name]
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            with self.zip.open(info) as fh:
                data = fh.read(MAX_PART_BYTES + 1)
        else:
            raw = _member_bytes(self.data, info, info.compress_size)
            if info.compress_type == zipfile.ZIP_STORED:
                data = raw[: MAX_PART_BYTES + 1]
            else:
                inflater = zlib.decompressobj(-15)
                data = inflater.decompress(raw, MAX_PART_BYTES + 1)
            if zlib.crc32(data) != info.CRC:
                raise zipfile.BadZipFile(f"bad CRC-32 for part {name}")
        if len(data) > MAX_PART_BYTES:  # the directory lied about the size
            raise RefusedFile(self.path, "unsafe", f"part {name} is larger than it claims.")
        return data

    def parse(self, name: str) -> etree._Element:
        try:
            return parse_xml(self.read(name))
        except UnsafeXML:
            raise RefusedFile(self.path, "unsafe", f"part {name} declares XML entities.") from None
        except (etree.XMLSyntaxError, zipfile.BadZipFile, EOFError, OSError, zlib.error) as exc:
            raise RefusedFile(
                self.path, "corrupt", f"part {name} is damaged ({_short(exc)})."
            ) from None

    def parts_of_type(self, content_type: str) -> list[str]:
        return [n for n, ct in self.content_types.items() if ct == content_type]

    def related(self, source: str, rel_types: tuple[str, ...]) -> list[str]:
        """Part names that `source` points to with one of rel_types, in document order."""
        folder = PurePosixPath(source).parent
        rels = str(folder / "_rels" / (PurePosixPath(source).name + ".rels")).lstrip("/")
        if source == "":
            rels = "_rels/.rels"
        if not self.has(rels):
            return []
        out: list[str] = []
        for rel in self.parse(rels):
            if rel.get("Type") in rel_types and rel.get("TargetMode") != "External":
                out.append(resolve_target(source, rel.get("Target", "")))
        return out

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
    from pypdf.errors import PyPdfError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            encrypted = PdfReader(io.BytesIO(data), strict=False).is_encrypted
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError, OSError):
        return RefusedFile(path, "corrupt", "it is a damaged PDF.")
    if encrypted:
        return RefusedFile(path, "encrypted", "it is a password-protected PDF.")
    return RefusedFile(path, "unsupported_type", "it is a PDF, which cannot be read as a form.")


def _open_zip(path: Path, data: bytes) -> OfficePackage:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
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


def _check_zip(
    path: Path, data: bytes, zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo]
) -> OfficePackage:
    if not infos:
        raise RefusedFile(path, "corrupt", "it is an empty archive.")
    if len(infos) > MAX_ENTRIES:
        raise RefusedFile(path, "unsafe", f"it holds {len(infos)} parts, far more than a form has.")
    dupes = [n for n, c in collections.Counter(i.filename for i in infos).items() if c > 1]
    if dupes:
        raise RefusedFile(path, "corrupt", f"it holds two different parts named {dupes[0]}.")
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > MAX_PART_BYTES or (
            info.file_size > RATIO_FLOOR_BYTES and ratio > MAX_RATIO
        ):
            raise RefusedFile(
                path,
                "unsafe",
                f"part {info.filename} expands to {info.file_size // 2**20} MB (a zip bomb).",
            )
    if total > MAX_TOTAL_BYTES:
        raise RefusedFile(path, "unsafe", f"it expands to {total // 2**20} MB (a zip bomb).")
    by_name = {i.filename: i for i in infos}
    if "[Content_Types].xml" not in by_name:
        if "mimetype" in by_name:
            mimetype = zf.read("mimetype")[:100].decode("ascii", "replace")
            if mimetype.startswith("application/vnd.oasis.opendocument"):
                what = "spreadsheet (.ods)" if "spreadsheet" in mimetype else "document (.odt)"
                raise RefusedFile(path, "legacy_format", f"it is an OpenDocument {what}.")
        if any(n.startswith(("word/", "xl/", "_rels/")) for n in by_name):
            raise RefusedFile(path, "corrupt", "it is an Office file missing its table of parts.")
        raise RefusedFile(
            path, "unsupported_type", "it is a zip archive, not a Word or Excel file."
        )
    pkg = OfficePackage(path, zf, data, "docx", "", {}, by_name)
    _refuse_dtds(pkg, data, infos)
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
            raise RefusedFile(path, "unsafe", f"part {name} refers to an outside address.")
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


def _refuse_dtds(pkg: OfficePackage, data: bytes, infos: list[zipfile.ZipInfo]) -> None:
    """Refuse any XML part whose prolog declares a DTD, inflating only its first bytes."""
    for info in infos:
        if not info.filename.endswith((".xml", ".rels", ".vml")) or info.file_size == 0:
            continue
        verdict: bool | None = None
        for size in (512, 65536):
            try:
                head = _part_head(pkg, data, info, size)
            except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError, zlib.error) as exc:
                raise RefusedFile(
                    pkg.path, "corrupt", f"part {info.filename} is damaged ({_short(exc)})."
                ) from None
            verdict = prolog_has_dtd(head)
            if verdict is not None or len(head) >= info.file_size:
                break
        if verdict:
            raise RefusedFile(pkg.path, "unsafe", f"part {info.filename} declares XML entities.")


def _member_bytes(data: bytes, info: zipfile.ZipInfo, size: int) -> bytes:
    """Up to `size` stored (compressed) bytes of a zip member, found by its local header."""
    offset = info.header_offset
    if data[offset : offset + 4] != b"PK\x03\x04" or info.flag_bits & 0x1:
        raise zipfile.BadZipFile(f"bad local header for part {info.filename}")
    name_len, extra_len = struct.unpack("<HH", data[offset + 26 : offset + 30])
    start = offset + 30 + name_len + extra_len
    return data[start : start + min(info.compress_size, size)]


def _part_head(pkg: OfficePackage, data: bytes, info: zipfile.ZipInfo, size: int) -> bytes:
    """The first `size` bytes of a part, inflating no more than needed."""
    if info.compress_type == zipfile.ZIP_STORED:
        return _member_bytes(data, info, size)
    if info.compress_type == zipfile.ZIP_DEFLATED:
        return zlib.decompressobj(-15).decompress(_member_bytes(data, info, size + 1024), size)
    with pkg.zip.open(info) as fh:
        return fh.read(size)


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
