"""Brings the catalogs up to date with the code: `python -m language.update [DOMAIN...]`.

What Babel's `pybabel extract` and `pybabel update` do, for all domains at once: each
domain's texts are extracted from its files (language/domains.py), new ones added to each
language's `.po` with an empty translation, gone ones dropped, the rest kept.
Then a translator fills the empty ones; tests/test_catalogs.py says which.
"""

from __future__ import annotations

import sys

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from language.catalogs import CATALOGS
from language.codes import DEFAULT, LANGUAGES, babel_locale
from language.domains import DOMAINS, template_catalog


def update(domain: str, language: str) -> int:
    """Update one `.po`; the number of its texts still without a translation."""
    template = template_catalog(domain)
    path = CATALOGS / babel_locale(language) / "LC_MESSAGES" / f"{domain}.po"
    if path.exists():
        with path.open("rb") as po:
            catalog = read_po(po, locale=babel_locale(language), domain=domain)
        # Unchanged code leaves the file unchanged: the template takes the catalog's date.
        template.creation_date = catalog.creation_date
    else:
        catalog = Catalog(locale=babel_locale(language), domain=domain, project="closedloop")
    catalog.update(template, no_fuzzy_matching=True)
    catalog.fuzzy = False  # the header: a catalog is used as soon as a text is translated
    catalog.copyright_holder = "the closedloop authors"
    catalog.msgid_bugs_address = ""
    catalog.last_translator = "closedloop translators"
    catalog.language_team = f"{babel_locale(language)} <closedloop>"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as po:
        write_po(po, catalog, width=100, omit_header=False, ignore_obsolete=True)
    return sum(1 for m in catalog if m.id and not m.string)


def main(domains: list[str]) -> int:
    """Update the catalogs of `domains` (all of them when none is named)."""
    unknown = [d for d in domains if d not in DOMAINS]
    if unknown:
        print(f"no domain {', '.join(unknown)}; the domains are: {', '.join(DOMAINS)}")
        return 2
    missing = 0
    for language in LANGUAGES:
        if language == DEFAULT:
            continue
        for domain in domains or DOMAINS:
            untranslated = update(domain, language)
            missing += untranslated
            print(f"{babel_locale(language)}/{domain}.po: {untranslated} to translate")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
