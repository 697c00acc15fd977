"""Settings: resolved once from ROOT/closedloop.toml into one object, passed down explicitly.

Every mistake names the file, the key, what is wrong and what to write instead; a key or
section no setting reads is refused with the nearest known one (model.py: the object and
its defaults; reader.py: the file read into it; check.py: what the file may hold).
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from datetime import datetime
from pathlib import Path

from app.settings.language import declared_language
from app.settings.model import (
    SETTINGS_FILE,
    ArchiveSettings,
    InboxSettings,
    Settings,
    SettingsError,
    UnknownSetting,
    WatchSettings,
)
from app.settings.reader import SettingsReader
from app.settings.template import settings_template
from filing.folders import FolderNames
from forms.shown import shown
from language import _, use

__all__ = [
    "CLOCK_VARIABLE",
    "SETTINGS_FILE",
    "ArchiveSettings",
    "InboxSettings",
    "Settings",
    "SettingsError",
    "UnknownSetting",
    "WatchSettings",
    "folder_names_in",
    "load_settings",
    "now",
    "read_settings",
    "settings_template",
    "settings_told_in",
]

CLOCK_VARIABLE = "CLOSEDLOOP_NOW"


def load_settings(root: Path | None) -> Settings:
    """Settings of the shared folder `root`; defaults when there is no settings file."""
    if root is None or not (root / SETTINGS_FILE).exists():
        return Settings()
    path = root / SETTINGS_FILE
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        with use(declared_language(data.decode("utf-8", "replace"))):
            line = data.count(b"\n", 0, exc.start) + 1
            raise SettingsError(
                _(
                    "{file}: line {line} is not UTF-8 text; save the file as UTF-8 "
                    "(in Notepad: Save as, Encoding UTF-8)"
                ).format(file=path, line=line)
            ) from None
    return read_settings(path, text)


def settings_told_in(root: Path) -> Settings:
    """The default settings, in the language and with the folder names the settings file of
    `root` gives as far as they can be read: what a command speaks when the file cannot
    be used, so that it says why in the folder's language."""
    path = root / SETTINGS_FILE
    try:
        text = path.read_bytes().decode("utf-8", "replace")
    except OSError:
        return Settings()
    settings = dataclasses.replace(Settings(), language=declared_language(text))
    names = folder_names_in(root)
    if names is None:
        return settings
    policy = dataclasses.replace(settings.policy, folders=names[0], outboxes=names[1])
    return dataclasses.replace(settings, policy=policy)


def folder_names_in(root: Path) -> tuple[FolderNames, dict[str, str]] | None:
    """The folders' and departments' names the settings file of `root` gives, even when
    another of its settings is wrong (`doctor` looks for the folders by them); None when
    those cannot be read."""
    path = root / SETTINGS_FILE
    try:
        reader = SettingsReader(path, tomllib.loads(path.read_text(encoding="utf-8")))
        return reader.folders(), reader.departments()
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, SettingsError):
        return None


def read_settings(path: Path, text: str) -> Settings:
    """The settings `text` holds, as the file `path` (named in every message, each in the
    language the file names)."""
    with use(declared_language(text)):
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(not_toml(path, text, exc)) from None
        return SettingsReader(path, raw).settings()


# tomllib's messages end with where: "Expected '=' after a key (at line 3, column 5)", or
# "(at end of document)" for what was left open (a list, a quote) until the file's end.
_AT = re.compile(r"\s*\(at (?:line (\d+), column \d+|end of document)\)$")


def not_toml(path: Path, text: str, exc: tomllib.TOMLDecodeError) -> str:
    """What is wrong with a file TOML cannot read: the line by its number and its text
    (tomllib's own reason is in English only)."""
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
    return _(
        "{file}: line {line} is not valid TOML ({why}): {text}; write each setting as "
        'key = value, text in quotes: name = "Acme Ltd."'
    ).format(file=path, line=number, why=why[: at.start()], text=shown(written, 80))


def now(override: str | None = None) -> datetime:
    """The current time, or the one set with --now or CLOSEDLOOP_NOW (tests, replays)."""
    text = override or os.environ.get(CLOCK_VARIABLE)
    if not text:
        return datetime.now().replace(microsecond=0)
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise SettingsError(
            _(
                "the clock '{text}' (from --now or {variable}) is not a time; write it like "
                "2026-11-20T09:30"
            ).format(text=text, variable=CLOCK_VARIABLE)
        ) from None
