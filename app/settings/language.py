"""The settings of what people read and where: [company] language and second_language,
and [folders], the names of the shared folder's folders (filing/folders.py)."""

from __future__ import annotations

import json
import re
import tomllib
from typing import TYPE_CHECKING, Any

from app.settings.check import folder_name_problem, name_mended
from app.settings.template import template_names
from filing.folders import TOP, FolderNames
from language import DEFAULT, N_, LanguageError, _, current, language_code

if TYPE_CHECKING:
    from app.settings.reader import SettingsReader

# `language = "zh-CN"` as a line of [company], for a file TOML cannot read.
_SECTION = re.compile(r"^\s*\[\s*([^\]]*?)\s*\]")
_LANGUAGE_LINE = re.compile(r"""^\s*language\s*=\s*["']([^"']*)["']""")

# closedloop's own names at the top of the folder: no folder may take one.
_OURS = {".closedloop": N_("closedloop's state"), "closedloop.toml": N_("the settings file")}


def read_folders(reader: SettingsReader) -> FolderNames:
    """[folders]: each a name a folder can have on Windows, none the same as another."""
    names: dict[str, str] = {}
    for key, default in FolderNames().names().items():
        value = reader.get("folders", key, default)
        problem = folder_name_problem(value) if isinstance(value, str) else _("it is not text")
        if problem is not None:
            raise reader.fail(
                f"[folders] {key}",
                _("is {value}, not a name a folder can have: {problem}").format(
                    value=repr(value), problem=problem
                ),
                f"{key} = {json.dumps(name_mended(value, suggested(key, default)), ensure_ascii=False)}",
            )
        names[key] = value
    # closedloop's own: its state folder and the settings file sit beside them.
    seen = dict(_OURS)
    for key in TOP:  # side by side at the top; the others live inside one of them
        name = names[key]
        other = seen.setdefault(name.casefold(), key)
        if other != key:
            raise reader.fail(
                f"[folders] {key}",
                _("is {value}, the name of another folder ({other})").format(
                    value=repr(name), other=_(other) if other in _OURS.values() else other
                ),
                f"{key} = {json.dumps(suggested(key, FolderNames().names()[key]), ensure_ascii=False)}",
            )
    return FolderNames(**names)


def read_languages(reader: SettingsReader) -> tuple[str, str | None]:
    """[company] language, and second_language (none: "")."""
    found: list[str | None] = []
    for key, default in (("language", DEFAULT), ("second_language", "")):
        value = reader.get("company", key, default)
        if value == "" and key == "second_language":
            found.append(None)
            continue
        try:
            found.append(language_code(value if isinstance(value, str) else repr(value)))
        except LanguageError as exc:
            raise reader.fail(
                f"[company] {key}",
                _("is {value}, not a language closedloop is written in ({known})").format(
                    value=repr(value), known=exc.known
                ),
                f'{key} = "zh-CN"',
            ) from None
    language, second = found[0] or DEFAULT, found[1]
    if second == language:
        raise reader.fail(
            "[company] second_language",
            _("is the same as language ({language})").format(language=language),
            _('second_language = "en" (or "" for none)'),
        )
    return language, second


def declared_language(text: str) -> str:
    """The language a settings file's `[company] language` names, even when the file is not
    valid TOML or another setting in it is wrong: its mistakes are told in that language.
    English when it names none, or none closedloop is written in."""
    try:
        return language_in(tomllib.loads(text))
    except tomllib.TOMLDecodeError:
        value, section = DEFAULT, ""
        for line in text.splitlines():
            header = _SECTION.match(line)
            if header:
                section = header[1]
            elif section == "company" and (found := _LANGUAGE_LINE.match(line)):
                value = found[1]
                break  # TOML refuses a second one: the first is the one meant
        return language_in({"company": {"language": value}})


def language_in(raw: dict[str, Any]) -> str:
    """The language the parsed settings' `[company] language` names; English when none,
    or none closedloop is written in (the reader then says so, in English)."""
    company = raw.get("company", {})
    value = company.get("language", DEFAULT) if isinstance(company, dict) else DEFAULT
    try:
        return language_code(value) if isinstance(value, str) else DEFAULT
    except LanguageError:
        return DEFAULT


def suggested(key: str, default: str) -> str:
    """The name a new folder in the language in use gives folder or department `key`."""
    return template_names(current()).get(key, default)
