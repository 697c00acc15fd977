"""The settings of what people read and where: [company] language and second_language,
and [folders], the names of the shared folder's folders (filing/folders.py)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from app.settings.check import folder_name_problem
from filing.folders import TOP, FolderNames
from language import DEFAULT, LanguageError, language_code

if TYPE_CHECKING:
    from app.settings.reader import SettingsReader


def read_folders(reader: SettingsReader) -> FolderNames:
    """[folders]: each a name a folder can have on Windows, none the same as another."""
    names: dict[str, str] = {}
    for key, default in FolderNames().names().items():
        value = reader.get("folders", key, default)
        problem = folder_name_problem(value) if isinstance(value, str) else "it is not text"
        if problem is not None:
            raise reader.fail(
                f"[folders] {key}",
                f"is {value!r}, not a name a folder can have: {problem}",
                f"{key} = {json.dumps(default, ensure_ascii=False)}",
            )
        names[key] = value
    # closedloop's own: its state folder and the settings file sit beside them.
    seen = {".closedloop": "closedloop's state", "closedloop.toml": "the settings file"}
    for key in TOP:  # side by side at the top; the others live inside one of them
        name = names[key]
        other = seen.setdefault(name.casefold(), key)
        if other != key:
            raise reader.fail(
                f"[folders] {key}",
                f"is {name!r}, the name of another folder ({other})",
                f"{key} = {json.dumps(FolderNames().names()[key])}",
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
                f"is {value!r}, not a language closedloop is written in ({exc.known})",
                f'{key} = "zh-CN"',
            ) from None
    language, second = found[0] or DEFAULT, found[1]
    if second == language:
        raise reader.fail(
            "[company] second_language",
            f"is the same as language ({language})",
            'second_language = "en" (or "" for none)',
        )
    return language, second
