"""Which languages ship, and the one way a language is named: BCP 47 (`en`, `zh-CN`), as
the settings, `--language` and an HTML page's `lang` write it."""

from __future__ import annotations

#: The languages closedloop is written in; every text of each is in its catalogs.
LANGUAGES = ("en", "zh-CN")
#: The language of a folder whose settings name none, and the words of the source.
DEFAULT = "en"

# How people also write them: zh_CN (gettext, Babel), zh-Hans, zh, ZH-cn, English...
_ALIASES = {
    "en": "en",
    "en-us": "en",
    "en-gb": "en",
    "english": "en",
    "zh": "zh-CN",
    "zh-cn": "zh-CN",
    "zh-hans": "zh-CN",
    "zh-hans-cn": "zh-CN",
    "chinese": "zh-CN",
    "中文": "zh-CN",
    "简体中文": "zh-CN",
}


class LanguageError(ValueError):
    """A language closedloop is not written in; the message lists the ones it is."""

    def __init__(self, given: str) -> None:
        self.given = given
        self.known = ", ".join(LANGUAGES)
        super().__init__(
            f"'{given}' is not a language closedloop is written in; "
            f"use one of: {', '.join(LANGUAGES)}"
        )


def language_code(text: str) -> str:
    """`text` as one of LANGUAGES (`zh_CN`, `zh-hans`, `ZH-cn` are all `zh-CN`)."""
    code = _ALIASES.get(text.strip().replace("_", "-").casefold())
    if code is None:
        raise LanguageError(text)
    return code


def babel_locale(language: str) -> str:
    """The locale Babel and the catalogs' folders name a language by (`zh_CN`)."""
    return language.replace("-", "_")
