"""The forms: list them, describe their fields, write blank or pre-filled ones, read a
filled one."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from app.settings import load_settings
from closedloop.cli.common import (
    EXIT_OK,
    EXIT_PROBLEMS,
    echo_json,
    errors,
    json_option,
)
from closedloop.cli.group import cli
from closedloop.cli.options import Decorator
from forms.definition import FormDefinition, all_forms, get_form
from forms.errors import FormError
from forms.hints import Wording, shown_value
from forms.isolated import IsolatedReader
from forms.languages import describe_in
from forms.reader import FormRead, read_capped
from forms.writer import FORMATS, Format, write_form
from language import LANGUAGES, LanguageError, _, language_code, use


@cli.group("forms")
def forms_group() -> None:
    """The six forms: list them, describe their fields, write blank or pre-filled ones."""


def _form_arg(ctx: click.Context, param: click.Parameter, value: str) -> FormDefinition:
    try:
        return get_form(value)
    except FormError as exc:
        raise click.BadParameter(str(exc)) from None


def _language(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A language as LANGUAGES names it; a second language may also be `none`."""
    if value is None:
        return None
    if param.name == "second_language" and value.strip().casefold() == "none":
        return "none"
    try:
        return language_code(value)
    except LanguageError as exc:
        raise click.BadParameter(str(exc)) from None


def language_option(default_text: str, what: str = "Print the form") -> Decorator:
    return click.option(
        "--language",
        callback=_language,
        metavar="LANG",
        help=f"{what} in LANG ({', '.join(LANGUAGES)}); default: {default_text}.",
    )


def root_option(gives: str) -> Decorator:
    return click.option(
        "--root",
        type=click.Path(path_type=Path, file_okay=False),
        help=f"Shared folder whose settings give {gives}.",
    )


@contextmanager
def speaking(root: Path | None, language: str | None, as_json: bool = False) -> Iterator[str]:
    """Say everything inside in `language`, else in the language of the folder at `root`
    (naming its folders as it does), else in English."""
    with errors(as_json):
        settings = load_settings(root)
    with use(language or settings.language, settings.policy.folders.top()) as code:
        yield code


second_language_option: Decorator = click.option(
    "--second-language",
    callback=_language,
    metavar="LANG",
    help="Print LANG beside the first language (客户名称 Customer), or none; "
    "default: the settings' second_language with --root, else none.",
)


@forms_group.command("list")
@json_option
@language_option("the settings' language with --root, else en", "Give the titles")
@root_option("the language")
def forms_list(as_json: bool, language: str | None, root: Path | None) -> None:
    """List the forms: id, title and template version; titles in --language (or the
    folder's, with --root), ids the same in every language."""
    with speaking(root, language, as_json) as lang:
        rows = [
            {"id": f.id, "title": f.title_in(lang), "version": f.version}
            for f in all_forms().values()
        ]
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        click.echo(f"{row['id']:<20} v{row['version']:<4} {row['title']}")


@forms_group.command("describe")
@click.argument("form", callback=_form_arg, metavar="FORM")
@json_option
@language_option("the settings' language with --root, else en", "Describe the form")
@root_option("the language")
def forms_describe(
    form: FormDefinition, as_json: bool, language: str | None, root: Path | None
) -> None:
    """Describe FORM: every field with its id, label, type, choices and columns; titles and
    labels in --language (or the folder's, with --root); ids the same in every language."""
    with speaking(root, language, as_json) as lang:
        if as_json:
            given = language is not None or root is not None
            echo_json(describe_in(form, lang) if given else form.describe())
            return
        for line in _described(form, lang):
            click.echo(line)


def _described(form: FormDefinition, lang: str) -> Iterator[str]:
    """The lines of `forms describe` in text, in the language in use (lang)."""
    yield _("{title} ({id}, version {version})").format(
        title=form.title_in(lang), id=form.id, version=form.version
    )
    if form.purpose:
        yield _(form.purpose)  # every purpose is in the catalogs, as the mail says it
    required = _(" (required)")
    for section in form.sections:
        yield f"\n{section.title_in(lang)}"
        for f in section.fields:
            req = required if f.required else ""
            yield f"  {f.id:<28} {f.type:<12} {f.label_in(lang)}{req}"
            if f.choices:
                yield "  " + " " * 29 + _("choices: ") + ", ".join(c.id for c in f.choices)
            for col in f.columns:
                yield f"    {col.id:<26} {col.type:<12} {col.label_in(lang)}"


