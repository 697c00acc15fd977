"""The words printed on a form, in its language and a second one beside it: titles, labels
and help from the definitions; the hint beside each field (what to write, so nobody has
to guess the format); the form's own texts (instructions, identity line, page numbers)
through gettext (catalog domain `forms`).

A form's language is the writer's parameter, not the language in use: the writers say
`with use(words.language):` around what they print, and the second language's texts come
from `in_language`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from forms.definition import Choice, Field, FormDefinition, Section
from forms.identity import Identity
from forms.languages import bilingual
from forms.values import DATE_EXAMPLE, DATETIME_EXAMPLE, format_value
from language import DEFAULT, DEFAULT_FOLDERS, N_, _, in_language, language_code, use

_TYPE_HINTS = {
    "date": N_("Date, like {example}"),
    "datetime": N_("Date and time, like {example}"),
    "integer": N_("Whole number"),
    "decimal": N_("Number, like 1250.50"),
    "yesno": N_("Yes or No"),
}
_EXAMPLES = {"date": DATE_EXAMPLE, "datetime": DATETIME_EXAMPLE}
YES, NO = N_("Yes"), N_("No")
#: The identity line printed on every form; forms.identity.from_text reads it back in
#: every language the catalogs have.
IDENTITY_LINE = N_("Form {form} · version {version}")
CASE_PART = N_(" · Case {case}")
NO_CASE_PART = N_(" · Case number given when filed")
# How the words of a multichoice are joined, by language (reading splits at any of them).
_LIST_JOIN = {"zh-CN": "、"}
#: Languages whose script is never slanted: a note printed in italics is upright in them.
UPRIGHT = frozenset({"zh-CN"})


@dataclass(frozen=True)
class EastAsian:
    """How a form marks its Chinese text, so that it is drawn in Chinese glyph forms: the
    text's language (Word's East Asian language) and the font named for it, with its
    Windows character set (134, GB2312) for a machine that must stand in another font.

    Microsoft YaHei (微软雅黑): a sans serif like the forms' Latin font, with a true bold
    for labels and titles (SimSun has none, so Word would smear one), on every Windows
    since Vista and installed with Office for Mac; WPS uses it from Windows. LibreOffice
    elsewhere takes the language and stands in Noto Sans CJK SC. Unmarked, Chinese text
    took Word's theme font for Japanese (ＭＳ 明朝) and LibreOffice drew it in Japanese
    or Hong Kong glyph forms (骨, 直, 角 differ)."""

    language: str
    font: str = "Microsoft YaHei"
    charset: int = 134


#: The East Asian language a form in that language (first or second) marks its text with.
EAST_ASIAN = {"zh-CN": EastAsian("zh-CN")}
_HAN = "\u2e80-\u2fdf\u3000-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
#: A stretch of East Asian text (ideographs, kana, CJK and full-width punctuation), spaces
#: inside it included: what an East Asian font draws, where a cell has one font for all.
EAST_ASIAN_TEXT = re.compile(f"[{_HAN}]+(?: +[{_HAN}]+)*")


def stretches(text: str) -> Iterator[tuple[str, bool]]:
    """text in stretches, each with whether it is East Asian: the one font for Chinese
    and another for the rest, or italics for the rest only (Chinese is never slanted)."""
    done = 0
    for found in EAST_ASIAN_TEXT.finditer(text):
        if found.start() > done:
            yield text[done : found.start()], False
        yield found.group(), True
        done = found.end()
    if done < len(text):
        yield text[done:], False


@dataclass(frozen=True)
class Wording:
    """The language a form is printed in, and the one printed beside it (or None)."""

    language: str = DEFAULT
    second: str | None = None
    # The Inbox as the folder the form is written for names it (the instructions say it).
    inbox: str = DEFAULT_FOLDERS["inbox"]

    def __post_init__(self) -> None:
        first = language_code(self.language)
        second = language_code(self.second) if self.second else None
        object.__setattr__(self, "language", first)
        object.__setattr__(self, "second", None if second == first else second)

    def _both(self, first: str, second: str | None, sep: str) -> str:
        return bilingual(first, second if self.second else None, sep)

    def title(self, form: FormDefinition, sep: str = " ") -> str:
        second = form.title_in(self.second) if self.second else None
        return self._both(form.title_in(self.language), second, sep)

    def section(self, section: Section) -> str:
        second = section.title_in(self.second) if self.second else None
        return self._both(section.title_in(self.language), second, " ")

    def label(self, f: Field, sep: str = "\n") -> str:
        """A label: a bilingual one on two lines (the reader finds it either way)."""
        second = f.label_in(self.second) if self.second else None
        return self._both(f.label_in(self.language), second, sep)

    def choice(self, c: Choice) -> str:
        """A choice as it is written into the form: the first language's word alone, which
        reading takes back as the choice."""
        return c.label_in(self.language)

    def choice_listed(self, c: Choice) -> str:
        """A choice as a hint lists it: in both languages, so either reader knows it."""
        second = c.label_in(self.second) if self.second else None
        return self._both(c.label_in(self.language), second, " ")

    def say(self, message: str, sep: str = "\n") -> str:
        """A marked text (N_) in the first language, then the second."""
        second = in_language(self.second, message) if self.second else None
        return self._both(in_language(self.language, message), second, sep)

    def sheet_name(self, form: FormDefinition) -> str:
        """The worksheet's name: the English sheet name, or the title in the language."""
        name = form.sheet if self.language == DEFAULT else form.title_in(self.language)
        return name[:31]

    def yes_no(self) -> tuple[str, str]:
        return in_language(self.language, YES), in_language(self.language, NO)

    def east_asian(self) -> EastAsian | None:
        """How the form marks its East Asian text: by its first language that has one, else
        its second's; None for a form in no such language (printed as it always was)."""
        found = (EAST_ASIAN.get(lang) for lang in (self.language, self.second) if lang)
        return next(filter(None, found), None)


