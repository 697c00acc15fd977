"""The languages of the form definitions: which ones ship, how a translated text sits in the
TOML (`label_zh` beside `label`, `help_zh` beside `help`), the check that none is missing,
and `forms describe` in one of them.

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


def bilingual(first: str, second: str | None, sep: str = " ") -> str:
    """A text as a form in two languages prints it: the first language, then the second
    ("客户名称 Customer"); the first alone when there is no second or it says the same."""
    if second is None or second == first:
        return first
    return f"{first}{sep}{second}"


def printed_labels(labels: Mapping[str, str]) -> Iterator[str]:
    """Every way a label is printed, by language: alone in each, and each two side by side
    as a bilingual form prints them, so that a reader finds the field by any of them."""
    yield from labels.values()
    for first, a in labels.items():
        for second, b in labels.items():
            if first != second:
                yield bilingual(a, b)


def translations_of(raw: Mapping[str, Any], key: str, where: str) -> Translations:
    """The texts of key (title, label or help) in the languages besides English raw has."""
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
    """Every title, label and help of form: where it is, which key, its translations."""
    yield source, "title", form.translations
    for section in form.sections:
        yield f"{source} section '{section.title}'", "title", section.translations
    for f in form.fields:
        where = f"{source} field '{f.id}'"
        for item, at in [(f, where), *((c, f"{where} column '{c.id}'") for c in f.columns)]:
            yield at, "label", item.translations
            if item.help:
                yield at, "help", item.help_translations
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


def describe_in(form: FormDefinition, language: str) -> dict[str, Any]:
    """`forms describe --json` with its titles, labels, choice labels and help in language;
    ids, types and the per-language `labels` stay as they are."""
    out = form.describe()
    out["title"] = form.title_in(language)
    out["sections"] = [
        {"title": s.title_in(language), "fields": [f.id for f in s.fields]} for s in form.sections
    ]
    for f, described in zip(form.fields, out["fields"], strict=True):
        _field_in(f, described, language)
    return out


def _field_in(f: Any, described: dict[str, Any], language: str) -> None:
    described["label"] = f.label_in(language)
    if "choice_labels" in described:
        described["choice_labels"] = {c.id: c.label_in(language) for c in f.choices}
    if "help" in described:
        described["help"] = f.help_in(language)
    for col, col_described in zip(f.columns, described.get("columns", []), strict=True):
        _field_in(col, col_described, language)
