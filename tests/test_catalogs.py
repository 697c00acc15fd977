"""The gettext catalogs hold every text of every shipped language: a text added to the
code without its translation fails here, naming the catalog, the text and where it is
(language/domains.py says which files each catalog covers; `python -m language.update`
adds the new texts to the catalogs for a translator to fill)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from language import DEFAULT, LANGUAGES, babel_locale, in_language, use
from language.catalogs import CATALOGS
from language.domains import DOMAINS, HOUSE, extracted
from templates import environment

TRANSLATED = [language for language in LANGUAGES if language != DEFAULT]
# {name} (str.format) and %(name)s (Jinja's newstyle gettext) must survive translation.
PLACEHOLDER = re.compile(r"\{[a-z_]*(?:![rsa])?(?::[^}]*)?\}|%\([a-z_]+\)[sd]")


def _catalog(domain: str, language: str) -> dict[str, str]:
    path = CATALOGS / babel_locale(language) / "LC_MESSAGES" / f"{domain}.po"
    assert path.is_file(), f"{path} is missing: run `python -m language.update`"
    with path.open("rb") as po:
        catalog = read_po(po, locale=babel_locale(language), domain=domain)
    return {
        m.id if isinstance(m.id, str) else m.id[0]: (
            m.string if isinstance(m.string, str) else m.string[0]
        )
        for m in catalog
        if m.id and not m.fuzzy
    }


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


@pytest.mark.parametrize("language", TRANSLATED)
@pytest.mark.parametrize("domain", sorted(DOMAINS))
def test_every_text_is_translated(domain: str, language: str) -> None:
    catalog = _catalog(domain, language)
    problems: list[str] = []
    seen: set[str] = set()
    for message, path, line in extracted(domain):
        msgid = message if isinstance(message, str) else message[0]
        seen.add(msgid)
        where = f"{path.relative_to(HOUSE)}:{line}"
        translated = catalog.get(msgid, "")
        if not translated:
            problems.append(f"{where}: {msgid!r} has no {language} translation")
        elif _placeholders(translated) != _placeholders(msgid):
            problems.append(f"{where}: {msgid!r} -> {translated!r}: the placeholders differ")
    stale = sorted(set(catalog) - seen)
    problems += [f"{domain}.po: {msgid!r} is in no file any more" for msgid in stale]
    assert not problems, f"{domain}.po ({language}):\n" + "\n".join(problems)


def test_words_follow_the_language_in_use() -> None:
    """The same text through gettext, in English and in Chinese, and back."""
    assert in_language("zh-CN", "Closed") == "已结案"
    with use("zh-CN"):
        assert environment().from_string('{{ _("Closed") }}').render() == "已结案"
        with use("en"):
            assert environment().from_string('{{ _("Closed") }}').render() == "Closed"


def test_every_domain_has_its_files() -> None:
    """A domain whose globs match nothing (a moved folder) would check nothing."""
    from language.domains import source_files

    for domain in DOMAINS:
        assert source_files(domain), domain
        assert all(isinstance(p, Path) for p in source_files(domain))
