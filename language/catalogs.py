"""The gettext catalogs: `.po` files a translator edits, one per domain (a floor of the
house) and language, compiled with Babel when first needed, so an edited catalog needs no
build step and no compiled file can be older than its source.

`python -m language.update` brings the catalogs up to date with the code (Babel's
extraction), and tests/test_catalogs.py fails while any text of a shipped language is
missing from them.
"""

from __future__ import annotations

import gettext as gettext_module
from functools import cache
from io import BytesIO
from pathlib import Path

from language.codes import DEFAULT, babel_locale

CATALOGS = Path(__file__).resolve().parent / "catalogs"


def catalog_files(language: str) -> list[Path]:
    """The `.po` files of a language, one per domain, in a fixed order."""
    folder = CATALOGS / babel_locale(language) / "LC_MESSAGES"
    return sorted(folder.glob("*.po"))


@cache
def translations(language: str) -> gettext_module.NullTranslations:
    """Every domain's catalog of `language` as one: English is the source's own words.
    A message not yet translated (empty or fuzzy) falls back to the source's words."""
    merged = gettext_module.NullTranslations()
    if language == DEFAULT:
        return merged
    # Babel's catalog tools, loaded only where a language other than the source's is used.
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for path in catalog_files(language):
        with path.open("rb") as po:
            catalog = read_po(po, locale=babel_locale(language), domain=path.stem)
        mo = BytesIO()
        write_mo(mo, catalog, use_fuzzy=False)
        mo.seek(0)
        domain = gettext_module.GNUTranslations(mo)
        if isinstance(merged, gettext_module.GNUTranslations):
            merged._catalog.update(domain._catalog)  # type: ignore[attr-defined]
        else:
            merged = domain
    return merged
