"""The settings of where the case registry lives: [registry] url and site."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from app.settings.model import RegistrySettings
from filing.registry.database import check_url, shown_url
from language import _

if TYPE_CHECKING:
    from app.settings.reader import SettingsReader

# A site's code: short, as it shows in lists and reports.
_SITE = re.compile(r"[A-Z][A-Z0-9]{0,7}")


def read_registry(reader: SettingsReader) -> RegistrySettings:
    """[registry]: url empty (the SQLite file in .closedloop) or a postgresql:// URL,
    with this folder's site code."""
    url = reader.text("registry", "url", "")
    site = reader.text("registry", "site", "")
    if url:
        problem = check_url(url)
        if problem:
            raise reader.fail(
                "[registry] url",
                _("is {value}: {problem}").format(value=repr(shown_url(url)), problem=problem),
                'url = "postgresql://closedloop@db/quality"',
            )
        if not site:
            raise reader.fail(
                "[registry] site",
                _("is missing: on a shared registry each folder names its site (plant)"),
                'site = "SZ"',
            )
    elif site:
        raise reader.fail(
            "[registry] site",
            _(
                "is {value}, but [registry] url is not set: a site is one of several folders "
                "sharing a PostgreSQL registry"
            ).format(value=repr(site)),
            'url = "postgresql://closedloop@db/quality"',
        )
    if site and not _SITE.fullmatch(site):
        raise reader.fail(
            "[registry] site",
            _(
                "is {value}: a site code is 1 to 8 capital letters and digits, a letter first"
            ).format(value=repr(site)),
            'site = "SZ"',
        )
    return RegistrySettings(url=url, site=site)
