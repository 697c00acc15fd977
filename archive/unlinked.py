"""A filed document as LibreOffice is given it to render: every relationship to something
kept outside the document (a linked picture or object, a frame, another workbook's cells,
a template, a hyperlink) cut, so that rendering fetches nothing from any path or address.

The intake refuses such documents (forms/container.py); this keeps one filed before that,
or put in a case folder by hand, from reaching out when its packet is made. Hyperlinks go
too: a picture can take one as its source, and the packet is for reading on paper. What
the packet attaches is the document as filed."""

from __future__ import annotations

import io
import zipfile

from lxml import etree

from forms.container import links_out
from forms.xmlparse import UnsafeXML, parse_xml

# A .rels part larger than this is no form's (theirs are a few kB): left as it is.
_RELS_BYTES = 1 << 20


def cut_links_out(data: bytes) -> bytes:
    """`data` (a .docx or .xlsx) with its relationships to outside the document taken out;
    `data` itself when it has none, or is not a zip to look into (LibreOffice then says
    what it makes of it)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            mended = {
                info.filename: part
                for info in infos
                if info.filename.endswith(".rels") and info.file_size <= _RELS_BYTES
                if (part := _cut(zf.read(info))) is not None
            }
            if not mended:
                return data
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
                for info in infos:
                    copy.writestr(info, mended.get(info.filename) or zf.read(info))
            return out.getvalue()
    except (zipfile.BadZipFile, OSError, EOFError, UnsafeXML, etree.XMLSyntaxError):
        return data


def _cut(rels: bytes) -> bytes | None:
    """The .rels part without its links out, or None when it has none."""
    root = parse_xml(rels)
    out = [rel for rel in root if links_out(rel)]
    if not out:
        return None
    for rel in out:
        root.remove(rel)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True))