def _parse_sets(form: FormDefinition, pairs: tuple[str, ...]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"'{pair}' is not FIELD=VALUE", param_hint="--set")
        key = key.strip()
        is_table = any(f.id == key and f.type == "table" for f in form.fields)
        if is_table:
            try:
                values[key] = json.loads(value)
            except json.JSONDecodeError as exc:
                raise click.BadParameter(
                    f"table '{key}' takes a JSON list of rows, like "
                    f'[{{"action": "...", "owner": "..."}}] ({exc.msg})',
                    param_hint="--set",
                ) from None
        else:
            values[key] = value
    return values


@forms_group.command("blank")
@click.argument("form", callback=_form_arg, metavar="FORM")
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True, help="docx or xlsx.")
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), required=True, help="File to write."
)
@click.option("--case", "case_id", help="Case number to print on the form, like CC-2026-0001.")
@click.option(
    "--set", "sets", multiple=True, metavar="FIELD=VALUE", help="Pre-fill a field; repeat."
)
@click.option(
    "--root",
    type=click.Path(path_type=Path, file_okay=False),
    help="Shared folder whose settings give the company name.",
)
@click.option("--company", help="Company name for the letterhead (overrides settings).")
@language_option("the settings' language with --root, else en")
@second_language_option
def forms_blank(
    form: FormDefinition,
    fmt: Format,
    output: Path,
    case_id: str | None,
    sets: tuple[str, ...],
    root: Path | None,
    company: str | None,
    language: str | None,
    second_language: str | None,
) -> None:
    """Write FORM, blank or pre-filled, as a Word or Excel file, in the folder's language
    (with --root) or the one asked for."""
    with errors():
        settings = load_settings(root)
        values = _parse_sets(form, sets)
        first = language or settings.language
        second = second_language or settings.second_language
        path = write_form(
            form,
            fmt,
            output,
            values,
            case_id,
            company or settings.company_name,
            language=first,
            second_language=None if second == "none" else second,
        )
    click.echo(f"Wrote {form.title} to {path}")


@cli.command("read")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@json_option
@language_option("the settings' language with --root, else en", "Say what was read")
@root_option("the language (and the folders' names the problems use)")
def read_cmd(file: Path, as_json: bool, language: str | None, root: Path | None) -> None:
    """Read a filled form: its form, case and every value, and what is wrong with it; said
    in --language (or the folder's, with --root): fields by their labels in it, the
    problems in its words. --json keeps the ids; its problems are said in the language.

    Exit 0: read, no problems; 1: read, with problems; 2: refused (not a readable form).
    """
    with speaking(root, language, as_json) as lang:
        with errors(as_json):
            data = read_capped(file)
            # Read as the service reads: in a process the OS holds to its memory and time
            # budget (it is told the language in use with the file).
            with IsolatedReader() as reader:
                result = reader.read(file, data)
        if as_json:
            echo_json(result.to_json())
        else:
            for line in _read_lines(result, lang):
                click.echo(line)
    sys.exit(EXIT_PROBLEMS if result.problems else EXIT_OK)


def _read_lines(result: FormRead, lang: str) -> Iterator[str]:
    """What was read, in the language in use (lang): each value as the form prints it."""
    form, words = result.form, Wording(lang)
    case = (
        _(", case {case}").format(case=result.case_id)
        if result.case_id
        else _(", no case number yet")
    )
    yield (
        _("{title} ({id}, version {version})").format(
            title=form.title_in(lang), id=form.id, version=result.version
        )
        + case
    )
    said = _("{label}: {value}")
    for f in form.fields:
        value = result.values.get(f.id)
        if f.type == "table":
            rows = result.rows(f.id)
            yield "  " + _("{label}: {count} row(s)").format(
                label=f.label_in(lang), count=len(rows)
            )
            for row in rows:
                cells = _("; ").join(
                    said.format(label=c.label_in(lang), value=shown_value(c, row.get(c.id), words))
                    for c in f.columns
                    if row.get(c.id) is not None
                )
                yield f"    - {cells}"
        elif value is not None:
            text = shown_value(f, value, words).replace("\n", "\n      ")
            yield "  " + said.format(label=f.label_in(lang), value=text)
    if result.problems:
        yield _("Problems:")
        for p in result.problems:
            yield f"  - {p.message}"
