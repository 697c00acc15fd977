"""The languages of the form definitions: which ones ship, how a translated text sits in the
TOML (`label_zh` beside `label`), and the check that none is missing.

English is `label`/`title` and the fallback; every other language's text is optional to the
model (a site's own form may be English only) and required of the shipped definitions.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from forms.errors import DefinitionError

if TYPE_CHECKING:
    from forms.definition import FormDefinition

#: The languages the shipped definitions are written in; English is the fallback.
LANGUAGES = ("en", "zh-CN")
#: Each language besides English, by the suffix of its keys in the TOML (label_zh).
TRANSLATED = {"zh-CN": "zh"}
#: Characters that split a multichoice answer; a choice label cannot hold one.
LIST_SEPARATORS = frozenset(",;\n、，；")

#: A text in the languages besides English: (language, text) pairs.
Translations = tuple[tuple[str, str], ...]


def text_in(english: str, translations: Translations, language: str) -> str:
    for lang, text in translations:
        if lang == language:
            return text
    return english


def translations_of(raw: Mapping[str, Any], key: str, where: str) -> Translations:
    """The texts of key (title or label) in the languages besides English that raw has."""
    found: list[tuple[str, str]] = []
    for language, suffix in TRANSLATED.items():
        text = raw.get(f"{key}_{suffix}")
        if text is None:
            continue
        if not isinstance(text, str) or not text.strip():
            raise DefinitionError(where, f"{key}_{suffix} ({language}) must be text")
        found.append((language, text.strip()))
    return tuple(found)


def _texts(form: FormDefinition, source: str) -> Iterator[tuple[str, str, Translations]]:
    """Every title and label of form: where it is, which key, its translations."""
    yield source, "title", form.translations
    for section in form.sections:
        yield f"{source} section '{section.title}'", "title", section.translations
    for f in form.fields:
        where = f"{source} field '{f.id}'"
        for item, at in [(f, where), *((c, f"{where} column '{c.id}'") for c in f.columns)]:
            yield at, "label", item.translations
            for choice in item.choices:
                yield f"{at} choice '{choice.id}'", "label", choice.translations


def check_languages(form: FormDefinition, source: str, languages: tuple[str, ...]) -> None:
    """Every title and label of form has its text in each of languages (English aside).

    Raises DefinitionError naming the form's file and the field, column or choice.
    """
    for language in languages:
        if language == "en":
            continue
        suffix = TRANSLATED[language]
        for where, key, translations in _texts(form, source):
            if all(lang != language for lang, _ in translations):
                raise DefinitionError(where, f"has no {language} text ({key}_{suffix})")
