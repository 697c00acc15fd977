"""What a file is when it is not an Office zip, or not a form at all: an office program's
lock file, an old binary format (OLE: .doc/.xls, also encrypted .docx/.xlsx), a PDF
(password-protected or not), Rich Text, very old Excel and Write, pictures. Each is
refused with words that name it, from its first bytes."""

from __future__ import annotations

import io
import logging
import warnings
from pathlib import Path

from forms.errors import RefusedFile
from forms.ole import classify_ole
from language import N_, _

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_IMAGE_MAGIC = {
    b"\x89PNG": N_("it is a PNG picture, not a form."),
    b"\xff\xd8\xff": N_("it is a JPEG photo, not a form."),
    b"GIF8": N_("it is a GIF picture, not a form."),
    b"II*\x00": N_("it is a TIFF image, not a form."),
    b"MM\x00*": N_("it is a TIFF image, not a form."),
}

# pypdf reports repairs of damaged PDFs through logging; they are not ours to print.
logging.getLogger("pypdf").addHandler(logging.NullHandler())


def is_lock_file(path: Path) -> bool:
    """Word/Excel owner files (~$name.docx) and LibreOffice locks (.~lock.name.docx#)."""
    name = path.name
    return name.startswith("~$") or (name.startswith(".~lock.") and name.endswith("#"))


def classify_other(path: Path, data: bytes) -> RefusedFile:
    """The refusal of a file that does not start as a zip does, naming what it is."""
    if data.startswith(OLE_MAGIC):
        return classify_ole(path, data)
    if b"%PDF-" in data[:1024]:
        return _classify_pdf(path, data)
    if data.startswith(b"{\\rtf"):
        return RefusedFile(path, "legacy_format", _("it is a Rich Text (.rtf) document."))
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
        return RefusedFile(path, "legacy_format", _("it is a very old Excel (2.x-4.x) workbook."))
    if data[:2] in (b"\x31\xbe", b"\x32\xbe"):
        return RefusedFile(path, "legacy_format", _("it is an old Microsoft Write document."))
    for magic, what in _IMAGE_MAGIC.items():
        if data.startswith(magic):
            return RefusedFile(path, "unsupported_type", _(what))
    return RefusedFile(path, "unsupported_type", _("it is not a Word or Excel file."))


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
        return RefusedFile(path, "encrypted", _("it is a password-protected PDF."))
    except (
        PyPdfError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        RecursionError,
        OSError,
        NotImplementedError,  # an encryption pypdf does not know, in a damaged dictionary
    ):
        return RefusedFile(path, "corrupt", _("it is a damaged PDF."))
    if encrypted:
        return RefusedFile(path, "encrypted", _("it is a password-protected PDF."))
    return RefusedFile(path, "unsupported_type", _("it is a PDF, which cannot be read as a form."))
