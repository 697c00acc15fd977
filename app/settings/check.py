"""What a settings file may hold, and the words for what it should not: a key or section
no setting reads (a typo, or a setting of another program) is refused with the nearest
known one, since ignoring it would leave the site believing it is in force; the free-form
tables (departments, routing) are held to what their keys can be.

The known keys are the ones the reader asked for (app.settings): a setting added there
is known here without a second list to keep in step.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

import holidays
from babel.numbers import get_currency_name, get_currency_symbol, list_currencies
from holidays.registry import COUNTRIES
from pathvalidate import ValidationError, validate_filename
from pathvalidate.error import ErrorReason

from forms.definition import all_forms
from language import _

# A department id as the forms and the registry hold it: quality_management, rnd.
DEPARTMENT_ID = re.compile(r"^[a-z][a-z0-9_]*$")
# The signs Windows refuses in a file or folder name.
_NOT_IN_NAMES = '/\\:*?"<>|'
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def key_text(key: str) -> str:
    """A key as it is written in TOML: bare, or quoted when it holds spaces or signs."""
    if _BARE_KEY.match(key):
        return key
    escaped = key.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def nearest(word: str, candidates: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The candidate closest to `word` (a misspelling's intended key), if one is close."""
    options = list(candidates)
    folded = {c.casefold(): c for c in options}
    if word.casefold() in folded:  # the right word in the wrong case
        return folded[word.casefold()]
    found = difflib.get_close_matches(word, options, n=1, cutoff=cutoff)
    return found[0] if found else None


def did_you_mean(suggestion: str | None) -> str:
    return _("did you mean {suggestion}? ").format(suggestion=suggestion) if suggestion else ""


@cache
def complaint_categories() -> tuple[str, ...]:
    """The category ids of the registration form: the keys [routing] may have."""
    registration = all_forms()["registration"]
    category = next(f for f in registration.fields if f.id == "category")
    return tuple(choice.id for choice in category.choices or ())


class UnknownSettings:
    """The keys and sections of a settings file that no setting reads, as messages."""

    def __init__(self, raw: Mapping[str, Any], read: Mapping[str, set[str]], free: set[str]):
        self.raw = raw
        self.read = read  # section -> the keys the reader asked it for
        self.free = free  # sections whose keys are the site's own ([departments], ...)

    def problems(self) -> list[tuple[str, str]]:
        """(what, message) of every key and section not known, in the file's order."""
        out: list[tuple[str, str]] = []
        for name, value in self.raw.items():
            if name not in self.read:
                out.append(self.top_level(name, value))
            elif isinstance(value, dict) and name not in self.free:
                out += [
                    self.in_section(name, k, v)
                    for k, v in value.items()
                    if k not in self.read[name]
                ]
        return out

    def shown(self, section: str, key: str) -> str:
        """A known key as its section lists it: a table of its own as [mail.departments]."""
        dotted = f"{section}.{key}"
        return f"[{dotted}]" if dotted in self.free else key

    def top_level(self, name: str, value: Any) -> tuple[str, str]:
        sections = ", ".join(f"[{s}]" for s in sorted(self.read))
        if isinstance(value, dict):
            what = f"[{key_text(name)}]"
            near = nearest(name, self.read)
            return what, _(
                "{what} is not a section of the settings; {did_you_mean}write one of "
                "{sections}, or remove the section"
            ).format(
                what=what,
                did_you_mean=did_you_mean(f"[{near}]" if near else None),
                sections=sections,
            )
        home = [s for s in sorted(self.read) if name in self.read[s]]
        near = f"[{home[0]}] {name}" if home else None
        return key_text(name), _(
            "{what} (above the first [section]) is not a setting; {did_you_mean}settings go "
            "under one of {sections}, or remove the line"
        ).format(what=key_text(name), did_you_mean=did_you_mean(near), sections=sections)

    def in_section(self, section: str, key: str, value: Any) -> tuple[str, str]:
        known = self.read[section]
        near = nearest(key, known)
        if near is not None:
            suggestion: str | None = self.shown(section, near)
        else:  # a setting written under the wrong section: `host` under [company]
            elsewhere = [s for s in sorted(self.read) if key in self.read[s] and s not in self.free]
            suggestion = f"[{elsewhere[0]}] {key}" if elsewhere else None
        listed = ", ".join(sorted(self.shown(section, k) for k in known))
        if isinstance(value, dict):
            what = f"[{section}.{key_text(key)}]"
            return what, _(
                "{what} is not a section of [{section}]; {did_you_mean}write one of {listed}, "
                "or remove the section"
            ).format(
                what=what, section=section, did_you_mean=did_you_mean(suggestion), listed=listed
            )
        what = f"[{section}] {key_text(key)}"
        return what, _(
            "{what} is not a setting of [{section}]; {did_you_mean}write one of {listed}, or "
            "remove the line"
        ).format(what=what, section=section, did_you_mean=did_you_mean(suggestion), listed=listed)


