"""Opening a file from outside: recognise what it is and refuse what cannot be a form.

Every check runs on the zip's central directory or on raw bytes, before any XML parser
sees a part: sizes and compression ratios (zip bombs), members that share bytes or hide
under another name (forms.zipcheck), DTDs (entity expansion, external entities), macros,
encryption, old formats (forms.filekind). What passes is an OfficePackage
(forms.package) whose parts are inflated against their real sizes, never the sizes the
directory claims, within one budget for the whole file.

This module is the door: `open_package`, and the Office checks on the package's table of
parts (content types, DTDs, macros, outside schemas, which document is inside).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from lxml import etree

from forms.errors import RefusedFile, shown, too_large
from forms.filekind import OLE_MAGIC, classify_other, is_lock_file
from forms.package import (
    MAX_RATIO,
    MAX_READ_BYTES,
    MAX_RELATIONSHIPS,
    MAX_TOTAL_BYTES,
    RATIO_FLOOR_BYTES,
    Kind,
    OfficePackage,
    resolve_target,
)
from forms.xmlparse import prolog_has_dtd
from forms.zipcheck import MAX_ENTRIES, MAX_PACKAGE_BYTES, MAX_PART_BYTES, check_members, open_zip
from language import _

__all__ = [
    "CT_CUSTOM_PROPS",
    "MAX_ENTRIES",
    "MAX_FILE_BYTES",
    "MAX_PACKAGE_BYTES",
    "MAX_PART_BYTES",
    "MAX_RATIO",
    "MAX_READ_BYTES",
    "MAX_RELATIONSHIPS",
    "MAX_TOTAL_BYTES",
    "OLE_MAGIC",
    "RATIO_FLOOR_BYTES",
    "Kind",
    "OfficePackage",
    "is_lock_file",
    "open_package",
    "resolve_target",
]

MAX_FILE_BYTES = 64 * 1024 * 1024
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
# External relationships that fetch nothing when the document is opened (by their Type's
# last word, the same in the transitional and strict schemas).
_LINKS_LET_BE = frozenset({"hyperlink", "attachedTemplate"})
# A picture's source given by a relationship (a:blip r:link, v:imagedata r:href): fetched
# when the document is rendered. Matched on the bytes, whatever the prefix.
_LINKED_SOURCE = re.compile(rb"\s[A-Za-z_][\w.-]*:(?:link|href)\s*=\s*[\"']([^\"']+)[\"']")
_EXTERNAL_SCHEMA = re.compile(rb"schemaLocation\s*=\s*[\"'][a-zA-Z][a-zA-Z0-9+.-]*:")


def open_package(path: Path, data: bytes) -> OfficePackage:
    """Classify `data` (the bytes of `path`) and open it, or raise RefusedFile."""
    if is_lock_file(path):
        raise RefusedFile(path, "lock_file", _("it is an office program's lock file."))
    if not data:
        raise RefusedFile(path, "corrupt", _("the file is empty (0 bytes)."))
    if len(data) > MAX_FILE_BYTES:
        raise RefusedFile(path, "unsafe", too_large(len(data)))
    if data.startswith(b"PK"):
        return _open_zip(path, data)
    raise classify_other(path, data)


def _open_zip(path: Path, data: bytes) -> OfficePackage:
    zf, infos = open_zip(path, data)
    try:
        starts = check_members(path, data, infos)  # entries sharing bytes: unsafe, first
        by_name = {i.filename: i for i in infos}
        pkg = OfficePackage(path, zf, data, "docx", "", {}, by_name, starts)
        _check_office(pkg, by_name)
    except BaseException:
        zf.close()
        raise
    return pkg


def _check_office(pkg: OfficePackage, by_name: dict[str, zipfile.ZipInfo]) -> None:
    """Refuse a zip that is no Word or Excel form; note its kind and main part."""
    path, infos = pkg.path, list(by_name.values())
    if "[Content_Types].xml" not in by_name:
        if "mimetype" in by_name:
            mimetype = pkg.head(by_name["mimetype"], 100).decode("ascii", "replace")
            if mimetype.startswith("application/vnd.oasis.opendocument"):
                if "spreadsheet" in mimetype:
                    what = _("it is an OpenDocument spreadsheet (.ods).")
                else:
                    what = _("it is an OpenDocument document (.odt).")
                raise RefusedFile(path, "legacy_format", what)
        if any(n.startswith(("word/", "xl/", "_rels/")) for n in by_name):
            raise RefusedFile(
                path, "corrupt", _("it is an Office file missing its table of parts.")
            )
        raise RefusedFile(
            path, "unsupported_type", _("it is a zip archive, not a Word or Excel file.")
        )
    _refuse_dtds(pkg, infos)
    pkg.content_types = _content_types(pkg, by_name)
    cts = set(pkg.content_types.values())
    if CT_XLSB in cts:
        raise RefusedFile(path, "legacy_format", _("it is a binary Excel workbook (.xlsb)."))
    if any(hint in ct for ct in cts for hint in CT_MACRO_HINTS) or any(
        n.lower().endswith("vbaproject.bin") for n in by_name
    ):
        raise RefusedFile(path, "macro_enabled", _("it contains macros (a .docm or .xlsm file)."))
    for name, ct in pkg.content_types.items():
        # XML maps name schemas by address; Excel may fetch one (an XXE-style request).
        is_map = ct.endswith("xmlMaps+xml") or name.lower().endswith("xmlmaps.xml")
        if is_map and _EXTERNAL_SCHEMA.search(pkg.read(name)):
            raise RefusedFile(
                path,
                "unsafe",
                _("part {part} refers to an outside address.").format(part=shown(name)),
            )
    _refuse_links_out(pkg)
    mains = pkg.related("", OFFICE_DOCUMENT_RELS)
    if not mains:
        raise RefusedFile(path, "unsupported_type", _("it is a package with no document inside."))
    if not pkg.has(mains[0]):
        raise RefusedFile(path, "corrupt", _("it is an Office file whose main part is missing."))
    pkg.main_part = mains[0]
    main_ct = pkg.content_types.get(pkg.main_part, "")
    if main_ct in CT_DOCX:
        pkg.kind = "docx"
    elif main_ct in CT_XLSX:
        pkg.kind = "xlsx"
    elif "presentationml" in main_ct:
        raise RefusedFile(path, "unsupported_type", _("it is a PowerPoint presentation."))
    else:
        raise RefusedFile(path, "unsupported_type", _("it is not a Word or Excel document."))


def _refuse_links_out(pkg: OfficePackage) -> None:
    """Refuse a document that shows something kept outside it: a linked picture or object,
    a frame, a cell of another workbook. Whoever renders it (LibreOffice, for the closure
    packet; Word, for an auditor) would fetch it, from any path or address, and the archive
    would not hold what the form showed. A hyperlink is only followed by a reader who
    clicks it, and a template's path is not opened: both are let be, unless a picture uses
    one as its source (LibreOffice then fetches it, whatever the relationship's type)."""
    for name in pkg.content_types:
        if not name.endswith(".rels") or not pkg.has(name):
            continue
        let_be: dict[str, str] = {}  # id -> target, of the links out let be so far
        for rel in pkg.relationships(name):
            if not links_out(rel):
                continue
            kind = rel.get("Type", "").rsplit("/", 1)[-1]
            if kind not in _LINKS_LET_BE:
                raise _linked(pkg, name, rel.get("Target", ""))
            let_be[rel.get("Id", "")] = rel.get("Target", "")
        source = _source_of(name)
        if let_be and pkg.has(source):
            for used in _LINKED_SOURCE.findall(pkg.read(source)):
                if used.decode("utf-8", "replace") in let_be:
                    raise _linked(pkg, name, let_be[used.decode("utf-8", "replace")])


def links_out(rel: etree._Element) -> bool:
    """Whether a relationship leads outside the document: TargetMode External, in any case
    (as LibreOffice takes it)."""
    return (rel.get("TargetMode") or "").lower() == "external"


def _linked(pkg: OfficePackage, rels: str, target: str) -> RefusedFile:
    return RefusedFile(
        pkg.path,
        "linked_content",
        _("part {part} links to {target}, outside the document.").format(
            part=shown(rels), target=shown(target, 120)
        ),
    )


def _source_of(rels: str) -> str:
    """The part a .rels part holds the relationships of: word/_rels/document.xml.rels is
    word/document.xml's."""
    folder, _sep, name = rels.rpartition("_rels/")
    return folder + name.removesuffix(".rels")


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
                pkg.path,
                "unsafe",
                _("part {part} declares XML entities.").format(part=shown(info.filename)),
            )


def _content_types(pkg: OfficePackage, by_name: dict[str, zipfile.ZipInfo]) -> dict[str, str]:
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
    for name in by_name:
        if name.endswith("/"):
            continue
        ct = lower_overrides.get(name.lower())
        if ct is None:
            ext = name.rpartition("/")[2].rpartition(".")[2] if "." in name else ""
            ct = defaults.get(ext.lower(), "")
        out[name] = ct
    return out
