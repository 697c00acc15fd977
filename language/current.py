"""The language in use, and the words in it.

The language is a context variable: each thread (a watcher lane) and each task sees the
one its caller set with `use`, so two folders filed at once in one process each speak
their own. Nothing set: English.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from language.catalogs import translations
from language.codes import DEFAULT, language_code

_current: ContextVar[str] = ContextVar("closedloop_language", default=DEFAULT)


def current() -> str:
    """The language in use (`en`, `zh-CN`)."""
    return _current.get()


@contextmanager
def use(language: str) -> Iterator[str]:
    """Say everything inside in `language` (any spelling language_code takes)."""
    code = language_code(language)
    token = _current.set(code)
    try:
        yield code
    finally:
        _current.reset(token)


def gettext(message: str) -> str:
    """`message` in the language in use."""
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


def in_language(language: str, message: str) -> str:
    """`message` in `language`, whatever the language in use (a form's second language)."""
    return translations(language_code(language)).gettext(message)


#: The usual short name: `_("Required.")`.
_ = gettext


def N_(message: str) -> str:
    """Marks a text to translate where it is listed (a table of words), not where shown:
    the extraction finds it; `_()` translates it when it is shown."""
    return message
