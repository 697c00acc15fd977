"""What a form is: sections of typed fields, loaded from the TOML files in definitions/.

Definitions are data so that a site can read them; this module only gives them a shape
and checks them, so that a mistake in a definition fails at load with its file and field.

Each title and label carries its text in every shipped language: `label` is English, the
others sit beside it (`label_zh` for zh-CN), so a translator edits the same file. Reading
accepts a choice or a label in any of them; which one a form prints is the writer's choice.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from forms.errors import DefinitionError, UnknownFormError
from forms.languages import (
    LANGUAGES,
    LIST_SEPARATORS,
    TRANSLATED,
    Translations,
    check_languages,
    printed_labels,
    text_in,
    translations_of,
)

FIELD_TYPES = frozenset(
    {
        "text",
        "multiline",
        "date",
        "datetime",
        "integer",
        "decimal",
        "choice",
        "multichoice",
        "yesno",
        "table",
    }
)
CHOICE_TYPES = frozenset({"choice", "multichoice"})
#: The types of a moment: what happened, or (marked planned) what is due.
WHEN_TYPES = frozenset({"date", "datetime"})
FORM_IDS = (
    "registration",
    "return_form",
    "return_tracking",
    "contract_review",
    "capa",
    "satisfaction_survey",
)
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_KEY_JUNK = re.compile(r"[\W_]+", re.UNICODE)


def choice_key(text: str) -> str:
    """How typed choice text is compared: case, spaces and punctuation do not matter."""
    return _KEY_JUNK.sub("", text.casefold())


def label_key(text: str) -> str:
    """How a label found in a document is matched to a field label.

    Tolerates what people and office suites do to label cells: case, doubled spaces,
    a trailing colon or required-marker asterisk, non-breaking spaces.
    """
    text = text.replace("\u00a0", " ").strip().rstrip(":：*").strip()
    return " ".join(text.casefold().split())


@dataclass(frozen=True)
class Choice:
    id: str
    label: str
    aliases: tuple[str, ...] = ()
    translations: Translations = ()

    def label_in(self, language: str) -> str:
        """The label in language; English when it has none there."""
        return text_in(self.label, self.translations, language)

    def match_keys(self) -> Iterator[str]:
        yield choice_key(self.id)
        yield choice_key(self.label)
        for _, text in self.translations:
            yield choice_key(text)
        for alias in self.aliases:
            yield choice_key(alias)


@dataclass(frozen=True)
class Field:
    id: str
    label: str
    type: str
    required: bool = False
    help: str = ""
    choices: tuple[Choice, ...] = ()
    columns: tuple[Field, ...] = ()
    rows: int = 0
    #: A date or datetime that may lie ahead (a due date); any other records what happened.
    planned: bool = False
    translations: Translations = ()
    help_translations: Translations = ()
    _lookup: Mapping[str, Choice] = field(default_factory=dict, compare=False, repr=False)

    def choice(self, text: str) -> Choice | None:
        """The choice that typed text stands for, or None."""
        return self._lookup.get(choice_key(text))

    def choice_label(self, choice_id: str, language: str = "en") -> str:
        for c in self.choices:
            if c.id == choice_id:
                return c.label_in(language)
        return choice_id

    def label_in(self, language: str) -> str:
        """The label in language; English when it has none there."""
        return text_in(self.label, self.translations, language)

    def help_in(self, language: str) -> str:
        """The help in language; English when it has none there."""
        return text_in(self.help, self.help_translations, language)

    def labels(self) -> dict[str, str]:
        """The label in each language it is written in, English first."""
        return {"en": self.label, **dict(self.translations)}

    def label_keys(self) -> frozenset[str]:
        """Every label_key this field is found by, whatever language the form is in (two
        languages side by side too, as a bilingual form prints a label)."""
        return frozenset(label_key(text) for text in printed_labels(self.labels()))

    def column(self, column_id: str) -> Field:
        for c in self.columns:
            if c.id == column_id:
                return c
        raise KeyError(column_id)


@dataclass(frozen=True)
class Section:
    title: str
    fields: tuple[Field, ...]
    translations: Translations = ()

    def title_in(self, language: str) -> str:
        return text_in(self.title, self.translations, language)


@dataclass(frozen=True)
class FormDefinition:
    id: str
    title: str
    version: str
    sheet: str
    filled_by: str
    purpose: str
    sections: tuple[Section, ...]
    translations: Translations = ()

    def title_in(self, language: str) -> str:
        """The title in language; English when it has none there."""
        return text_in(self.title, self.translations, language)

    @functools.cached_property
    def fields(self) -> tuple[Field, ...]:
        return tuple(f for s in self.sections for f in s.fields)

    @functools.cached_property
    def _by_id(self) -> dict[str, Field]:
        return {f.id: f for f in self.fields}

    def field(self, field_id: str) -> Field:
        return self._by_id[field_id]

    def describe(self) -> dict[str, Any]:
        """The JSON shape of `closedloop forms describe`."""
        return {
            "id": self.id,
            "title": self.title,
            "version": self.version,
            "fields": [_describe_field(f) for f in self.fields],
        }


def _describe_field(f: Field) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": f.id,
        "label": f.label,
        "labels": f.labels(),
        "type": f.type,
        "required": f.required,
    }
    if f.type in CHOICE_TYPES:
        out["choices"] = [c.id for c in f.choices]
        out["choice_labels"] = {c.id: c.label for c in f.choices}
        out["choice_labels_by_language"] = {
            lang: {c.id: c.label_in(lang) for c in f.choices} for lang in LANGUAGES
        }
    if f.type == "table":
        out["columns"] = [_describe_field(c) for c in f.columns]
    if f.planned:
        out["planned"] = True
    if f.help:
        out["help"] = f.help
    return out


def _build_field(raw: Mapping[str, Any], shared: Mapping[str, Any], where: str) -> Field:
    known = {"id", "label", "type", "required", "help", "choices", "columns", "rows", "planned"}
    known |= {f"{key}_{suffix}" for key in ("label", "help") for suffix in TRANSLATED.values()}
    unknown = set(raw) - known
    if unknown:
        raise DefinitionError(where, f"unknown keys {sorted(unknown)}; allowed: {sorted(known)}")
    fid = raw.get("id")
    if not isinstance(fid, str) or not _ID.match(fid):
        raise DefinitionError(where, f"field id {fid!r} must be lower-case letters, digits, _")
    where = f"{where} field '{fid}'"
    label = raw.get("label")
    if not isinstance(label, str) or not label.strip():
        raise DefinitionError(where, "needs a label")
    ftype = raw.get("type")
    if ftype not in FIELD_TYPES:
        raise DefinitionError(where, f"type {ftype!r} is not one of {sorted(FIELD_TYPES)}")
    choices: tuple[Choice, ...] = ()
    raw_choices = raw.get("choices")
    if ftype in CHOICE_TYPES:
        if isinstance(raw_choices, str):
            if raw_choices not in shared:
                raise DefinitionError(where, f"shared choice list '{raw_choices}' is not defined")
            raw_choices = shared[raw_choices]
        if not isinstance(raw_choices, list) or not raw_choices:
            raise DefinitionError(where, "a choice field needs a list of choices")
        choices = tuple(_build_choice(c, where) for c in raw_choices)
    elif raw_choices is not None:
        raise DefinitionError(where, f"only choice fields take choices, not {ftype}")
    lookup: dict[str, Choice] = {}
    for c in choices:
        for key in c.match_keys():
            other = lookup.setdefault(key, c)
            if other is not c:
                raise DefinitionError(
                    where, f"choices '{other.id}' and '{c.id}' are both written '{key}'"
                )
    columns: tuple[Field, ...] = ()
    if ftype == "table":
        raw_columns = raw.get("columns")
        if not isinstance(raw_columns, list) or not raw_columns:
            raise DefinitionError(where, "a table needs columns")
        columns = tuple(_build_field(c, shared, f"{where} column") for c in raw_columns)
        if any(c.type == "table" for c in columns):
            raise DefinitionError(where, "a table column cannot itself be a table")
        _check_unique(where, [c.id for c in columns], "column id")
        _check_unique(where, [label_key(c.label) for c in columns], "column label")
        _check_translations_unique(where, columns, "column label")
    rows = int(raw.get("rows", 5 if ftype == "table" else 0))
    planned = raw.get("planned", False)
    if not isinstance(planned, bool) or (planned and ftype not in WHEN_TYPES):
        raise DefinitionError(where, "only a date or datetime field is planned (planned = true)")
    return Field(
        id=fid,
        label=label.strip(),
        type=ftype,
        required=bool(raw.get("required", False)),
        help=str(raw.get("help", "")),
        choices=choices,
        columns=columns,
        rows=rows,
        planned=planned,
        translations=translations_of(raw, "label", where),
        help_translations=translations_of(raw, "help", where),
        _lookup=lookup,
    )


def _build_choice(raw: Mapping[str, Any], where: str) -> Choice:
    choice = Choice(
        raw["id"],
        raw["label"],
        tuple(raw.get("aliases", ())),
        translations_of(raw, "label", f"{where} choice '{raw['id']}'"),
    )
    for _, text in choice.translations:
        if LIST_SEPARATORS & set(text):
            raise DefinitionError(
                f"{where} choice '{choice.id}'",
                f"the label '{text}' holds a list separator (one of , ; 、 ， ；)",
            )
    return choice


def _check_translations_unique(where: str, fields: tuple[Field, ...], what: str) -> None:
    """A label found in a document must name one field in every language, not only English."""
    for language in TRANSLATED:
        keys = [label_key(f.label_in(language)) for f in fields if f.label_in(language) != f.label]
        _check_unique(where, keys, f"{language} {what}")


def _check_unique(where: str, values: list[str], what: str) -> None:
    seen: set[str] = set()
    for v in values:
        if v in seen:
            raise DefinitionError(where, f"{what} '{v}' appears twice")
        seen.add(v)


def build_definition(
    raw: Mapping[str, Any],
    shared: Mapping[str, Any],
    source: str,
    languages: tuple[str, ...] = (),
) -> FormDefinition:
    """Turn one parsed definition file into a checked FormDefinition.

    languages: those every title and label must have a text in (the shipped forms: all).
    """
    for key in ("id", "title", "version", "sections"):
        if key not in raw:
            raise DefinitionError(source, f"missing '{key}'")
    sections = tuple(
        Section(
            title=str(s["title"]),
            fields=tuple(_build_field(f, shared, source) for f in s.get("fields", [])),
            translations=translations_of(s, "title", f"{source} section '{s['title']}'"),
        )
        for s in raw["sections"]
    )
    form = FormDefinition(
        id=str(raw["id"]),
        title=str(raw["title"]),
        version=str(raw["version"]),
        sheet=str(raw.get("sheet", raw["title"]))[:31],
        filled_by=str(raw.get("filled_by", "")),
        purpose=str(raw.get("purpose", "")),
        sections=sections,
        translations=translations_of(raw, "title", source),
    )
    _check_unique(source, [f.id for f in form.fields], "field id")
    _check_unique(source, [label_key(f.label) for f in form.fields], "field label")
    _check_translations_unique(source, form.fields, "field label")
    if languages:
        check_languages(form, source, languages)
    return form


def _read_toml(name: str) -> dict[str, Any]:
    text = resources.files("forms").joinpath("definitions", name).read_text(encoding="utf-8")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DefinitionError(f"definitions/{name}", f"not valid TOML: {exc}") from exc


@cache
def all_forms() -> dict[str, FormDefinition]:
    """Every form definition, by id, in the order of the loop."""
    shared = _read_toml("_choices.toml")
    forms: dict[str, FormDefinition] = {}
    for form_id in FORM_IDS:
        source = f"definitions/{form_id}.toml"
        form = build_definition(_read_toml(f"{form_id}.toml"), shared, source, LANGUAGES)
        if form.id != form_id:
            raise DefinitionError(source, f"id is '{form.id}', expected '{form_id}'")
        forms[form_id] = form
    return forms


def get_form(form_id: str) -> FormDefinition:
    forms = all_forms()
    try:
        return forms[form_id]
    except KeyError:
        raise UnknownFormError(form_id, list(forms)) from None
