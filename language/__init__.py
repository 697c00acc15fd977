"""The languages people read closedloop in: which ones ship, the language in use, the
gettext catalogs of the words (catalogs/<locale>/LC_MESSAGES/<domain>.po, one domain per
floor of the house), and dates, numbers and money as each language writes them (Babel).

The bottom floor: every package may import it; it imports none of the house.

Core code marks a text with `_("...")` (or `N_` where it is only listed, to be translated
when shown) and never decides the language itself: the one who acts for a shared folder
(`app.App`, the command line) says `with use(settings.language):` and everything said
inside is in that language. Field ids, JSON and case.json never go through here.
"""

from language.codes import DEFAULT, LANGUAGES, LanguageError, babel_locale, language_code
from language.current import (
    DEFAULT_FOLDERS,
    N_,
    _,
    current,
    folders,
    gettext,
    in_language,
    ngettext,
    use,
)

__all__ = [
    "DEFAULT",
    "DEFAULT_FOLDERS",
    "LANGUAGES",
    "N_",
    "LanguageError",
    "_",
    "babel_locale",
    "current",
    "folders",
    "gettext",
    "in_language",
    "language_code",
    "ngettext",
    "use",
]
