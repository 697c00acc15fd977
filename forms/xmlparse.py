"""The one XML parser configuration used on files from outside: no DTDs, no entities, no network."""

from __future__ import annotations

import threading

from lxml import etree

_local = threading.local()


def _parser() -> etree.XMLParser:
    """This thread's parser: lxml parser objects must not be used by two threads at once.

    resolve_entities=False and load_dtd=False keep entity expansion and external entities
    out; huge_tree=False keeps libxml2's own limits on depth and text size.
    """
    parser: etree.XMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = etree.XMLParser(
            resolve_entities=False,
            load_dtd=False,
            no_network=True,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
            collect_ids=False,
        )
    return parser


class UnsafeXML(Exception):
    """The part declares a DTD (the vehicle of entity expansion and external entities)."""


def parse_xml(data: bytes) -> etree._Element:
    """Parse one package part. Raises etree.XMLSyntaxError or UnsafeXML."""
    root = etree.fromstring(data, _parser())
    # lxml-stubs lack DocInfo.doctype; the attribute is documented lxml API.
    if getattr(root.getroottree().docinfo, "doctype", ""):
        raise UnsafeXML("document type declaration")
    return root


def prolog_has_dtd(head: bytes) -> bool | None:
    """Whether an XML part's prolog (the bytes before its root element) declares a DTD.

    None when the root element does not start within `head` (the caller reads more).
    """
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head.decode("utf-16", errors="ignore")
    else:
        text = head.decode("utf-8", errors="ignore")
    pos = 0
    while True:
        lt = text.find("<", pos)
        if lt < 0 or lt + 1 >= len(text):
            return None
        nxt = text[lt + 1]
        if nxt == "?":
            end = text.find("?>", lt)
        elif text.startswith("<!--", lt):
            end = text.find("-->", lt)
        else:
            # Either the root element, or <!DOCTYPE / <!ENTITY / <![CDATA[ before it,
            # none of which belongs in an Office part's prolog.
            return nxt == "!"
        if end < 0:
            return None
        pos = end + 2
