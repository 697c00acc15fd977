"""Old binary Office files (OLE2 compound documents): which refusal each one gets.

Encrypted first, then macros, then plain legacy: the most specific reason is the most
useful to the person who saved the file.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path

import olefile

from forms.errors import RefusedFile
from language import N_, _

_WORD_IDENTS = {
    0xA5EC: N_("it is an old Word 97-2003 document (.doc)."),
    0xA5DC: N_("it is an old Word 6/95 document (.doc)."),
}
_BIFF_BOF = {0x0809, 0x0409, 0x0209, 0x0009}
_FILEPASS = 0x002F


def classify_ole(path: Path, data: bytes) -> RefusedFile:
    """The refusal for an OLE2 file (never a readable form)."""
    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except Exception:  # olefile raises many kinds on damaged headers
        return RefusedFile(path, "corrupt", _("it looks like an old Office file but is damaged."))
    try:
        return _classify(path, ole)
    except (OSError, struct.error, ValueError):
        return RefusedFile(path, "corrupt", _("it looks like an old Office file but is damaged."))
    finally:
        ole.close()


def _classify(path: Path, ole: olefile.OleFileIO) -> RefusedFile:
    if ole.exists("EncryptionInfo") or ole.exists("EncryptedPackage"):
        return RefusedFile(path, "encrypted", _("it is protected with a password."))
    if ole.exists("WordDocument"):
        head = ole.openstream("WordDocument").read(12)
        if len(head) < 12:
            return RefusedFile(path, "corrupt", _("it is a damaged Word document."))
        ident, _nfib, _u, _lid, _pn, flags = struct.unpack("<HHHHHH", head)
        if ident not in _WORD_IDENTS:
            return RefusedFile(path, "corrupt", _("it is a damaged Word document."))
        if flags & 0x0100:  # FIB fEncrypted
            return RefusedFile(path, "encrypted", _("it is protected with a password."))
        if _has_vba_code(ole, "Macros"):
            return RefusedFile(path, "macro_enabled", _("it is a Word document with macros."))
        return RefusedFile(path, "legacy_format", _(_WORD_IDENTS[ident]))
    for stream in ("Workbook", "Book"):
        if ole.exists(stream):
            verdict = _biff_verdict(ole.openstream(stream).read(4096))
            if verdict == "corrupt":
                return RefusedFile(path, "corrupt", _("it is a damaged Excel workbook."))
            if verdict == "encrypted":
                return RefusedFile(path, "encrypted", _("it is protected with a password."))
            if _has_vba_code(ole, "_VBA_PROJECT_CUR"):
                return RefusedFile(path, "macro_enabled", _("it is an Excel workbook with macros."))
            return RefusedFile(
                path, "legacy_format", _("it is an old Excel 97-2003 workbook (.xls).")
            )
    if ole.exists("PowerPoint Document"):
        return RefusedFile(path, "unsupported_type", _("it is a PowerPoint presentation."))
    if ole.exists("__properties_version1.0"):
        return RefusedFile(path, "unsupported_type", _("it is a saved Outlook message."))
    return RefusedFile(path, "unsupported_type", _("it is not a Word or Excel file."))


def _biff_verdict(head: bytes) -> str:
    """'encrypted' when a FILEPASS record follows the BOF, 'corrupt' without a BOF."""
    if len(head) < 4 or struct.unpack("<H", head[:2])[0] not in _BIFF_BOF:
        return "corrupt"
    pos = 0
    for _record in range(64):  # FILEPASS, when present, is among the first records
        if pos + 4 > len(head):
            break
        rtype, size = struct.unpack("<HH", head[pos : pos + 4])
        if rtype == _FILEPASS:
            return "encrypted"
        pos += 4 + size
    return "plain"


def _has_vba_code(ole: olefile.OleFileIO, storage: str) -> bool:
    """Whether a VBA project holds code modules, not just the empty sheet modules that
    Excel adds to any workbook with form controls."""
    if not ole.exists(f"{storage}/PROJECT"):
        return False
    text = ole.openstream(f"{storage}/PROJECT").read(65536).decode("latin-1")
    return any(line.startswith(("Module=", "Class=", "BaseClass=")) for line in text.splitlines())
