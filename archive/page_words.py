"""What the archive's pages (the packet cover, the auditor's index and case pages) share
besides their templates: the fonts that show the language in use, a deadline's status in
words, a filed document's name, and words put into a CSS `content` (the cover's running
header and page numbers, which CSS writes, not HTML)."""

from __future__ import annotations

import re

from markupsafe import Markup

from filing.words import form_title
from language import N_, _, current

# CJK fonts, in the order a reader's machine is likely to have them: Linux (Noto, Source
# Han), Windows (YaHei), macOS (PingFang). Chinese pages put them first, so Latin letters
# and digits are drawn by the same font as the Chinese beside them; English pages keep
# their own fonts first, the CJK ones for a Chinese customer name.
_CJK = '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC"'
_PRINT = {
    "en": f'"Liberation Sans", {_CJK}, sans-serif',
    "zh-CN": f'{_CJK}, "Liberation Sans", sans-serif',
}
_SCREEN = {
    "en": f'system-ui, "Noto Sans", {_CJK}, sans-serif',
    "zh-CN": f"{_CJK}, system-ui, sans-serif",
}

#: A deadline's status (worked out from its due and met times; `missed`: a closed case's
#: deadline that was never met).
DEADLINE_STATUS: dict[str, str] = {
    "met": N_("met"),
    "late": N_("late"),
    "overdue": N_("overdue"),
    "open": N_("open"),
    "missed": N_("missed"),
}
_COUNTER = re.compile(r"\{(page|pages)\}")


def in_context(words: str) -> str:
    """A translated text written with its context before a bar (`"deadline table|Met"`),
    without the context: gettext's msgctxt as GLib's C_() writes it in the msgid. The
    catalogs are one namespace, and a bare "Met" is a count of deadlines met in the
    reports, where this page's column is when one was met."""
    return words.rpartition("|")[2]


def fonts(screen: bool = False) -> Markup:
    """The CSS font-family of a page in the language in use (print: the packet's cover)."""
    table = _SCREEN if screen else _PRINT
    return Markup(table.get(current(), table["en"]))  # noqa: S704 - constant CSS, no user text


def status_words(status: str) -> str:
    return _(DEADLINE_STATUS[status]) if status in DEADLINE_STATUS else status


def filed_form(form_id: str, version: int) -> str:
    """A filed form by its title and version: `Return Form, version 2`."""
    return _("{form}, version {version}").format(form=form_title(form_id), version=version)


def css_content(text: str) -> Markup:
    """`text` as the value of a CSS `content`, with {page} and {pages} as the page counters:
    "Cover, page {page} of {pages}" -> `"Cover, page " counter(page) " of " counter(pages)`."""
    parts = []
    for n, piece in enumerate(_COUNTER.split(text)):
        if n % 2:
            parts.append(f"counter({piece})")
        elif piece:
            parts.append(_css_string(piece))
    return Markup(" ".join(parts) or '""')  # noqa: S704 - every text in it is escaped


def code(text: str, kind: str = "") -> Markup:
    """`text` as code in a page (a command, a hash), to put into a translated sentence."""
    if kind:
        return Markup('<code class="{}">{}</code>').format(kind, text)
    return Markup("<code>{}</code>").format(text)


def anchor(href: str, text: str, id: str = "") -> Markup:
    """A link to put into a translated sentence (`href` already percent-encoded)."""
    if id:
        return Markup('<a id="{}" href="{}">{}</a>').format(id, href, text)
    return Markup('<a href="{}">{}</a>').format(href, text)


def _css_string(text: str) -> str:
    # Escaped so that no text ends the string, nor the <style> element it is in.
    escaped = "".join(f"\\{ord(c):X} " if c in '\\"<>&\n\r' or ord(c) < 32 else c for c in text)
    return f'"{escaped}"'
