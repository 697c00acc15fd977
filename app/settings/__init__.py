"""Settings: resolved once from ROOT/closedloop.toml into one object, passed down explicitly.

Every mistake names the file, the key, what is wrong and what to write instead; a key or
section no setting reads is refused with the nearest known one (model.py: the object and
its defaults; reader.py: the file read into it; check.py: what the file may hold).
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from datetime import datetime
from pathlib import Path

from app.settings.language import declared_language, language_in
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
from app.settings.text import not_toml, readable_text, settings_text
from filing.folders import FolderNames
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
        text = settings_text(path, data)
    except SettingsError:
        with use(declared_language(readable_text(data))):  # told in the file's language
            settings_text(path, data)
        raise
    return read_settings(path, text)


def settings_told_in(root: Path) -> Settings:
    """The default settings, in the language and with the folder names the settings file of
    `root` gives as far as they can be read: what a command speaks when the file cannot
    be used, so that it says why in the folder's language."""
    path = root / SETTINGS_FILE
    try:
        text = readable_text(path.read_bytes())
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
        text = settings_text(path, path.read_bytes())
        reader = SettingsReader(path, tomllib.loads(text))
        return reader.folders(), reader.departments()
    except (OSError, tomllib.TOMLDecodeError, SettingsError):
        return None


def read_settings(path: Path, text: str) -> Settings:
    """The settings `text` holds, as the file `path` (named in every message, each in the
    language the file names)."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        with use(declared_language(text)):
            raise SettingsError(not_toml(path, text, exc)) from None
    with use(language_in(raw)):
        return SettingsReader(path, raw).settings()


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