ENGLISH = Wording()


def hint_lines(f: Field, words: Wording = ENGLISH) -> list[str]:
    """The hint as lines of their own: what to write (the format, the choices), then the
    field's help, so that a list of choices and the words after it do not run together."""
    with use(words.language):
        what: list[str] = []
        if f.required:
            what.append(_("Required."))
        listed = " · ".join(words.choice_listed(c) for c in f.choices)
        if f.type == "choice":
            what.append(_("One of: {choices}").format(choices=listed))
        elif f.type == "multichoice":
            what.append(_("One or more, separated by commas: {choices}").format(choices=listed))
        elif f.type == "table":
            what.append(_("Fill one row per line; add rows if needed"))
        elif f.type in _TYPE_HINTS:
            what.append(_(_TYPE_HINTS[f.type]).format(example=_EXAMPLES.get(f.type, "")))
        # Chinese sentences run on without a space; English ones are spaced.
        lines = [("" if words.language == "zh-CN" else " ").join(what)] if what else []
        if f.help:
            lines.append(f.help_in(words.language))
        return lines


def field_hint(f: Field, sep: str = "\n", words: Wording = ENGLISH) -> str:
    return sep.join(hint_lines(f, words))


def identity_line(identity: Identity, words: Wording = ENGLISH) -> str:
    """The visible identity line, printed on every form, in the form's first language."""
    line = in_language(words.language, IDENTITY_LINE)
    out = line.format(form=identity.form_id, version=identity.version)
    if identity.case_id:
        return out + in_language(words.language, CASE_PART).format(case=identity.case_id)
    return out + in_language(words.language, NO_CASE_PART)


def shown_value(f: Field, value: Any, words: Wording = ENGLISH) -> str:
    """A pre-filled value as the form prints it: yes/no and choices in the form's first
    language (reading takes them back in any), everything else as format_value writes it."""
    if words.language == DEFAULT or value is None:
        return format_value(f, value)
    if f.type == "yesno" and isinstance(value, bool):
        return words.yes_no()[0 if value else 1]
    if f.type == "choice" and isinstance(value, str):
        return f.choice_label(value, words.language)
    if f.type == "multichoice" and isinstance(value, list):
        join = _LIST_JOIN.get(words.language, ", ")
        return join.join(f.choice_label(v, words.language) for v in value)
    return format_value(f, value)
