"""Custom document properties (docProps/custom.xml): writing for .docx, reading for both.

openpyxl writes them for .xlsx itself; python-docx has no API for them, so the .docx
writer adds the standard part through python-docx's package layer.
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from lxml import etree

CT_CUSTOM = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
NS_CUSTOM = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
NS_VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"


def custom_properties_xml(props: dict[str, str]) -> bytes:
    items = "".join(
        f'<property fmtid="{_FMTID}" pid="{pid}" name="{escape(name, {chr(34): "&quot;"})}">'
        f"<vt:lpwstr>{escape(value)}</vt:lpwstr></property>"
        for pid, (name, value) in enumerate(props.items(), start=2)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Properties xmlns="{NS_CUSTOM}" xmlns:vt="{NS_VT}">{items}</Properties>'
    ).encode()


def add_docx_custom_properties(doc: Any, props: dict[str, str]) -> None:
    package = doc.part.package
    part = Part(PackURI("/docProps/custom.xml"), CT_CUSTOM, custom_properties_xml(props), package)
    package.relate_to(part, RT.CUSTOM_PROPERTIES)


def parse_custom_properties(root: etree._Element) -> dict[str, str]:
    """name -> text of every property in a parsed custom.xml (any value type, as text)."""
    out: dict[str, str] = {}
    for prop in root:
        name = prop.get("name")
        if name is None:
            continue
        out[name] = "".join(str(t) for t in prop.itertext()).strip()
    return out
