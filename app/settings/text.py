"""The settings file as text: read as UTF-8 (with or without the mark Notepad puts at its
start), and what is wrong when it is not TOML, said of the line and in the words of the
mistake people make there: a file saved in the system's code page or as UTF-16, an equals
sign or quotes typed in a Chinese input mode."""

from __future__ import annotations

import codecs
import re
import tomllib
import unicodedata
from pathlib import Path

from app.settings.model import SettingsError
from forms.shown import shown
from language import _

# tomllib's messages end with where: "Expected '=' after a key (at line 3, column 5)", or
# "(at end of document)" for what was left open (a list, a quote) until the file's end.
_AT = re.compile(r"\s*\(at (?:line (\d+), column \d+|end of document)\)$")

# Typed in a Chinese (full-width) input mode, where TOML needs its plain sign. NFKC maps
# the full-width forms (＝ ［ ］ ５); curly quotes and the ideographic comma it keeps.
_PLAIN = {"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "、": ",", "。": "."}
# A value opened with a curly quote, as an input mode types it: the quote that closes it
# (either curly one: people type ” for both).
_CURLY = {"“": "”", "”": "”", "„": "”", "‘": "’", "’": "’"}


def readable_text(data: bytes) -> str:
    """As much of the file's text as can be made out, whatever it was saved as: enough to
    find the language it names, so that its refusal is said in that language."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", "replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030", "replace")


def settings_text(path: Path, data: bytes) -> str:
    """The text of the settings file `path` holding `data`; SettingsError naming the
    encoding it was saved in, and the line, when that is not UTF-8."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise SettingsError(
            _(
                "{file}: saved as UTF-16 (Unicode); save it as UTF-8 (in Notepad: Save as, "
                "Encoding UTF-8)"
            ).format(file=path)
        )
    try:
        return data.decode("utf-8-sig")  # the mark some editors put first is not a setting
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise SettingsError(
            _(
                "{file}: line {line} is not UTF-8 text (saved in the system's code page, GBK "
                "on Chinese Windows?); save the file as UTF-8 (in Notepad: Save as, "
                "Encoding UTF-8)"
            ).format(file=path, line=line)
        ) from None


def not_toml(path: Path, text: str, exc: tomllib.TOMLDecodeError) -> str:
    """What is wrong with a file TOML cannot read: the line by its number and its text
    (tomllib's own reason is in English only), and the fix for a sign typed full-width."""
    why = str(exc)
    at = _AT.search(why)
    if at is None:
        return _("{file}: not valid TOML ({why}); fix the line it names").format(file=path, why=why)
    lines = text.splitlines()
    # Left open until the end: the last line that holds something is where it was opened,
    # or near it.
    last = max((i + 1 for i, line in enumerate(lines) if line.strip()), default=1)
    number = int(at[1]) if at[1] else last
    written = lines[number - 1].strip() if 0 < number <= len(lines) else ""
    return _("{file}: line {line} is not valid TOML ({why}): {text}; {fix}").format(
        file=path,
        line=number,
        why=why[: at.start()],
        text=shown(written, 80),
        fix=_fix(written),
    )


def _fix(line: str) -> str:
    """How to write `line` so TOML reads it."""
    wide = _typed_wide(line)
    if wide:
        return _("it holds {signs}, typed in a Chinese input mode: write {plain} instead").format(
            signs=" ".join(wide), plain=" ".join(wide.values())
        )
    return _('write each setting as key = value, text in quotes: name = "Acme Ltd."')


def _typed_wide(line: str) -> dict[str, str]:
    """The full-width signs of `line` where TOML needs plain ones, each with its plain
    form: outside a value's quotes, and the curly quotes around a value. What a value
    holds between its quotes (a name's full-width brackets) is the site's to write."""
    wide: dict[str, str] = {}
    closer: str | None = None  # the quote that ends the value the line is in
    for c in line:
        if closer is None:
            if c in "\"'":
                closer = c
            elif c in _CURLY:
                closer, wide[c] = _CURLY[c], _PLAIN[c]
            elif (plain := _plain(c)) != c:
                wide[c] = plain
        elif c == closer or (closer in _CURLY.values() and c in _CURLY):
            if c not in "\"'":
                wide[c] = _PLAIN[c]
            closer = None
    return wide


def _plain(sign: str) -> str:
    if sign in _PLAIN:
        return _PLAIN[sign]
    if unicodedata.east_asian_width(sign) == "F":  # ＝ ［ ５: their plain forms
        return unicodedata.normalize("NFKC", sign)
    return sign
