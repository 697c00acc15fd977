"""The language in use, and the words in it.

The language is a context variable: each thread (a watcher lane) and each task sees the
one its caller set with `use`, so two folders filed at once in one process each speak
their own. Nothing set: English. Beside it, the names of the folder's folders as its
settings give them, for the texts that send a person to one ("put it back into the
{inbox} folder"): a person is told the name she sees.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType

from language.catalogs import translations
from language.codes import DEFAULT, language_code

_current: ContextVar[str] = ContextVar("closedloop_language", default=DEFAULT)

#: The folders a text may name, by their settings' keys, as a folder laid out in English
#: names them (filing/folders.py takes its defaults from here).
DEFAULT_FOLDERS: Mapping[str, str] = MappingProxyType(
    {
        "inbox": "Inbox",
        "outbox": "Outbox",
        "archive": "Archive",
        "quarantine": "Quarantine",
        "blank_forms": "Blank Forms",
        "reports": "Reports",
    }
)
_folders: ContextVar[Mapping[str, str]] = ContextVar("closedloop_folders", default=DEFAULT_FOLDERS)


def current() -> str:
    """The language in use (`en`, `zh-CN`)."""
    return _current.get()


@contextmanager
def use(language: str, folders: Mapping[str, str] | None = None) -> Iterator[str]:
    """Say everything inside in `language` (any spelling language_code takes), naming the
    folders as `folders` does (keys of DEFAULT_FOLDERS; unchanged when not given)."""
    code = language_code(language)
    token = _current.set(code)
    named = None
    if folders is not None:
        named = _folders.set(
            MappingProxyType({k: str(folders.get(k, v)) for k, v in DEFAULT_FOLDERS.items()})
        )
    try:
        yield code
    finally:
        if named is not None:
            _folders.reset(named)
        _current.reset(token)


def folders() -> Mapping[str, str]:
    """The folders' names in use, by key: `_("... the {inbox} folder").format(**folders())`."""
    return _folders.get()


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