def department_id_problem(
    key: str, built_in: Iterable[str], written: Iterable[str]
) -> tuple[str, str | None] | None:
    """(why `key` cannot be a department id of [departments], the id it likely means), or
    None. A new department is allowed, but not one a letter away from a built-in id the
    file does not name: that is a typo, which would leave the department it meant with
    its old folder name."""
    known = list(built_in)
    if key in known:
        return None
    if not DEPARTMENT_ID.match(key):
        as_id = re.sub(r"[^a-z0-9]+", "_", key.casefold()).strip("_")
        near = as_id if as_id in known else nearest(as_id, known)
        return _("is not a department id (lowercase letters, digits and _)"), near
    near = nearest(key, [k for k in known if k not in set(written)], cutoff=0.85)
    if near is not None:
        return _("is not a department, and a new one needs an id far from {near}").format(
            near=near
        ), near
    return None


def calendar_problem(
    country: str | None, subdivision: str | None
) -> tuple[str, str, str, str | None] | None:
    """(key, what is wrong, what to write, the nearest right value) when the holidays
    library has no calendar for the country or its subdivision; None when it has (or
    there is no country: weekends only)."""
    if country is None:
        return None
    written, country = country, country.upper()
    codes = {entry[1]: entry[0] for entry in COUNTRIES.values()}  # CN -> China
    if country not in codes:
        # A country written by name: China, "United States".
        by_name = {name.casefold(): code for code, name in codes.items()}
        near = by_name.get(re.sub(r"[^a-z]", "", country.casefold()))
        return (
            "country",
            _(
                "is '{written}', not a country code the holidays library knows (two letters "
                'like CN, DE or US; "" for weekends only)'
            ).format(written=written),
            f'country = "{near or "CN"}"',
            near,
        )
    if subdivision is None:
        return None
    calendar = holidays.country_holidays(country)
    regions = tuple(calendar.subdivisions)
    aliases = dict(getattr(calendar, "subdivisions_aliases", {}))  # Bayern -> BY
    if subdivision in regions or subdivision in aliases:
        return None
    near = nearest(subdivision, [*regions, *aliases])
    listed = ", ".join(regions) if regions else _("none")
    return (
        "subdivision",
        _(
            "is '{subdivision}', not a subdivision of {country} ({listed}; \"\" for all of it)"
        ).format(subdivision=subdivision, country=country, listed=listed),
        f'subdivision = "{near or ""}"',
        near,
    )


def folder_name_problem(name: str) -> str | None:
    """Why `name` cannot name a folder on the share (Windows' rules, which a Samba share
    keeps too), as a clause about it; None when it can."""
    if not name.strip():
        return _("it is empty")
    if name != name.strip():
        return _("it has spaces at its ends, which Windows drops")
    if name.strip(".") == "" or name.endswith("."):
        return _("it ends with a dot, which Windows drops")
    try:
        validate_filename(name, platform="windows")
    except ValidationError as exc:
        if exc.reason is ErrorReason.RESERVED_NAME:
            return _("Windows keeps it for a device")
        bad = sorted({c for c in name if not c.isprintable() or c in _NOT_IN_NAMES})
        if bad:
            return _("it holds {signs}, which a folder's name cannot").format(
                signs=", ".join(repr(c) for c in bad)
            )
        return _("Windows does not take it")
    return None


def name_mended(written: object, default: str) -> str:
    """The folder name `written` most likely meant, for the example a message gives: without
    the signs a folder's name cannot hold and the spaces and dots Windows drops at its
    ends; `default` when that leaves no name a folder can have."""
    if not isinstance(written, str):
        return default
    kept = "".join(c for c in written if c.isprintable() and c not in _NOT_IN_NAMES)
    mended = kept.strip().rstrip(". ")
    return mended if mended and folder_name_problem(mended) is None else default


# What people write for a currency that is not its ISO 4217 code.
_CURRENCY_WORDS = {"RMB": "CNY", "¥": "CNY", "￥": "CNY", "元": "CNY", "$": "USD", "US$": "USD"}


def currency_meant(written: object) -> str | None:
    """The ISO 4217 code `written` most likely means: RMB, ¥ or 人民币 is CNY, € is EUR, a
    currency's name in English or Chinese its code; None when nothing is close."""
    if not isinstance(written, str) or not written.strip():
        return None
    word = written.strip()
    if word.upper() in _CURRENCY_WORDS:
        return _CURRENCY_WORDS[word.upper()]
    for locale in ("en", "zh_Hans_CN"):
        for code in list_currencies():
            if word in (get_currency_symbol(code, locale), code.lower()) or (
                word.casefold() == get_currency_name(code, locale=locale).casefold()
            ):
                return code
    return None
